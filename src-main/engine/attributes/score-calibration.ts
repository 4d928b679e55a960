/**
 * From ridge scores to probabilities (docs/ARCHITECTURE.md, "Backbones and tasks"). A ridge
 * classifier's scores are least-squares fits to ±1 targets, not probabilities; each head maps them
 * with a small calibration fitted on the training rows' held-out scores (each row scored by a fit
 * that never saw it or its group, ridge-classifier.ts's `fitRidgeWithHeldOutScores`), so the map
 * is learnt on scores that look like the scores of new faces:
 *
 * - a yes/no attribute: Platt scaling, `p = σ(a·m + b)` on the margin `m = score₁ − score₀`, with
 *   Platt's smoothed targets `(N₊ + 1)/(N₊ + 2)` and `1/(N₋ + 2)` so a perfectly separated
 *   training set does not give probabilities of exactly 0 or 1 (J. Platt, 1999);
 * - expression (one of K classes): a softmax over the scores with one temperature,
 *   `p = softmax(t·s)`, `t` minimising the held-out scores' negative log-likelihood.
 *
 * Both maps are monotone, so the predicted class is the ridge's argmax either way; both are a
 * multiply, an add and a sigmoid or softmax in an exported graph.
 */
import { StudioError } from '../../shared/errors';

/** `p = σ(a·margin + b)`. */
export interface PlattScaling {
  a: number;
  b: number;
}

/** `p = softmax(temperature · scores)`. */
export interface SoftmaxCalibration {
  temperature: number;
}

const sigmoid = (v: number): number =>
  v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));

/** P(yes) of a margin under `platt`. */
export function plattProbability(platt: PlattScaling, margin: number): number {
  return sigmoid(platt.a * margin + platt.b);
}

/**
 * Platt scaling fitted to `margins` with labels `truth` (1 yes, 0 no): Newton's method on the
 * cross-entropy to the smoothed targets, halving the step while the loss does not fall.
 */
export function fitPlatt(margins: ArrayLike<number>, truth: ArrayLike<number>): PlattScaling {
  const n = margins.length;
  if (n !== truth.length || n === 0)
    throw new StudioError(
      'invalid-payload',
      `Platt scaling needs margins and labels alike (${n}, ${truth.length})`,
    );
  let pos = 0;
  for (let i = 0; i < n; i++) if (truth[i] === 1) pos++;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  const target = (i: number) => (truth[i] === 1 ? hi : lo);
  const loss = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const z = a * margins[i]! + b;
      // −[t·log σ(z) + (1 − t)·log(1 − σ(z))], written stably.
      s += Math.max(z, 0) - z * target(i) + Math.log1p(Math.exp(-Math.abs(z)));
    }
    return s;
  };
  let a = 1;
  let b = Math.log((pos + 1) / (n - pos + 1));
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const m = margins[i]!;
      const p = sigmoid(a * m + b);
      const d = p - target(i);
      const w = p * (1 - p);
      ga += d * m;
      gb += d;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const gain = current - next;
    current = next;
    if (gain < 1e-10 * n) break;
  }
  return { a, b };
}

/** Class probabilities of one row of scores under `calibration`. */
export function softmaxProbabilities(
  calibration: SoftmaxCalibration,
  scores: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(scores.length);
  let top = -Infinity;
  for (let c = 0; c < scores.length; c++) top = Math.max(top, calibration.temperature * scores[c]!);
  let sum = 0;
  for (let c = 0; c < scores.length; c++) {
    out[c] = Math.exp(calibration.temperature * scores[c]! - top);
    sum += out[c]!;
  }
  for (let c = 0; c < scores.length; c++) out[c]! /= sum;
  return out;
}

/**
 * The temperature that minimises the negative log-likelihood of `labels` under
 * `softmax(t · scores)` (`scores` `[n, classes]`): golden-section search over log t in
 * [10⁻², 10³] (the likelihood is unimodal in t).
 */
export function fitSoftmaxTemperature(
  scores: Float64Array,
  labels: ArrayLike<number>,
  classes: number,
): SoftmaxCalibration {
  const n = labels.length;
  if (scores.length !== n * classes || n === 0)
    throw new StudioError(
      'invalid-payload',
      `Temperature fit needs ${n} rows of ${classes} scores`,
    );
  const nll = (logT: number): number => {
    const cal = { temperature: Math.exp(logT) };
    let s = 0;
    for (let i = 0; i < n; i++) {
      const p = softmaxProbabilities(cal, scores.subarray(i * classes, (i + 1) * classes));
      s -= Math.log(Math.max(p[labels[i]!]!, 1e-300));
    }
    return s;
  };
  let lo = Math.log(1e-2);
  let hi = Math.log(1e3);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let f1 = nll(x1);
  let f2 = nll(x2);
  for (let iter = 0; iter < 60 && hi - lo > 1e-4; iter++) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = nll(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = nll(x2);
    }
  }
  return { temperature: Math.exp((lo + hi) / 2) };
}

/**
 * Expected calibration error of yes/no probabilities: faces binned by predicted probability
 * (`bins` equal-width bins), the mean |observed rate − mean predicted| weighted by bin size.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<number>,
  bins = 10,
): number {
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < truth.length; i++) {
    const p = probabilities[i]!;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]! += 1;
    predicted[b]! += p;
    observed[b]! += truth[i] === 1 ? 1 : 0;
  }
  let error = 0;
  for (let b = 0; b < bins; b++)
    if (count[b]! > 0) error += Math.abs(observed[b]! - predicted[b]!) / truth.length;
  return error;
}
