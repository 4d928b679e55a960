/**
 * The landmark head (DESIGN §5): patch tokens → a g×g grid → two ×2 up-sampling steps → one
 * heatmap per point → soft-argmax coordinates in 0..1 of the crop → L1 loss (+ an optional
 * heatmap loss against Gaussians centred on the true points).
 *
 * Each up-sampling step is a transposed convolution with kernel 2 and stride 2. Such a layer maps
 * every input cell to its own 2×2 output block, so it is exactly a linear layer `[C, 4·C']`
 * followed by a depth-to-space rearrangement — which on wasm runs as one plain 2-D matMul (the
 * XNNPACK path, custom gradient in layers/linear.ts) plus a rank-4 transpose, instead of
 * `conv2dTranspose`, whose gradients are convolutions that wasm runs far slower.
 *
 * Coordinates: a point at pixel x (0-based, pixel centres on integers) of an S-px crop is
 * u = (x + 0.5) / S; heatmap cell j of W has its centre at (j + 0.5) / W, so both agree.
 */
import * as tf from '@tensorflow/tfjs';
import { gelu } from '../model/layers/gelu';
import { linear } from '../model/layers/linear';
import type { ParamSpec, TensorMap } from '../model/params';

export interface LandmarkHeadConfig {
  /** Token width of the backbone. */
  inputDim: number;
  /** Patch grid side g (input size / patch size). */
  grid: number;
  /** Points in the schema: one heatmap each. */
  points: number;
  /** Channels after the first and the second up-sampling step. */
  channels: readonly [number, number];
  /** Softmax sharpness applied to the heatmap logits before soft-argmax. */
  temperature: number;
  /** Side of the token neighbourhood the first up-sampling step sees: 1 = its own token only,
   * 3 = the 3×3 tokens around it (zero beyond the grid's edge). */
  context: number;
  /** Channels each token is projected to before its neighbourhood is gathered (a low-rank k×k
   * convolution, k²× cheaper than one on the full token width); 0 = no projection. */
  contextChannels: number;
}

const P = 'landmarks.';

export function landmarkHeadSpecs(c: LandmarkHeadConfig): ParamSpec[] {
  const [c1, c2] = c.channels;
  return [
    ...(c.contextChannels > 0
      ? [
          {
            name: `${P}mix.w`,
            shape: [c.inputDim, c.contextChannels],
            init: 'normal' as const,
            decay: true,
          },
          { name: `${P}mix.b`, shape: [c.contextChannels], init: 'zeros' as const, decay: false },
        ]
      : []),
    {
      name: `${P}up1.w`,
      shape: [c.context ** 2 * (c.contextChannels || c.inputDim), 4 * c1],
      init: 'normal',
      decay: true,
    },
    { name: `${P}up1.b`, shape: [4 * c1], init: 'zeros', decay: false },
    { name: `${P}up2.w`, shape: [c1, 4 * c2], init: 'normal', decay: true },
    { name: `${P}up2.b`, shape: [4 * c2], init: 'zeros', decay: false },
    { name: `${P}out.w`, shape: [c2, c.points], init: 'normal', decay: true },
    { name: `${P}out.b`, shape: [c.points], init: 'zeros', decay: false },
    // A learnable heatmap prior per point (logits added to every face's): it holds where each
    // point usually is, so the features only have to explain the offset from the mean shape.
    {
      name: `${P}prior`,
      shape: [c.points, heatmapSide(c) ** 2],
      init: 'zeros',
      decay: false,
    },
  ];
}

/** Heatmap side in cells: the patch grid up-sampled twice by 2. */
export function heatmapSide(c: LandmarkHeadConfig): number {
  return c.grid * 4;
}

/**
 * Depth to space by 2 on row-major cell rows: `[B·s·s, 4·C]` with channels ordered (dy, dx, c) →
 * `[B·2s·2s, C]`, row-major over the 2s×2s grid. Rank ≤ 4 throughout (DESIGN §9).
 */
function depthToSpace(x: tf.Tensor2D, batch: number, side: number): tf.Tensor2D {
  const c = x.shape[1] / 4;
  const t = tf.transpose(tf.reshape(x, [batch * side, side, 2, 2 * c]), [0, 2, 1, 3]);
  return tf.reshape(t, [batch * 4 * side * side, c]);
}

const neighbourCache = new Map<string, Float32Array>();

/**
 * `[k²·g², g²]` 0/1 matrix: row `o·g² + cell` picks the token at offset o (row-major over the k×k
 * window) from that cell, or nothing where the window runs past the grid's edge.
 */
export function neighbourMatrix(grid: number, k: number): Float32Array {
  const key = `${grid}/${k}`;
  const cached = neighbourCache.get(key);
  if (cached) return cached;
  const cells = grid * grid;
  const r = (k - 1) / 2;
  const m = new Float32Array(k * k * cells * cells);
  for (let dy = 0; dy < k; dy++)
    for (let dx = 0; dx < k; dx++)
      for (let y = 0; y < grid; y++)
        for (let x = 0; x < grid; x++) {
          const [sy, sx] = [y + dy - r, x + dx - r];
          if (sy < 0 || sx < 0 || sy >= grid || sx >= grid) continue;
          m[((dy * k + dx) * cells + y * grid + x) * cells + sy * grid + sx] = 1;
        }
  neighbourCache.set(key, m);
  return m;
}

/**
 * Each token of a `[B·g², C]` grid beside its k×k neighbours → `[B·g², k²·C]` (neighbours in
 * row-major order, zeros beyond the edge): a k×k convolution's input as one 2-D matrix, so the
 * layer after it stays a plain matMul. The gathering itself is one plain matMul by a constant
 * 0/1 matrix over the cells (XNNPACK's path, and an op every exporter has), with rank-4
 * transposes around it (DESIGN §9), not pad + k² slices + concat, which ran slower on wasm.
 */
export function tokenNeighbourhood(
  patches: tf.Tensor2D,
  batch: number,
  grid: number,
  k: number,
): tf.Tensor2D {
  if (k === 1) return patches;
  const dim = patches.shape[1];
  const cells = grid * grid;
  const byCell = tf.reshape(tf.transpose(tf.reshape(patches, [batch, cells, dim]), [1, 0, 2]), [
    cells,
    batch * dim,
  ]) as tf.Tensor2D;
  const gathered = linear(tf.tensor2d(neighbourMatrix(grid, k), [k * k * cells, cells]), byCell);
  return tf.reshape(tf.transpose(tf.reshape(gathered, [k * k, cells, batch, dim]), [2, 1, 0, 3]), [
    batch * cells,
    k * k * dim,
  ]) as tf.Tensor2D;
}

/** Cell centres `[W·W, 2]` as (x, y) in 0..1, row-major. */
function cellCentres(side: number): tf.Tensor2D {
  const v = new Float32Array(side * side * 2);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      v[2 * (y * side + x)] = (x + 0.5) / side;
      v[2 * (y * side + x) + 1] = (y + 0.5) / side;
    }
  return tf.tensor2d(v, [side * side, 2]);
}

/**
 * Soft-argmax of heatmap logits `[rows, W·W]` (one row per face and point) → expected (x, y) in
 * 0..1 of the crop, `[rows, 2]`: the probability-weighted mean of the cell centres.
 */
export function softArgmax(logits: tf.Tensor2D, side: number): tf.Tensor2D {
  return linear(tf.softmax(logits), cellCentres(side));
}

export interface LandmarkHeadOutput {
  /** Heatmap logits (already scaled by the temperature), `[B·points, W·W]`. */
  logits: tf.Tensor2D;
  /** Coordinates `[B, points·2]` as x0, y0, x1, y1, … in 0..1 of the crop. */
  coords: tf.Tensor2D;
}

/** Patch tokens `[B·g², dim]` (image-major, row-major grid) → heatmaps and coordinates. */
export function landmarkHeadForward(
  c: LandmarkHeadConfig,
  params: TensorMap,
  patches: tf.Tensor2D,
  batch: number,
): LandmarkHeadOutput {
  const W = (n: string): tf.Tensor2D => params.get(P + n) as tf.Tensor2D;
  const B = (n: string): tf.Tensor1D => params.get(P + n) as tf.Tensor1D;
  const g = c.grid;
  const mixed = c.contextChannels > 0 ? linear(patches, W('mix.w'), B('mix.b')) : patches;
  const seen = tokenNeighbourhood(mixed, batch, g, c.context);
  const up1 = depthToSpace(gelu(linear(seen, W('up1.w'), B('up1.b'))), batch, g);
  const up2 = depthToSpace(gelu(linear(up1, W('up2.w'), B('up2.b'))), batch, 2 * g);
  const side = heatmapSide(c);
  const cells = side * side;
  const perCell = tf.mul(linear(up2, W('out.w'), B('out.b')), c.temperature); // [B·W·W, K]
  const logits = tf.reshape(
    tf.add(
      tf.transpose(tf.reshape(perCell, [batch, cells, c.points]), [0, 2, 1]),
      params.get(`${P}prior`)!,
    ),
    [batch * c.points, cells],
  ) as tf.Tensor2D;
  const coords = tf.reshape(softArgmax(logits, side), [batch, c.points * 2]) as tf.Tensor2D;
  return { logits, coords };
}

/**
 * Prior logits `[points·W·W]` that put each point's soft-argmax at the mean of `labels` (`[n·K·2]`,
 * normalised): the log of a Gaussian (σ in cells) around each mean point. Used to start a fresh
 * head at the mean shape instead of at the crop centre.
 */
export function meanShapePrior(
  labels: Float32Array,
  points: number,
  side: number,
  sigma: number,
): Float32Array {
  const mean = new Float32Array(2 * points);
  const faces = labels.length / (2 * points);
  for (let i = 0; i < labels.length; i++) mean[i % (2 * points)]! += labels[i]! / faces;
  const out = new Float32Array(points * side * side);
  for (let k = 0; k < points; k++) {
    const cx = mean[2 * k]! * side - 0.5;
    const cy = mean[2 * k + 1]! * side - 0.5;
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++)
        out[k * side * side + y * side + x] =
          -((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma);
  }
  return out;
}

/**
 * Target heatmaps: per face and point a Gaussian (σ in cells) around the true point, normalised
 * to sum 1, `[B·points, W·W]` — the distribution the heatmap loss pulls the softmax toward.
 */
export function gaussianTargets(coords: Float32Array, side: number, sigma: number): tf.Tensor2D {
  const rows = coords.length / 2;
  const out = new Float32Array(rows * side * side);
  for (let r = 0; r < rows; r++) {
    const cx = coords[2 * r]! * side - 0.5;
    const cy = coords[2 * r + 1]! * side - 0.5;
    let sum = 0;
    const base = r * side * side;
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const v = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
        out[base + y * side + x] = v;
        sum += v;
      }
    for (let i = 0; i < side * side; i++) out[base + i]! /= sum || 1;
  }
  return tf.tensor2d(out, [rows, side * side]);
}

/**
 * L1 on normalised coordinates (mean over faces, points and axes), plus `heatmapWeight` × the
 * cross-entropy between the Gaussian targets and the heatmap softmax (mean over face-points).
 */
export function landmarkLoss(
  out: LandmarkHeadOutput,
  target: tf.Tensor2D,
  targetFlat: Float32Array,
  side: number,
  heatmapWeight: number,
  sigma: number,
): tf.Scalar {
  const l1 = tf.mean(tf.abs(tf.sub(out.coords, target)));
  if (heatmapWeight <= 0) return l1 as tf.Scalar;
  const t = gaussianTargets(targetFlat, side, sigma);
  const ce = tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(out.logits)), 1)));
  return tf.add(l1, tf.mul(ce, heatmapWeight)) as tf.Scalar;
}
