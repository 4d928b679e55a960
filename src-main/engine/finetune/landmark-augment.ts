/**
 * Augmentations for fine-tuning (DESIGN §5): a horizontal flip that swaps the schema's mirror
 * pairs, rotation, scale and shift, and colour jitter. For landmarks the geometric part is one
 * affine matrix per face, built once in JS and applied both to the image (`tf.image.transform`,
 * batched) and to the points — the same matrix, so image and points cannot drift apart.
 *
 * Points are normalised crop coordinates: pixel x of an S-px crop is u = (x + 0.5) / S, so a flip
 * is u → 1 − u (pixel x → S − 1 − x) and rotations and scales act about the crop centre u = 0.5.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../model/rng';

export interface FinetuneAugmentConfig {
  /** Probability of a horizontal flip (mirror pairs swapped). */
  flip: number;
  /** Rotation range ± in degrees. */
  rotation: number;
  /** Zoom factor range [lo, hi] (1 = unchanged, > 1 = face larger). */
  scale: readonly [number, number];
  /** Shift range ± as a fraction of the crop side. */
  shift: number;
  /** Colour jitter strength: brightness, contrast and saturation factors in 1 ± this. */
  colour: number;
}

/** `flipped[i]` = points[flip[i]] mirrored: the flip index maps each point to its partner. */
export function flipPoints(points: ArrayLike<number>, flip: readonly number[]): Float32Array {
  const out = new Float32Array(points.length);
  const k = flip.length;
  for (let face = 0; face < points.length / (2 * k); face++)
    for (let i = 0; i < k; i++) {
      const src = face * k + flip[i]!;
      out[2 * (face * k + i)] = 1 - points[2 * src]!;
      out[2 * (face * k + i) + 1] = points[2 * src + 1]!;
    }
  return out;
}

/** One face's geometric augmentation: `u_out = m · (u_in − 0.5) + 0.5 + t`, with its flip. */
export interface AffinePlan {
  flip: boolean;
  /** 2×2 row-major, the flip already folded in. */
  m: [number, number, number, number];
  t: [number, number];
}

export function planAffine(rng: Rng, c: FinetuneAugmentConfig): AffinePlan {
  const flip = rng.chance(c.flip);
  const angle = (rng.uniform(-c.rotation, c.rotation) * Math.PI) / 180;
  const s = rng.uniform(c.scale[0], c.scale[1]);
  const cos = s * Math.cos(angle);
  const sin = s * Math.sin(angle);
  const f = flip ? -1 : 1; // a flip negates the input's x before rotating
  return {
    flip,
    m: [cos * f, -sin, sin * f, cos],
    t: [rng.uniform(-c.shift, c.shift), rng.uniform(-c.shift, c.shift)],
  };
}

export const IDENTITY_PLAN: AffinePlan = { flip: false, m: [1, 0, 0, 1], t: [0, 0] };

/** Applies a plan to one face's points (normalised), reordering mirror pairs on a flip. */
export function transformPoints(
  points: ArrayLike<number>,
  plan: AffinePlan,
  flip: readonly number[],
): Float32Array {
  const k = flip.length;
  const out = new Float32Array(2 * k);
  const [a, b, c, d] = plan.m;
  for (let i = 0; i < k; i++) {
    const src = plan.flip ? flip[i]! : i;
    const x = points[2 * src]! - 0.5;
    const y = points[2 * src + 1]! - 0.5;
    out[2 * i] = a * x + b * y + 0.5 + plan.t[0];
    out[2 * i + 1] = c * x + d * y + 0.5 + plan.t[1];
  }
  return out;
}

/**
 * `tf.image.transform`'s 8 numbers for a plan on an S-px image: they map each output pixel to the
 * input pixel it samples, i.e. the inverse of the plan, in pixel units (centre (S − 1) / 2).
 */
export function imageTransformOf(plan: AffinePlan, size: number): number[] {
  const [a, b, c, d] = plan.m;
  const det = a * d - b * c;
  const [i00, i01, i10, i11] = [d / det, -b / det, -c / det, a / det];
  const centre = (size - 1) / 2;
  const dx = centre + size * plan.t[0];
  const dy = centre + size * plan.t[1];
  return [i00, i01, centre - i00 * dx - i01 * dy, i10, i11, centre - i10 * dx - i11 * dy, 0, 0];
}

/** Brightness, contrast and saturation jitter per row; `[B, S, S, 3]` in [0, 1]. */
function colourJitter(images: tf.Tensor4D, rng: Rng, strength: number): tf.Tensor4D {
  if (strength <= 0) return images;
  const n = images.shape[0];
  const factors = (): tf.Tensor4D =>
    tf.tensor4d(
      Array.from({ length: n }, () => rng.uniform(1 - strength, 1 + strength)),
      [n, 1, 1, 1],
    );
  const grey = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(t, [0.299, 0.587, 0.114]), 3, true);
  let x: tf.Tensor = tf.mul(images, factors());
  const meanGrey = tf.mean(grey(x), [1, 2, 3], true);
  x = tf.add(tf.mul(tf.sub(x, meanGrey), factors()), meanGrey);
  const g = grey(x);
  x = tf.add(g, tf.mul(tf.sub(x, g), factors()));
  return tf.clipByValue(x, 0, 1) as tf.Tensor4D;
}

/**
 * A landmark batch augmented: images `[B, S, S, 3]` in [0, 1] and points `[B·K·2]` normalised →
 * the same, each face under its own random plan. Call inside tf.tidy.
 */
export function augmentLandmarkBatch(
  images: tf.Tensor4D,
  points: Float32Array,
  flip: readonly number[],
  rng: Rng,
  c: FinetuneAugmentConfig,
): { images: tf.Tensor4D; points: Float32Array } {
  const [n, size] = images.shape;
  const k = flip.length;
  const plans = Array.from({ length: n }, () => planAffine(rng, c));
  const moved = tf.image.transform(
    images,
    tf.tensor2d(
      plans.flatMap((p) => imageTransformOf(p, size)),
      [n, 8],
    ),
    'bilinear',
    'nearest',
  );
  const out = new Float32Array(points.length);
  plans.forEach((p, i) =>
    out.set(transformPoints(points.subarray(i * 2 * k, (i + 1) * 2 * k), p, flip), i * 2 * k),
  );
  return { images: colourJitter(moved, rng, c.colour), points: out };
}

/** Attribute and expression batches: flips and colour only (their labels do not move). */
export function augmentClassBatch(
  images: tf.Tensor4D,
  rng: Rng,
  c: FinetuneAugmentConfig,
): tf.Tensor4D {
  const n = images.shape[0];
  const rows = tf.split(images, n, 0).map((row) => (rng.chance(c.flip) ? tf.reverse(row, 2) : row));
  return colourJitter(tf.concat(rows, 0) as tf.Tensor4D, rng, c.colour);
}
