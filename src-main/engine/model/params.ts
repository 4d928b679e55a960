/**
 * Model parameters as one flat Float32Array plus a named layout. The optimiser, the EMA teacher,
 * checkpoints and the data-parallel workers all work on flat arrays (one fused pass in plain JS,
 * shareable through a SharedArrayBuffer); the TensorFlow.js side holds one variable per tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng';

export interface ParamSpec {
  name: string;
  shape: number[];
  /**
   * 'normal' = truncated normal with std 0.02 (DINO's init of every linear layer);
   * 'fanInUniform' = uniform on ±1/√fanIn, PyTorch's default for a convolution, which DINO keeps
   * for the patch embedding (about twice the spread of 'normal' there).
   */
  init: 'normal' | 'zeros' | 'ones' | 'fanInUniform';
  /** The layer's inputs per output, for 'fanInUniform' (default: the first dimension). */
  fanIn?: number;
  /**
   * Weight decay applies only to matrices: never to biases, norms (docs/ARCHITECTURE.md,
   * "Training recipe").
   */
  decay: boolean;
  /** The prototype layer is frozen during the first epoch. */
  prototypes?: boolean;
}

export interface ParamEntry extends ParamSpec {
  offset: number;
  size: number;
}

export interface ParamLayout {
  entries: ParamEntry[];
  total: number;
}

export function layoutOf(specs: ParamSpec[]): ParamLayout {
  let offset = 0;
  const entries = specs.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const e = { ...s, offset, size };
    offset += size;
    return e;
  });
  return { entries, total: offset };
}

/** Initial values drawn from `rng`, so the same seed gives the same model on any backend. */
export function initParams(layout: ParamLayout, rng: Rng, into?: Float32Array): Float32Array {
  const out = into ?? new Float32Array(layout.total);
  for (const e of layout.entries) {
    const view = out.subarray(e.offset, e.offset + e.size);
    if (e.init === 'ones') view.fill(1);
    else if (e.init === 'zeros') view.fill(0);
    else if (e.init === 'fanInUniform') {
      const bound = 1 / Math.sqrt(e.fanIn ?? e.shape[0]!);
      for (let i = 0; i < view.length; i++) view[i] = rng.uniform(-bound, bound);
    } else {
      for (let i = 0; i < view.length; i++) {
        let z = rng.normal();
        while (Math.abs(z) > 2) z = rng.normal(); // truncated at ±2σ, as timm's trunc_normal_
        view[i] = 0.02 * z;
      }
    }
  }
  return out;
}

export type TensorMap = Map<string, tf.Tensor>;

/** One tf.Variable per parameter (the student: what gradients are taken against). */
export function createVariables(
  layout: ParamLayout,
  values: Float32Array,
  prefix: string,
): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  for (const e of layout.entries) {
    const t = tf.tensor(values.subarray(e.offset, e.offset + e.size), e.shape);
    vars.set(e.name, tf.variable(t, true, `${prefix}/${e.name}`));
    t.dispose();
  }
  return vars;
}

/** Copies flat values into existing variables (after an optimiser or EMA update). */
export function assignVariables(
  layout: ParamLayout,
  values: Float32Array,
  vars: Map<string, tf.Variable>,
): void {
  for (const e of layout.entries) {
    const v = vars.get(e.name)!;
    tf.tidy(() => v.assign(tf.tensor(values.subarray(e.offset, e.offset + e.size), e.shape)));
  }
}

/**
 * Writes gradients (named tensors) into one flat array in layout order; missing ones are 0.
 * Read asynchronously: a GPU backend (webgpu) has no synchronous read in Node
 * (docs/ARCHITECTURE.md, "Backends and speed").
 */
export async function flattenGrads(
  layout: ParamLayout,
  grads: Record<string, tf.Tensor>,
  into: Float32Array,
): Promise<void> {
  for (const e of layout.entries) {
    const g = grads[e.name];
    if (g) into.set((await g.data()) as Float32Array, e.offset);
    else into.fill(0, e.offset, e.offset + e.size);
  }
}

/** A checksum of a flat array (order-sensitive), used to compare runs bit for bit. */
export function checksum(values: Float32Array): string {
  const bytes = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h1 = 0x811c9dc5;
  let h2 = 0;
  for (let i = 0; i < bytes.length; i++) {
    h1 = Math.imul(h1 ^ bytes[i]!, 0x01000193);
    h2 = (h2 + bytes[i]!) >>> 0;
  }
  return `${(h1 >>> 0).toString(16)}-${h2.toString(16)}`;
}

/** Parameter tensors (constants, not variables) from flat values, for evaluation. */
export function tensorsOf(layout: ParamLayout, flat: Float32Array): TensorMap {
  const out: TensorMap = new Map();
  for (const e of layout.entries)
    out.set(e.name, tf.tensor(flat.subarray(e.offset, e.offset + e.size), e.shape));
  return out;
}
