/**
 * Landmark accuracy as the 300-W literature reports it (docs/ARCHITECTURE.md, "Training recipe"):
 * NME normalised by the schema's normaliser points (inter-ocular: 68-pt outer eye corners 36/45,
 * 98-pt 60/72, 5-pt the eye centres 0/1), failure rate at 10%, the CED curve and its AUC up to the
 * same threshold.
 *
 * Shapes are flat `[x0, y0, x1, y1, …]` arrays in any one coordinate space (pixels, or 0..1 of the
 * crop): NME is a ratio, so the space drops out as long as prediction and truth share it.
 */

export type FlatShape = ArrayLike<number>;

/** The 300-W convention: a face whose NME is above 10% counts as a failure; AUC stops there. */
export const NME_FAILURE_THRESHOLD = 0.1;

/** Mean point-to-point error of one face divided by the distance between its normaliser points. */
export function nmeOfFace(
  predicted: FlatShape,
  truth: FlatShape,
  normaliser: readonly [number, number],
): number {
  const points = truth.length / 2;
  if (predicted.length !== truth.length || !Number.isInteger(points) || points === 0)
    throw new Error(`NME: shapes of ${predicted.length} and ${truth.length} values differ`);
  const [a, b] = normaliser;
  const d = Math.hypot(truth[2 * a]! - truth[2 * b]!, truth[2 * a + 1]! - truth[2 * b + 1]!);
  if (!(d > 0)) throw new Error('NME: the normaliser points coincide in the ground truth');
  let sum = 0;
  for (let i = 0; i < points; i++)
    sum += Math.hypot(predicted[2 * i]! - truth[2 * i]!, predicted[2 * i + 1]! - truth[2 * i + 1]!);
  return sum / points / d;
}

/** Per-face NMEs of a set (same order as the input). */
export function nmePerFace(
  predicted: readonly FlatShape[],
  truth: readonly FlatShape[],
  normaliser: readonly [number, number],
): number[] {
  if (predicted.length !== truth.length)
    throw new Error(`NME: ${predicted.length} predictions for ${truth.length} faces`);
  return truth.map((t, i) => nmeOfFace(predicted[i]!, t, normaliser));
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Fraction of faces whose NME exceeds `threshold`. */
export function failureRate(errors: readonly number[], threshold = NME_FAILURE_THRESHOLD): number {
  return errors.length === 0 ? NaN : errors.filter((e) => e > threshold).length / errors.length;
}

/**
 * Cumulative error distribution: `fraction[i]` of faces have NME ≤ `thresholds[i]`, sampled at
 * `samples` + 1 evenly spaced thresholds from 0 to `max` (for plotting).
 */
export function cedCurve(
  errors: readonly number[],
  max = NME_FAILURE_THRESHOLD,
  samples = 100,
): { thresholds: number[]; fraction: number[] } {
  const sorted = [...errors].sort((a, b) => a - b);
  const thresholds: number[] = [];
  const fraction: number[] = [];
  let below = 0;
  for (let i = 0; i <= samples; i++) {
    const t = (max * i) / samples;
    while (below < sorted.length && sorted[below]! <= t) below++;
    thresholds.push(t);
    fraction.push(sorted.length === 0 ? 0 : below / sorted.length);
  }
  return { thresholds, fraction };
}

/**
 * Area under the CED curve from 0 to `threshold`, divided by `threshold` (so 1 = every face
 * perfect, 0 = every face at or beyond the threshold). Exact, not sampled: the CED is a step
 * function, and the area each face contributes is `max(0, threshold − e)` over the face count.
 */
export function cedAuc(errors: readonly number[], threshold = NME_FAILURE_THRESHOLD): number {
  if (errors.length === 0) return NaN;
  const area = errors.reduce((acc, e) => acc + Math.max(0, threshold - e), 0);
  return area / errors.length / threshold;
}

export interface LandmarkMetrics {
  /** Mean NME over faces (a fraction: 0.05 = 5%). */
  nme: number;
  failureRate: number;
  auc: number;
  faces: number;
}

export function landmarkMetrics(
  predicted: readonly FlatShape[],
  truth: readonly FlatShape[],
  normaliser: readonly [number, number],
): LandmarkMetrics {
  const errors = nmePerFace(predicted, truth, normaliser);
  return {
    nme: mean(errors),
    failureRate: failureRate(errors),
    auc: cedAuc(errors),
    faces: errors.length,
  };
}
