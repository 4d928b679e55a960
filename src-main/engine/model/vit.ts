/**
 * Vision Transformer backbone (DESIGN §3 presets), written as functions of a parameter map so the
 * student (variables) and the teacher (EMA copies) share one forward pass.
 *
 * Speed choices for the wasm backend (bench/PRETRAIN_NOTES.md has the measurements):
 * - the residual stream stays a 2-D `[batch·tokens, dim]` matrix, so every linear layer is one
 *   plain 2-D matMul with a hand-written gradient (layers/linear.ts);
 * - patch embedding is a reshape + rank-4 transpose + linear layer, not a strided conv;
 * - positional embeddings for smaller crops are interpolated by a fixed bicubic matrix (computed
 *   once in JS), which is differentiable and backend-neutral.
 */
import * as tf from '@tensorflow/tfjs';
import { attention } from './layers/attention';
import { gelu } from './layers/gelu';
import { layerNorm } from './layers/layer-norm';
import { linear } from './layers/linear';
import type { ParamSpec, TensorMap } from './params';

export interface VitConfig {
  /** Input side in pixels of a global view. */
  imageSize: number;
  patchSize: number;
  dim: number;
  depth: number;
  heads: number;
  /** Hidden width of each block's MLP, as a multiple of dim. */
  mlpRatio: number;
}

export const VIT_PRESETS = {
  tiny: { imageSize: 64, patchSize: 8, dim: 192, depth: 6, heads: 3, mlpRatio: 4 },
  small: { imageSize: 112, patchSize: 8, dim: 384, depth: 12, heads: 6, mlpRatio: 4 },
  base: { imageSize: 224, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpRatio: 4 },
} as const satisfies Record<string, VitConfig>;

export type VitPreset = keyof typeof VIT_PRESETS;

export function vitParamSpecs(c: VitConfig): ParamSpec[] {
  const g = c.imageSize / c.patchSize;
  const d = c.dim;
  const h = d * c.mlpRatio;
  const patchIn = c.patchSize * c.patchSize * 3;
  const specs: ParamSpec[] = [
    { name: 'patch.w', shape: [patchIn, d], init: 'fanInUniform', decay: true },
    { name: 'patch.b', shape: [d], init: 'fanInUniform', fanIn: patchIn, decay: false },
    { name: 'cls', shape: [1, d], init: 'normal', decay: true },
    { name: 'pos', shape: [g * g + 1, d], init: 'normal', decay: true },
  ];
  for (let i = 0; i < c.depth; i++) {
    const p = `block${i}.`;
    specs.push(
      { name: `${p}norm1.g`, shape: [d], init: 'ones', decay: false },
      { name: `${p}norm1.b`, shape: [d], init: 'zeros', decay: false },
      { name: `${p}qkv.w`, shape: [d, 3 * d], init: 'normal', decay: true },
      { name: `${p}qkv.b`, shape: [3 * d], init: 'zeros', decay: false },
      { name: `${p}proj.w`, shape: [d, d], init: 'normal', decay: true },
      { name: `${p}proj.b`, shape: [d], init: 'zeros', decay: false },
      { name: `${p}norm2.g`, shape: [d], init: 'ones', decay: false },
      { name: `${p}norm2.b`, shape: [d], init: 'zeros', decay: false },
      { name: `${p}fc1.w`, shape: [d, h], init: 'normal', decay: true },
      { name: `${p}fc1.b`, shape: [h], init: 'zeros', decay: false },
      { name: `${p}fc2.w`, shape: [h, d], init: 'normal', decay: true },
      { name: `${p}fc2.b`, shape: [d], init: 'zeros', decay: false },
    );
  }
  specs.push(
    { name: 'norm.g', shape: [d], init: 'ones', decay: false },
    { name: 'norm.b', shape: [d], init: 'zeros', decay: false },
  );
  return specs;
}

/** Bicubic (a = −0.75, half-pixel centres, as PyTorch's align_corners=False) weights, 1-D. */
function cubicResizeMatrix(from: number, to: number): number[][] {
  const a = -0.75;
  const k = (x: number): number => {
    const t = Math.abs(x);
    if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
    if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
    return 0;
  };
  const m = Array.from({ length: to }, () => new Array<number>(from).fill(0));
  const scale = from / to;
  for (let i = 0; i < to; i++) {
    const src = (i + 0.5) * scale - 0.5;
    const base = Math.floor(src);
    for (let j = base - 1; j <= base + 2; j++) {
      const idx = Math.min(Math.max(j, 0), from - 1); // border replicate, as PyTorch
      m[i]![idx]! += k(src - j);
    }
  }
  return m;
}

/** `[to², from²]` matrix taking a `from×from` grid of embeddings to `to×to` (row-major grids). */
export function positionResizeMatrix(from: number, to: number): Float32Array {
  const r = cubicResizeMatrix(from, to);
  const out = new Float32Array(to * to * from * from);
  for (let y = 0; y < to; y++)
    for (let x = 0; x < to; x++)
      for (let sy = 0; sy < from; sy++)
        for (let sx = 0; sx < from; sx++)
          out[(y * to + x) * from * from + sy * from + sx] = r[y]![sy]! * r[x]![sx]!;
  return out;
}

const resizeCache = new Map<string, Float32Array>();

function positionsFor(c: VitConfig, params: TensorMap, grid: number): tf.Tensor2D {
  const pos = params.get('pos') as tf.Tensor2D;
  const g0 = c.imageSize / c.patchSize;
  if (grid === g0) return pos;
  const key = `${g0}->${grid}`;
  let m = resizeCache.get(key);
  if (!m) resizeCache.set(key, (m = positionResizeMatrix(g0, grid)));
  const [clsPos, patchPos] = tf.split(pos, [1, g0 * g0], 0) as [tf.Tensor2D, tf.Tensor2D];
  const resized = linear(tf.tensor2d(m, [grid * grid, g0 * g0]), patchPos);
  return tf.concat([clsPos, resized], 0);
}

/**
 * Images `[B, S, S, 3]` (S a multiple of the patch size) → the last block's tokens before the
 * final norm, `[B·(1 + g²), dim]`: row b·(1 + g²) is image b's CLS token, then its g² patches
 * row-major. Positional embeddings are resized when S differs from the preset's input (locals).
 */
function vitBlocks(
  c: VitConfig,
  params: TensorMap,
  images: tf.Tensor4D,
  afterBlock?: (block: number, x: tf.Tensor2D) => void,
): tf.Tensor2D {
  const [batch, size] = images.shape;
  const p = c.patchSize;
  const grid = size / p;
  const tokens = grid * grid + 1;
  const P = (name: string): tf.Tensor => params.get(name)!;
  // [B, S, S, 3] → [B·g, p, g, p·3] → [B·g, g, p, p·3] → [B·g·g, p·p·3]: rank-4 only.
  const patches = tf.reshape(
    tf.transpose(tf.reshape(images, [batch * grid, p, grid, p * 3]), [0, 2, 1, 3]),
    [batch * grid * grid, p * p * 3],
  );
  const embedded = tf.reshape(
    linear(patches as tf.Tensor2D, P('patch.w') as tf.Tensor2D, P('patch.b') as tf.Tensor1D),
    [batch, grid * grid, c.dim],
  );
  const cls = tf.broadcastTo(tf.reshape(P('cls'), [1, 1, c.dim]), [batch, 1, c.dim]);
  const withPos = tf.add(
    tf.concat([cls, embedded], 1),
    tf.reshape(positionsFor(c, params, grid), [1, tokens, c.dim]),
  );
  let x = tf.reshape(withPos, [batch * tokens, c.dim]) as tf.Tensor2D;
  for (let i = 0; i < c.depth; i++) {
    const b = `block${i}.`;
    const n1 = layerNorm(x, P(`${b}norm1.g`) as tf.Tensor1D, P(`${b}norm1.b`) as tf.Tensor1D);
    const qkv = linear(n1, P(`${b}qkv.w`) as tf.Tensor2D, P(`${b}qkv.b`) as tf.Tensor1D);
    const att = attention(qkv, batch, c.heads);
    x = tf.add(x, linear(att, P(`${b}proj.w`) as tf.Tensor2D, P(`${b}proj.b`) as tf.Tensor1D));
    const n2 = layerNorm(x, P(`${b}norm2.g`) as tf.Tensor1D, P(`${b}norm2.b`) as tf.Tensor1D);
    const hidden = gelu(linear(n2, P(`${b}fc1.w`) as tf.Tensor2D, P(`${b}fc1.b`) as tf.Tensor1D));
    x = tf.add(x, linear(hidden, P(`${b}fc2.w`) as tf.Tensor2D, P(`${b}fc2.b`) as tf.Tensor1D));
    afterBlock?.(i, x);
  }
  return x;
}

/** Images → every token after the final norm, `[B·(1 + g²), dim]` (the landmark head's input). */
export function vitTokens(c: VitConfig, params: TensorMap, images: tf.Tensor4D): tf.Tensor2D {
  const x = vitBlocks(c, params, images);
  return layerNorm(x, params.get('norm.g') as tf.Tensor1D, params.get('norm.b') as tf.Tensor1D);
}

/** Images `[B, S, S, 3]` (S a multiple of the patch size) → CLS features `[B, dim]`. */
export function vitForward(c: VitConfig, params: TensorMap, images: tf.Tensor4D): tf.Tensor2D {
  const batch = images.shape[0];
  const x = vitBlocks(c, params, images);
  const tokens = x.shape[0] / batch;
  // Only the CLS token feeds the head; layer norm is per token, so normalise just that row.
  const clsOut = tf.reshape(
    tf.slice(tf.reshape(x, [batch, tokens, c.dim]), [0, 0, 0], [batch, 1, c.dim]),
    [batch, c.dim],
  ) as tf.Tensor2D;
  return layerNorm(
    clsOut,
    params.get('norm.g') as tf.Tensor1D,
    params.get('norm.b') as tf.Tensor1D,
  );
}

/**
 * How a frozen backbone's tokens become one feature row per image: `cls` (the CLS token, what
 * the pre-training head sees), `cls+mean` (CLS beside the mean of the patch tokens, DINO's
 * linear evaluation of ViT-B: local cues such as a smile live in the patch tokens) or `cls4`
 * (the CLS tokens of the last four blocks, each through the final norm, side by side: DINO's
 * linear evaluation of ViT-S). `[B, dim]`, `[B, 2·dim]` or `[B, 4·dim]`; a list of poolings
 * gives their rows side by side from one pass through the blocks.
 */
export type FeaturePooling = 'cls' | 'cls+mean' | 'cls4';

/**
 * Blocks whose CLS tokens `cls4` concatenates (DINO's linear evaluation of ViT-S: the last 4;
 * every block of a shallower model).
 */
const CLS4_BLOCKS = 4;

/** One pooling, or several side by side in the order given, from one forward pass. */
export type FeaturePoolings = FeaturePooling | readonly FeaturePooling[];

/** The width of one pooling's rows for `c` (to split a row of several poolings). */
export function featureWidth(c: VitConfig, pooling: FeaturePooling): number {
  const parts = { cls: 1, 'cls+mean': 2, cls4: Math.min(CLS4_BLOCKS, c.depth) }[pooling];
  return parts * c.dim;
}

export function vitFeatures(
  c: VitConfig,
  params: TensorMap,
  images: tf.Tensor4D,
  pooling: FeaturePoolings,
): tf.Tensor2D {
  const poolings = typeof pooling === 'string' ? [pooling] : pooling;
  if (poolings.length === 1 && poolings[0] === 'cls') return vitForward(c, params, images);
  const batch = images.shape[0];
  const norm = (x: tf.Tensor2D): tf.Tensor2D =>
    layerNorm(x, params.get('norm.g') as tf.Tensor1D, params.get('norm.b') as tf.Tensor1D);
  const blockCls: tf.Tensor2D[] = [];
  const last = vitBlocks(c, params, images, (i, x) => {
    if (poolings.includes('cls4') && i >= c.depth - CLS4_BLOCKS)
      blockCls.push(norm(tf.gather(x, tf.range(0, x.shape[0], x.shape[0] / batch, 'int32'))));
  });
  const tokens = last.shape[0] / batch;
  const grid = tf.reshape(norm(last), [batch, tokens, c.dim]);
  const cls = tf.reshape(tf.slice(grid, [0, 0, 0], [batch, 1, c.dim]), [batch, c.dim]);
  const parts = poolings.map((p) => {
    if (p === 'cls') return cls;
    if (p === 'cls4') return tf.concat(blockCls, 1);
    return tf.concat([cls, tf.mean(tf.slice(grid, [0, 1, 0], [batch, tokens - 1, c.dim]), 1)], 1);
  });
  return tf.concat(parts, 1) as tf.Tensor2D;
}
