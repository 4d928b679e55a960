/**
 * A regularised linear classifier on frozen backbone features (docs/ARCHITECTURE.md, "Backbones
 * and tasks"): ridge regression onto ±1 one-hot targets (a least-squares SVM), scored by argmax.
 * Closed form, so fitting thousands of faces takes seconds on two cores, and the regulariser λ is
 * chosen by k-fold cross-validation on the training rows only — by group when groups are known
 * (CK+ subjects), so the same person is never in a fold's training and validation rows.
 *
 * Features are standardised first (training rows' mean and std). ReLU features have dead
 * channels whose std is ~0 on training faces; a floor on the std keeps them from exploding on
 * new faces (docs/ARCHITECTURE.md, "Pitfalls").
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { matMulTransposedB } from '../model/mat-mul-transposed';
import { Rng, deriveSeed } from '../model/rng';

/** Rows of features: `data[row · dim + j]`. */
export interface FeatureRows {
  rows: number;
  dim: number;
  data: Float32Array;
}

export interface RidgeClassifier {
  classes: number;
  dim: number;
  /** The λ cross-validation chose (penalty λ·n on the squared weights). */
  lambda: number;
  /** Mean cross-validated accuracy of the chosen λ on the training rows. */
  cvAccuracy: number;
  mean: Float64Array;
  scale: Float64Array;
  /** `[dim, classes]`, on standardised features. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface FitOptions {
  /** λ candidates (default LAMBDAS). */
  lambdas?: readonly number[];
  /** Folds of the cross-validation (default 5; fewer when there are fewer groups). */
  folds?: number;
  /** Group of each row (e.g. the subject): rows of a group share a fold. Default: one per row. */
  groups?: readonly string[];
  seed?: number;
}

/** λ grid, as multiples of the row count (penalty λ·n·|w|²). */
export const LAMBDAS: readonly number[] = [1e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10];

/** Std floor: a fraction of the largest feature std (dead ReLU channels stay near zero). */
const STD_FLOOR = 1e-3;

/**
 * Fits a ridge classifier to `labels` (0 … classes − 1) of `x`, λ chosen by grouped k-fold
 * cross-validation on these rows.
 */
export async function fitRidgeClassifier(
  x: FeatureRows,
  labels: Int32Array,
  classes: number,
  options: FitOptions = {},
): Promise<RidgeClassifier> {
  return (await fitRidgeWithHeldOutScores(x, labels, classes, options)).model;
}

/** A fitted classifier and each training row's score from the fold that held the row out. */
export interface RidgeFit {
  model: RidgeClassifier;
  /**
   * `[rows, classes]`: row i's scores from the chosen λ's fit on the other folds (never on a
   * fold holding row i or, with groups, its group): honest scores to calibrate probabilities on.
   */
  heldOutScores: Float64Array;
}

/** `fitRidgeClassifier`, keeping the chosen λ's held-out scores of every training row. */
export async function fitRidgeWithHeldOutScores(
  x: FeatureRows,
  labels: Int32Array,
  classes: number,
  options: FitOptions = {},
): Promise<RidgeFit> {
  checkRows(x, labels, classes);
  const lambdas = options.lambdas ?? LAMBDAS;
  const folds = foldOf(
    options.groups ?? Array.from({ length: x.rows }, (_, i) => String(i)),
    options.folds ?? 5,
    options.seed ?? 1,
  );
  const foldCount = Math.max(...folds) + 1;
  const { mean, scale } = standardiser(x);
  const z = standardise(x, mean, scale);
  const hits = new Float64Array(lambdas.length);
  const held = lambdas.map(() => new Float64Array(x.rows * classes));
  // Primal when every fit has at least as many rows as features: then the folds' Gram matrices
  // are made once (foldSums) and each fit's is the total less its held-out fold's.
  const outRows = Array.from({ length: foldCount }, () => [] as number[]);
  folds.forEach((fold, row) => outRows[fold]!.push(row));
  const smallest = Math.min(...outRows.map((o) => x.rows - o.length));
  const sums = x.dim <= smallest ? await foldSums(z, x.dim, outRows, labels, classes) : null;
  for (let f = 0; f < foldCount; f++) {
    const out = outRows[f]!;
    if (out.length === 0 || out.length === x.rows) continue;
    const solver = sums
      ? primalSolver(sums, f, x.dim, classes)
      : await gramSolver(
          z,
          x.dim,
          folds.flatMap((fold, row) => (fold === f ? [] : [row])),
          labels,
          classes,
        );
    for (const [i, lambda] of lambdas.entries()) {
      const model = solver(lambda);
      for (const row of out) {
        const s = scoreRow(model.weights, model.bias, z, x.dim, row, classes);
        held[i]!.set(s, row * classes);
        if (argmax(s) === labels[row]) hits[i]! += 1;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < lambdas.length; i++) if (hits[i]! > hits[best]!) best = i;
  const all = Array.from({ length: x.rows }, (_, i) => i);
  const fitted = (
    sums ? primalSolver(sums, -1, x.dim, classes) : await gramSolver(z, x.dim, all, labels, classes)
  )(lambdas[best]!);
  return {
    model: {
      classes,
      dim: x.dim,
      lambda: lambdas[best]!,
      cvAccuracy: hits[best]! / x.rows,
      mean,
      scale,
      weights: fitted.weights,
      bias: fitted.bias,
    },
    heldOutScores: held[best]!,
  };
}

/** Scores `[rows, classes]` of `x` (higher = more likely). */
export function ridgeScores(model: RidgeClassifier, x: FeatureRows): Float64Array {
  if (x.dim !== model.dim)
    throw new StudioError(
      'invalid-payload',
      `Features have ${x.dim} values per face; this classifier was fitted on ${model.dim}`,
    );
  const z = standardise(x, model.mean, model.scale);
  const out = new Float64Array(x.rows * model.classes);
  for (let r = 0; r < x.rows; r++)
    out.set(scoreRow(model.weights, model.bias, z, x.dim, r, model.classes), r * model.classes);
  return out;
}

/** The predicted class of each row of `x`. */
export function ridgePredict(model: RidgeClassifier, x: FeatureRows): Int32Array {
  const scores = ridgeScores(model, x);
  const out = new Int32Array(x.rows);
  for (let r = 0; r < x.rows; r++)
    out[r] = argmax(scores.subarray(r * model.classes, (r + 1) * model.classes));
  return out;
}

/** Rows of several feature blocks of one width (`dim`) one after another. */
export function stackRows(parts: readonly FeatureRows[], dim = parts[0]?.dim ?? 0): FeatureRows {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float32Array(rows * dim);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { rows, dim, data };
}

/** Rows side by side: `[a | b]` per face (e.g. appearance and geometry features). */
export function concatFeatures(...parts: FeatureRows[]): FeatureRows {
  const rows = parts[0]?.rows ?? 0;
  if (parts.some((p) => p.rows !== rows))
    throw new StudioError('invalid-payload', 'Feature blocks to join have different face counts');
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let at = r * dim;
    for (const p of parts) {
      data.set(p.data.subarray(r * p.dim, (r + 1) * p.dim), at);
      at += p.dim;
    }
  }
  return { rows, dim, data };
}

/** The rows `picked` of `x`. */
export function selectRows(x: FeatureRows, picked: readonly number[]): FeatureRows {
  const data = new Float32Array(picked.length * x.dim);
  picked.forEach((r, i) => data.set(x.data.subarray(r * x.dim, (r + 1) * x.dim), i * x.dim));
  return { rows: picked.length, dim: x.dim, data };
}

function checkRows(x: FeatureRows, labels: Int32Array, classes: number): void {
  if (x.data.length !== x.rows * x.dim || labels.length !== x.rows)
    throw new StudioError(
      'invalid-payload',
      `Features (${x.rows} × ${x.dim}, ${x.data.length} values) and labels (${labels.length}) do not match`,
    );
  if (x.rows < 2) throw new StudioError('invalid-payload', 'A classifier needs at least 2 faces');
  for (const l of labels)
    if (!Number.isInteger(l) || l < 0 || l >= classes)
      throw new StudioError('invalid-payload', `Label ${l} is outside 0…${classes - 1}`);
}

/** Fold of each row: groups shuffled (seeded) and dealt round-robin to `k` folds. */
function foldOf(groups: readonly string[], k: number, seed: number): number[] {
  const names = [...new Set(groups)].sort();
  const folds = Math.max(2, Math.min(k, names.length));
  const order = new Rng(deriveSeed(seed, 0x51d6e)).permutation(names.length);
  const fold = new Map<string, number>();
  order.forEach((g, i) => fold.set(names[g]!, i % folds));
  return groups.map((g) => fold.get(g)!);
}

function standardiser(x: FeatureRows): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(x.dim);
  const sq = new Float64Array(x.dim);
  for (let r = 0; r < x.rows; r++)
    for (let j = 0; j < x.dim; j++) mean[j]! += x.data[r * x.dim + j]!;
  for (let j = 0; j < x.dim; j++) mean[j]! /= x.rows;
  for (let r = 0; r < x.rows; r++)
    for (let j = 0; j < x.dim; j++) sq[j]! += (x.data[r * x.dim + j]! - mean[j]!) ** 2;
  const std = sq.map((s) => Math.sqrt(s / x.rows));
  const floor = STD_FLOOR * Math.max(...std) + 1e-9;
  return { mean, scale: std.map((s) => Math.max(s, floor)) };
}

function standardise(x: FeatureRows, mean: Float64Array, scale: Float64Array): Float32Array {
  const z = new Float32Array(x.rows * x.dim);
  for (let r = 0; r < x.rows; r++)
    for (let j = 0; j < x.dim; j++)
      z[r * x.dim + j] = (x.data[r * x.dim + j]! - mean[j]!) / scale[j]!;
  return z;
}

/** Per fold of rows: Σ z zᵀ, Σ z, Σ z yᵀ and Σ y over its rows (y: ±1 one-hot), float64. */
interface FoldSums {
  rows: number[];
  gram: Float64Array[];
  z: Float64Array[];
  zy: Float64Array[];
  y: Float64Array[];
}

/**
 * The sums each fit needs, per fold (`outRows[f]`: the rows of fold f). One pass over the rows,
 * however many folds: a fit on all folds but f takes the totals less fold f's (primalSolver).
 * Each fold's Gram matrix is one TF.js matMul (float32 products, as gramSolver's).
 */
async function foldSums(
  z: Float32Array,
  dim: number,
  outRows: readonly number[][],
  labels: Int32Array,
  classes: number,
): Promise<FoldSums> {
  const sums: FoldSums = { rows: [], gram: [], z: [], zy: [], y: [] };
  for (const rows of outRows) {
    const block = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => block.set(z.subarray(r * dim, (r + 1) * dim), i * dim));
    const gram = tf.tidy(() => {
      const t = tf.tensor2d(block, [rows.length, dim]);
      return tf.matMul(t, t, true, false);
    });
    sums.gram.push(Float64Array.from(await gram.data()));
    gram.dispose();
    const zs = new Float64Array(dim);
    const zy = new Float64Array(dim * classes);
    const ys = new Float64Array(classes);
    rows.forEach((r, i) => {
      for (let c = 0; c < classes; c++) ys[c]! += labels[r] === c ? 1 : -1;
      for (let j = 0; j < dim; j++) {
        const v = block[i * dim + j]!;
        zs[j]! += v;
        for (let c = 0; c < classes; c++) zy[j * classes + c]! += labels[r] === c ? v : -v;
      }
    });
    sums.rows.push(rows.length);
    sums.z.push(zs);
    sums.zy.push(zy);
    sums.y.push(ys);
  }
  return sums;
}

/**
 * λ → ridge weights for the rows of every fold but `leftOut` (−1: all rows), in the primal
 * (`dim × dim`), from `sums`: the Gram matrix of the rows centred on their mean is
 * `Σ z zᵀ − n·m mᵀ`, the right-hand side `Σ z yᵀ − n·m ȳᵀ`; the bias is `ȳ − m·w`. Equal to
 * gramSolver's on the same rows, without a pass over them.
 */
function primalSolver(
  sums: FoldSums,
  leftOut: number,
  dim: number,
  classes: number,
): (lambda: number) => { weights: Float64Array; bias: Float64Array } {
  const folds = sums.rows.length;
  let n = 0;
  const g = new Float64Array(dim * dim);
  const zm = new Float64Array(dim);
  const b = new Float64Array(dim * classes);
  const ym = new Float64Array(classes);
  for (let f = 0; f < folds; f++) {
    if (f === leftOut) continue;
    n += sums.rows[f]!;
    const gram = sums.gram[f]!;
    for (let i = 0; i < g.length; i++) g[i]! += gram[i]!;
    for (let j = 0; j < dim; j++) zm[j]! += sums.z[f]![j]!;
    for (let i = 0; i < b.length; i++) b[i]! += sums.zy[f]![i]!;
    for (let c = 0; c < classes; c++) ym[c]! += sums.y[f]![c]!;
  }
  for (let j = 0; j < dim; j++) zm[j]! /= n;
  for (let c = 0; c < classes; c++) ym[c]! /= n;
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) g[i * dim + j]! -= n * zm[i]! * zm[j]!;
    for (let c = 0; c < classes; c++) b[i * classes + c]! -= n * zm[i]! * ym[c]!;
  }
  return (lambda: number) => {
    const m = Float64Array.from(g);
    for (let i = 0; i < dim; i++) m[i * dim + i]! += lambda * n;
    const weights = choleskySolve(m, dim, b, classes);
    const bias = Float64Array.from(ym);
    for (let j = 0; j < dim; j++)
      for (let c = 0; c < classes; c++) bias[c]! -= zm[j]! * weights[j * classes + c]!;
    return { weights, bias };
  };
}

/**
 * For the rows `rows` of `z`: a function λ → ridge weights. Works in the primal (`dim × dim`
 * system) or the dual (`n × n`), whichever is smaller; the Gram matrix is made once (TF.js) and
 * each λ costs one Cholesky solve.
 */
async function gramSolver(
  z: Float32Array,
  dim: number,
  rows: readonly number[],
  labels: Int32Array,
  classes: number,
): Promise<(lambda: number) => { weights: Float64Array; bias: Float64Array }> {
  const n = rows.length;
  // Centre features and targets on these rows, so the bias is the targets' mean.
  const zm = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) zm[j]! += z[r * dim + j]!;
  for (let j = 0; j < dim; j++) zm[j]! /= n;
  const a = new Float32Array(n * dim);
  rows.forEach((r, i) => {
    for (let j = 0; j < dim; j++) a[i * dim + j] = z[r * dim + j]! - zm[j]!;
  });
  const ym = new Float64Array(classes);
  const y = new Float64Array(n * classes);
  rows.forEach((r, i) => {
    for (let c = 0; c < classes; c++) y[i * classes + c] = labels[r] === c ? 1 : -1;
  });
  for (let i = 0; i < n; i++) for (let c = 0; c < classes; c++) ym[c]! += y[i * classes + c]! / n;
  for (let i = 0; i < n; i++) for (let c = 0; c < classes; c++) y[i * classes + c]! -= ym[c]!;

  const primal = dim <= n;
  const side = primal ? dim : n;
  const [gram, rhs] = tf.tidy(() => {
    const at = tf.tensor2d(a, [n, dim]);
    const yt = tf.tensor2d(Float32Array.from(y), [n, classes]);
    return primal
      ? [tf.matMul(at, at, true, false), tf.matMul(at, yt, true, false)]
      : [matMulTransposedB(at, at), yt.clone()];
  });
  const [gramValues, rhsValues] = await Promise.all([gram.data(), rhs.data()]);
  const g = Float64Array.from(gramValues);
  const b = Float64Array.from(rhsValues);
  tf.dispose([gram, rhs]);

  // The intercept shifts every score equally only when the features are centred: fold in zm.
  const bias = (weights: Float64Array): Float64Array => {
    const out = Float64Array.from(ym);
    for (let j = 0; j < dim; j++)
      for (let c = 0; c < classes; c++) out[c]! -= zm[j]! * weights[j * classes + c]!;
    return out;
  };
  return (lambda: number) => {
    const m = Float64Array.from(g);
    for (let i = 0; i < side; i++) m[i * side + i]! += lambda * n;
    const solved = choleskySolve(m, side, b, classes);
    if (primal) return { weights: solved, bias: bias(solved) };
    // Dual: w = Aᵀ α.
    const weights = new Float64Array(dim * classes);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < dim; j++) {
        const v = a[i * dim + j]!;
        if (v === 0) continue;
        for (let c = 0; c < classes; c++) weights[j * classes + c]! += v * solved[i * classes + c]!;
      }
    return { weights, bias: bias(weights) };
  };
}

/** Solves M X = B for symmetric positive-definite M (`side × side`), B `side × cols`. */
function choleskySolve(m: Float64Array, side: number, b: Float64Array, cols: number): Float64Array {
  // In place: the lower triangle of m becomes L (M = L Lᵀ).
  for (let j = 0; j < side; j++) {
    let d = m[j * side + j]!;
    for (let k = 0; k < j; k++) d -= m[j * side + k]! ** 2;
    if (!(d > 0))
      throw new StudioError('internal', 'Ridge system is not positive definite (bad features?)');
    const l = Math.sqrt(d);
    m[j * side + j] = l;
    for (let i = j + 1; i < side; i++) {
      let s = m[i * side + j]!;
      const ri = i * side;
      const rj = j * side;
      for (let k = 0; k < j; k++) s -= m[ri + k]! * m[rj + k]!;
      m[ri + j] = s / l;
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < side; i++) {
      let s = x[i * cols + c]!;
      for (let k = 0; k < i; k++) s -= m[i * side + k]! * x[k * cols + c]!;
      x[i * cols + c] = s / m[i * side + i]!;
    }
    for (let i = side - 1; i >= 0; i--) {
      let s = x[i * cols + c]!;
      for (let k = i + 1; k < side; k++) s -= m[k * side + i]! * x[k * cols + c]!;
      x[i * cols + c] = s / m[i * side + i]!;
    }
  }
  return x;
}

function scoreRow(
  weights: Float64Array,
  bias: Float64Array,
  z: Float32Array,
  dim: number,
  row: number,
  classes: number,
): Float64Array {
  const out = Float64Array.from(bias);
  for (let j = 0; j < dim; j++) {
    const v = z[row * dim + j]!;
    for (let c = 0; c < classes; c++) out[c]! += v * weights[j * classes + c]!;
  }
  return out;
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
