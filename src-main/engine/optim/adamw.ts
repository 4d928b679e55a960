/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter; PyTorch's update order), on flat
 * parameter arrays in plain JS: one fused pass per tensor, no TensorFlow.js ops, so the update is
 * identical on every backend and the state is plain arrays a checkpoint can hold.
 *
 * - weight decay only where the layout says `decay` (never biases or norms);
 * - per-tensor gradient clipping to norm `clip` (DINO's clip_gradients);
 * - `frozen` tensors are skipped entirely (no update, no moment or step change), as DINO does with
 *   the prototype layer during the first epoch.
 */
import type { ParamEntry, ParamLayout } from '../model/params';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Max L2 norm of each parameter tensor's gradient; 0 turns clipping off. */
  clip: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 3.0 };

export interface AdamWState {
  /** Steps taken per tensor (frozen tensors lag behind), in layout order. */
  steps: number[];
  m: Float32Array;
  v: Float32Array;
}

export function createAdamWState(layout: ParamLayout): AdamWState {
  return {
    steps: layout.entries.map(() => 0),
    m: new Float32Array(layout.total),
    v: new Float32Array(layout.total),
  };
}

export interface AdamWStepArgs {
  lr: number;
  weightDecay: number;
  frozen?: (entry: ParamEntry) => boolean;
}

export function adamwStep(
  layout: ParamLayout,
  params: Float32Array,
  grads: Float32Array,
  state: AdamWState,
  args: AdamWStepArgs,
  opts: AdamWOptions = ADAMW_DEFAULTS,
): void {
  const { beta1, beta2, eps, clip } = opts;
  layout.entries.forEach((e, idx) => {
    if (args.frozen?.(e)) return;
    const end = e.offset + e.size;
    let scale = 1;
    if (clip > 0) {
      let sq = 0;
      for (let i = e.offset; i < end; i++) sq += grads[i]! * grads[i]!;
      const norm = Math.sqrt(sq);
      if (norm > clip) scale = clip / (norm + 1e-6);
    }
    const t = (state.steps[idx] = state.steps[idx]! + 1);
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const decay = e.decay ? 1 - args.lr * args.weightDecay : 1;
    const { m, v } = state;
    for (let i = e.offset; i < end; i++) {
      const g = grads[i]! * scale;
      const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * g * g);
      params[i] = params[i]! * decay - (args.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
    }
  });
}
