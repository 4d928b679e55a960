/**
 * Ridge regression in closed form, in the dual (kernel) form because few-shot fits have far fewer
 * rows than features, with the penalty chosen by grouped leave-one-out: a face and its mirrored
 * copy are one group, left out together, so the mirror cannot leak the answer
 * (docs/ARCHITECTURE.md, "Training recipe").
 *
 * With centred rows X (n×d), targets Y (n×m) and C = (XXᵀ + λI)⁻¹, the fit is α = C·Y,
 * W = Xᵀα, and the residual of group G when G is left out is C_GG⁻¹ · α_G (the block form of the
 * hat-matrix shortcut, since I − H = λC). Float64 throughout; Cholesky for the solves.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { matMulTransposedB } from '../model/mat-mul-transposed';

/** Lower-triangular Cholesky factor of the symmetric positive-definite n×n `a` (row-major). */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      const ri = i * n;
      const rj = j * n;
      for (let k = 0; k < j; k++) sum -= l[ri + k]! * l[rj + k]!;
      if (i === j) {
        if (!(sum > 0)) {
          throw new StudioError('internal', 'Ridge: the kernel matrix is not positive definite');
        }
        l[ri + i] = Math.sqrt(sum);
      } else {
        l[ri + j] = sum / l[rj + j]!;
      }
    }
  }
  return l;
}

/** Inverse of the SPD matrix whose Cholesky factor is `l` (n×n). */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // L⁻¹ (lower), then C = L⁻ᵀ L⁻¹.
  const li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    li[i * n + i] = 1 / l[i * n + i]!;
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = sum / l[i * n + i]!;
    }
  }
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < n; k++) sum += li[k * n + i]! * li[k * n + j]!;
      c[i * n + j] = sum;
      c[j * n + i] = sum;
    }
  }
  return c;
}

/** `a` (r×k) · `b` (k×c), row-major. */
export function matMul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  r: number,
  k: number,
  c: number,
): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const o = i * c;
    for (let t = 0; t < k; t++) {
      const v = a[i * k + t]!;
      if (v === 0) continue;
      const bt = t * c;
      for (let j = 0; j < c; j++) out[o + j] = out[o + j]! + v * b[bt + j]!;
    }
  }
  return out;
}

/**
 * X·Xᵀ for row-major X (n×d): on the TF.js backend (wide rows), symmetrised, as Float64. Read
 * asynchronously, as a GPU backend in Node needs (docs/ARCHITECTURE.md, "Backends and speed").
 */
export async function gram(x: ArrayLike<number>, n: number, d: number): Promise<Float64Array> {
  const product = tf.tidy(() => {
    const t = tf.tensor2d(Float32Array.from(x), [n, d]);
    return matMulTransposedB(t, t);
  });
  const values = await product.data();
  product.dispose();
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = (values[i * n + j]! + values[j * n + i]!) / 2;
      g[i * n + j] = v;
      g[j * n + i] = v;
    }
  }
  return g;
}

/**
 * Products with the wide feature matrix X (n×d, d in the tens of thousands) on the TF.js backend:
 * Xᵀ·B (d×m, B n×m) when `transposeX`, else X·B (n×m, B d×m). Float32 inside, as `gram`.
 */
async function wideMatMul(
  x: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  d: number,
  m: number,
  transposeX: boolean,
): Promise<Float64Array> {
  const product = tf.tidy(() =>
    tf.matMul(
      tf.tensor2d(Float32Array.from(x), [n, d]),
      tf.tensor2d(Float32Array.from(b), transposeX ? [n, m] : [d, m]),
      transposeX,
      false,
    ),
  );
  const values = await product.data();
  product.dispose();
  return Float64Array.from(values);
}

export interface RidgeFit {
  /** d×m weights on centred features. */
  weights: Float64Array;
  /** Means subtracted from features (d) and targets (m). */
  xMean: Float64Array;
  yMean: Float64Array;
  /** The chosen penalty, relative to the kernel's mean diagonal. */
  lambda: number;
  /** Rows whose leave-one-group-out residual is known (all rows unless subsampled). */
  looRows: number[];
  /** Leave-one-group-out residuals (|looRows|×m), the held-out error of those rows. */
  looResiduals: Float64Array;
  /** Mean squared LOO residual of each λ tried, in the order of the λ grid. */
  looScores: number[];
}

export interface RidgeOptions {
  /** Relative penalties tried (× the kernel's mean diagonal, so units drop out). */
  lambdas: readonly number[];
  /** Rows counted in the LOO score (default all), e.g. originals but not their mirrors. */
  scoreRows?: readonly boolean[];
  /**
   * Above this many rows, λ is chosen (and LOO residuals computed) on an even subset of the
   * groups of about this many rows, then the fit uses every row. The best penalty estimates the
   * noise-to-prior variance ratio, which does not depend on the number of rows, so it carries
   * over; the subset keeps the O(n³) inverse affordable on 2 cores.
   */
  maxLooRows?: number;
}

/**
 * Fits Y ≈ (X − x̄)·W + ȳ. `groups[i]` is row i's group id (rows of one group are left out
 * together). λ is the one of `options.lambdas` with the lowest LOO error.
 */
export async function fitRidge(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  d: number,
  m: number,
  groups: readonly number[],
  options: RidgeOptions,
): Promise<RidgeFit> {
  return (await fitRidgeWithGram(x, y, n, d, m, groups, options)).fit;
}

/** `fitRidge`, also handing back the gram of the rows (n×n) for `kernelFoldPredict`. */
export async function fitRidgeWithGram(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  d: number,
  m: number,
  groups: readonly number[],
  options: RidgeOptions,
): Promise<{ fit: RidgeFit; gram: Float64Array }> {
  if (n < 2) throw new StudioError('invalid-payload', `Ridge needs at least 2 rows, got ${n}`);
  if (x.length !== n * d || y.length !== n * m || groups.length !== n) {
    throw new StudioError(
      'invalid-payload',
      `Ridge: ${x.length} features, ${y.length} targets, ${groups.length} groups for ${n} rows of ${d} → ${m}`,
    );
  }
  const xMean = new Float64Array(d);
  const yMean = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) xMean[t] = xMean[t]! + x[i * d + t]! / n;
    for (let t = 0; t < m; t++) yMean[t] = yMean[t]! + y[i * m + t]! / n;
  }
  const xc = new Float64Array(n * d);
  const yc = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) xc[i * d + t] = x[i * d + t]! - xMean[t]!;
    for (let t = 0; t < m; t++) yc[i * m + t] = y[i * m + t]! - yMean[t]!;
  }
  const k = await gram(xc, n, d);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += k[i * n + i]!;
  const unit = trace / n || 1;

  // The rows λ is chosen on: every row, or whole groups spread evenly over the data.
  const groupIds = [...new Set(groups)];
  const maxRows = options.maxLooRows ?? Infinity;
  let looRows = Array.from({ length: n }, (_, i) => i);
  if (n > maxRows) {
    const keepEvery = Math.ceil(n / maxRows);
    const kept = new Set(groupIds.filter((_, i) => i % keepEvery === 0));
    looRows = looRows.filter((i) => kept.has(groups[i]!));
  }
  const s = looRows.length;
  const ks = new Float64Array(s * s);
  looRows.forEach((r, i) => looRows.forEach((c, j) => (ks[i * s + j] = k[r * n + c]!)));
  const ys = new Float64Array(s * m);
  looRows.forEach((r, i) => ys.set(yc.subarray(r * m, (r + 1) * m), i * m));
  const members = new Map<number, number[]>();
  looRows.forEach((r, i) => members.set(groups[r]!, [...(members.get(groups[r]!) ?? []), i]));

  let best: { lambda: number; loo: Float64Array; score: number } | null = null;
  const looScores: number[] = [];
  for (const rel of options.lambdas) {
    const a = Float64Array.from(ks);
    for (let i = 0; i < s; i++) a[i * s + i] = a[i * s + i]! + rel * unit;
    const c = choleskyInverse(cholesky(a, s), s);
    const alpha = matMul(c, ys, s, s, m);
    const loo = new Float64Array(s * m);
    for (const rows of members.values()) {
      const g = rows.length;
      const block = new Float64Array(g * g);
      rows.forEach((r, p) => rows.forEach((q, t) => (block[p * g + t] = c[r * s + q]!)));
      const inv = choleskyInverse(cholesky(block, g), g);
      for (let p = 0; p < g; p++) {
        for (let t = 0; t < m; t++) {
          let sum = 0;
          for (let q = 0; q < g; q++) sum += inv[p * g + q]! * alpha[rows[q]! * m + t]!;
          loo[rows[p]! * m + t] = sum;
        }
      }
    }
    let score = 0;
    let counted = 0;
    looRows.forEach((r, i) => {
      if (options.scoreRows && !options.scoreRows[r]) return;
      counted++;
      for (let t = 0; t < m; t++) score += loo[i * m + t]! ** 2;
    });
    score /= Math.max(1, counted);
    looScores.push(score);
    if (!best || score < best.score) best = { lambda: rel, loo, score };
  }
  // The fit on every row with the chosen λ: α = (K + λI)⁻¹ Y by Cholesky solves.
  const a = Float64Array.from(k);
  for (let i = 0; i < n; i++) a[i * n + i] = a[i * n + i]! + best!.lambda * unit;
  const alpha = choleskySolve(cholesky(a, n), yc, n, m);
  const weights = await wideMatMul(xc, alpha, n, d, m, true);
  return {
    fit: {
      weights,
      xMean,
      yMean,
      lambda: best!.lambda,
      looRows,
      looResiduals: best!.loo,
      looScores,
    },
    gram: k,
  };
}

/** Solves L Lᵀ X = B for X (n×m), `l` the Cholesky factor. */
export function choleskySolve(
  l: Float64Array,
  b: ArrayLike<number>,
  n: number,
  m: number,
): Float64Array {
  const z = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      const v = l[i * n + k]!;
      if (v === 0) continue;
      for (let t = 0; t < m; t++) z[i * m + t] = z[i * m + t]! - v * z[k * m + t]!;
    }
    const d = l[i * n + i]!;
    for (let t = 0; t < m; t++) z[i * m + t] = z[i * m + t]! / d;
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const v = l[k * n + i]!;
      if (v === 0) continue;
      for (let t = 0; t < m; t++) z[i * m + t] = z[i * m + t]! - v * z[k * m + t]!;
    }
    const d = l[i * n + i]!;
    for (let t = 0; t < m; t++) z[i * m + t] = z[i * m + t]! / d;
  }
  return z;
}

export function transpose(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const t = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j]!;
  return t;
}

/** Predictions (n×m) of `fit` for rows `x` (n×d). */
export async function predictRidge(
  fit: RidgeFit,
  x: ArrayLike<number>,
  n: number,
): Promise<Float64Array> {
  const d = fit.xMean.length;
  const m = fit.yMean.length;
  const xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < d; t++) xc[i * d + t] = x[i * d + t]! - fit.xMean[t]!;
  const out = await wideMatMul(xc, fit.weights, n, d, m, false);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < m; t++) out[i * m + t] = out[i * m + t]! + fit.yMean[t]!;
  return out;
}

/**
 * Predictions for the `held` rows of a kernel ridge fitted on the `train` rows only, from the
 * gram `k` (n×n) of all rows: the fold's features are centred by the train rows' mean (double
 * centring of the gram, so it equals `fitRidge` on those rows), λ relative to the train block's
 * mean diagonal as in `fitRidge`. `y` holds n×m targets (only train rows are read). For
 * cross-fitting: honest predictions of rows a fit did not see, for the price of one solve.
 */
export function kernelFoldPredict(
  k: Float64Array,
  n: number,
  train: readonly number[],
  held: readonly number[],
  y: ArrayLike<number>,
  m: number,
  lambda: number,
): Float64Array {
  const t = train.length;
  const h = held.length;
  const rowMean = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const j of train) s += k[i * n + j]!;
    rowMean[i] = s / t;
  }
  for (const i of train) all += rowMean[i]! / t;
  const a = new Float64Array(t * t);
  let trace = 0;
  train.forEach((i, p) => {
    train.forEach((j, q) => {
      a[p * t + q] = k[i * n + j]! - rowMean[i]! - rowMean[j]! + all;
    });
    trace += a[p * t + p]!;
  });
  const unit = trace / t || 1;
  for (let p = 0; p < t; p++) a[p * t + p] = a[p * t + p]! + lambda * unit;
  const yMean = new Float64Array(m);
  for (const i of train) for (let c = 0; c < m; c++) yMean[c] = yMean[c]! + y[i * m + c]! / t;
  const yc = new Float64Array(t * m);
  train.forEach((i, p) => {
    for (let c = 0; c < m; c++) yc[p * m + c] = y[i * m + c]! - yMean[c]!;
  });
  const alpha = choleskySolve(cholesky(a, t), yc, t, m);
  const kh = new Float64Array(h * t);
  held.forEach((i, p) =>
    train.forEach((j, q) => (kh[p * t + q] = k[i * n + j]! - rowMean[i]! - rowMean[j]! + all)),
  );
  const out = matMul(kh, alpha, h, t, m);
  for (let p = 0; p < h; p++)
    for (let c = 0; c < m; c++) out[p * m + c] = out[p * m + c]! + yMean[c]!;
  return out;
}
