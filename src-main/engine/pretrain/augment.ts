/**
 * The multi-crop augmentation of DESIGN §4 as batched tensor ops: every random choice is drawn
 * per view row from a seeded Rng in JS, then applied to the whole batch at once.
 *
 * Views are view-major: `globals` = [global 1 of every image; global 2 of every image], `locals`
 * likewise. Images come in as `[B, S, S, 3]` floats in [0, 1] at any S; views go out normalised
 * with the ImageNet mean and std.
 *
 * | step | how |
 * |---|---|
 * | random resized crop + flip | `tf.image.cropAndResize`, one box per row; a flip swaps x1/x2 |
 * | colour jitter p=0.8 | brightness, contrast, hue (YIQ rotation), saturation — fixed order; `colourJitter` scales the ranges |
 * | greyscale p=0.2 | saturation factor 0 |
 * | Gaussian blur | separable depthwise conv, batch folded into channels so each row has its own σ |
 * | solarise p=`solarize` (global 2; 0.2) | x ≥ 0.5 → 1 − x on the chosen rows |
 */
import * as tf from '@tensorflow/tfjs';
import { normaliseImages } from '../model/normalise';
import type { Rng } from '../model/rng';

export interface AugmentConfig {
  globalSize: number;
  localSize: number;
  localCrops: number;
  globalScale: readonly [number, number];
  localScale: readonly [number, number];
  /**
   * Strength of the colour jitter, a multiple of DESIGN §4's (brightness 0.4, contrast 0.4,
   * saturation 0.2, hue 0.1): 1 is DINO's, 0 keeps the colours (greyscale still applies).
   */
  colourJitter: number;
  /** Probability of solarising global view 2 (DINO's 0.2). */
  solarize: number;
}

export interface Views {
  globals: tf.Tensor4D;
  locals: tf.Tensor4D | null;
}

/** Blur σ range in pixels of DINO's 224-px (global) / 96-px (local) crops, scaled to our sizes. */
const SIGMA: readonly [number, number] = [0.1, 2.0];

interface RowPlan {
  box: [number, number, number, number];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  sigma: number;
  solarize: boolean;
}

/** torchvision's RandomResizedCrop box in normalised coordinates (square source). */
function cropBox(rng: Rng, scale: readonly [number, number]): [number, number, number, number] {
  const logRatio = [Math.log(3 / 4), Math.log(4 / 3)] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = rng.uniform(scale[0], scale[1]);
    const ratio = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = Math.sqrt(area * ratio);
    const h = Math.sqrt(area / ratio);
    if (w <= 1 && h <= 1) {
      const y = rng.uniform(0, 1 - h);
      const x = rng.uniform(0, 1 - w);
      return [y, x, y + h, x + w];
    }
  }
  return [0, 0, 1, 1];
}

function planRow(
  rng: Rng,
  scale: readonly [number, number],
  blurP: number,
  solarizeP: number,
  sigmaScale: number,
  strength: number,
): RowPlan {
  const [y1, x1, y2, x2] = cropBox(rng, scale);
  const flip = rng.chance(0.5);
  const jitter = rng.chance(0.8);
  const around = (centre: number, spread: number): number =>
    jitter ? rng.uniform(centre - spread * strength, centre + spread * strength) : centre;
  const plan: RowPlan = {
    box: flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2],
    brightness: around(1, 0.4),
    contrast: around(1, 0.4),
    saturation: around(1, 0.2),
    hue: around(0, 0.1),
    sigma: 0,
    solarize: false,
  };
  if (rng.chance(0.2)) plan.saturation = 0;
  if (rng.chance(blurP)) plan.sigma = rng.uniform(SIGMA[0], SIGMA[1]) * sigmaScale;
  plan.solarize = rng.chance(solarizeP);
  return plan;
}

const GREY = [0.299, 0.587, 0.114];

/** RGB → YIQ, rotate the chroma plane by 2π·hue, back: one 3×3 matrix per row (row-vector form). */
function hueMatrix(hue: number): number[] {
  const t = [
    [0.299, 0.587, 0.114],
    [0.596, -0.274, -0.322],
    [0.211, -0.523, 0.312],
  ];
  const ti = [
    [1, 0.956, 0.621],
    [1, -0.272, -0.647],
    [1, -1.106, 1.703],
  ];
  const c = Math.cos(2 * Math.PI * hue);
  const s = Math.sin(2 * Math.PI * hue);
  const r = [
    [1, 0, 0],
    [0, c, -s],
    [0, s, c],
  ];
  const mul = (a: number[][], b: number[][]): number[][] =>
    a.map((row) => b[0]!.map((_, j) => row.reduce((acc, v, k) => acc + v * b[k]![j]!, 0)));
  const m = mul(ti, mul(r, t)); // column-vector form: out = m · rgb
  return [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => m[j]![i]!)); // transposed for x · mᵀ
}

function gaussianKernels(sigmas: number[], radius: number): Float32Array {
  // Layout [K, rows·3]: tap-major, then row, then channel (depthwise filter [1, K, C, 1]).
  const k = 2 * radius + 1;
  const out = new Float32Array(k * sigmas.length * 3);
  sigmas.forEach((sigma, row) => {
    const w: number[] = [];
    for (let i = -radius; i <= radius; i++)
      w.push(sigma > 0 ? Math.exp(-(i * i) / (2 * sigma * sigma)) : i === 0 ? 1 : 0);
    const sum = w.reduce((a, b) => a + b, 0);
    w.forEach((v, tap) => {
      for (let ch = 0; ch < 3; ch++) out[tap * sigmas.length * 3 + row * 3 + ch] = v / sum;
    });
  });
  return out;
}

function blur(x: tf.Tensor4D, sigmas: number[], radius: number): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const k = 2 * radius + 1;
  const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * 3]) as tf.Tensor4D;
  const taps = gaussianKernels(sigmas, radius);
  const horiz = tf.tensor4d(taps, [1, k, n * 3, 1]);
  const vert = tf.tensor4d(taps, [k, 1, n * 3, 1]);
  const padded = tf.mirrorPad(
    folded,
    [
      [0, 0],
      [radius, radius],
      [radius, radius],
      [0, 0],
    ],
    'reflect',
  );
  const out = tf.depthwiseConv2d(tf.depthwiseConv2d(padded, horiz, 1, 'valid'), vert, 1, 'valid');
  return tf.transpose(tf.reshape(out, [h, w, n, 3]), [2, 0, 1, 3]) as tf.Tensor4D;
}

function applyPlans(
  images: tf.Tensor4D,
  plans: RowPlan[],
  rowsPerView: number,
  size: number,
  radius: number,
): tf.Tensor4D {
  const n = plans.length;
  const col = (f: (p: RowPlan) => number): tf.Tensor4D => tf.tensor4d(plans.map(f), [n, 1, 1, 1]);
  const boxInd = plans.map((_, i) => i % rowsPerView);
  let x = tf.image.cropAndResize(
    images,
    plans.map((p) => p.box),
    boxInd,
    [size, size],
    'bilinear',
  );
  x = tf.clipByValue(
    tf.mul(
      x,
      col((p) => p.brightness),
    ),
    0,
    1,
  ) as tf.Tensor4D;
  const grey = (t: tf.Tensor4D): tf.Tensor4D => tf.sum(tf.mul(t, GREY), 3, true) as tf.Tensor4D;
  const meanGrey = tf.mean(grey(x), [1, 2, 3], true);
  x = tf.clipByValue(
    tf.add(
      tf.mul(
        tf.sub(x, meanGrey),
        col((p) => p.contrast),
      ),
      meanGrey,
    ),
    0,
    1,
  ) as tf.Tensor4D;
  const hue = tf.tensor3d(
    plans.flatMap((p) => hueMatrix(p.hue)),
    [n, 3, 3],
  );
  x = tf.clipByValue(
    tf.reshape(tf.matMul(tf.reshape(x, [n, size * size, 3]), hue), [n, size, size, 3]),
    0,
    1,
  ) as tf.Tensor4D;
  const g = grey(x);
  x = tf.clipByValue(
    tf.add(
      g,
      tf.mul(
        tf.sub(x, g),
        col((p) => p.saturation),
      ),
    ),
    0,
    1,
  ) as tf.Tensor4D;
  if (plans.some((p) => p.sigma > 0))
    x = blur(
      x,
      plans.map((p) => p.sigma),
      radius,
    );
  if (plans.some((p) => p.solarize)) {
    const mask = tf.logicalAnd(
      tf.greaterEqual(x, 0.5),
      tf.cast(
        col((p) => (p.solarize ? 1 : 0)),
        'bool',
      ),
    );
    x = tf.where(mask, tf.sub(1, x), x) as tf.Tensor4D;
  }
  return normaliseImages(x);
}

/** All views of a batch; call inside tf.tidy. */
export function makeViews(images: tf.Tensor4D, rng: Rng, c: AugmentConfig): Views {
  const b = images.shape[0];
  const sigmaScale = c.globalSize / 224;
  const radius = Math.max(1, Math.ceil(3 * SIGMA[1] * sigmaScale));
  const globalPlans = [
    ...Array.from({ length: b }, () =>
      planRow(rng, c.globalScale, 1.0, 0, sigmaScale, c.colourJitter),
    ),
    ...Array.from({ length: b }, () =>
      planRow(rng, c.globalScale, 0.1, c.solarize, sigmaScale, c.colourJitter),
    ),
  ];
  const globals = applyPlans(images, globalPlans, b, c.globalSize, radius);
  if (c.localCrops === 0) return { globals, locals: null };
  const localSigma = c.localSize / 96;
  const localRadius = Math.max(1, Math.ceil(3 * SIGMA[1] * localSigma));
  const localPlans = Array.from({ length: b * c.localCrops }, () =>
    planRow(rng, c.localScale, 0.5, 0, localSigma, c.colourJitter),
  );
  return { globals, locals: applyPlans(images, localPlans, b, c.localSize, localRadius) };
}
