/**
 * Probabilities from a ridge classifier (ridge-classifier.ts), and the classifier collapsed into
 * one affine map for an exported graph (docs/ARCHITECTURE.md, "Backbones and tasks").
 *
 * The mapping. The classifier is least squares onto ±1 one-hot targets, so its score for class c
 * estimates E[y_c | x] = 2·P(c | x) − 1: `(s_c + 1) / 2` is the fit's own estimate of the class
 * probability (a linear probability model), not a number that needs a temperature fitted on
 * held-out faces. Over the classes these sum to 1 (the targets sum to 2 − C on every row, and a
 * ridge fit with an unpenalised intercept reproduces a constant target sum; to ~1e-7, as the fit's
 * Gram matrix is float32), so the only correction is for the estimate running outside [0, 1]:
 *
 * - expression (one class per face): `p_c = max(0, (s_c + 1)/2)`, renormalised to sum 1;
 * - attributes (one two-class classifier per attribute, class 1 = "yes"): `p = clamp((s_1 + 1)/2,
 *   0, 1)` (for two classes s_0 = −s_1, so this is also `(s_1 − s_0)/4 + 1/2`).
 *
 * A softmax of the raw scores would keep the argmax but squeeze every face towards 1/C (scores
 * span about ±1). On 60 CK+ faces of held-out subjects (mini-Xception `pooled`, 180 training
 * faces) the Brier score is 0.235 against the softmax's 0.391, the log loss 0.51 against 0.87
 * (tests/engine/attributes/ridge-probabilities.test.ts).
 * Both keep the argmax, so the predicted class is the classifier's.
 */
import { StudioError } from '../../shared/errors';
import type { FeatureRows, RidgeClassifier } from './ridge-classifier';

/** Scores as an affine map of the raw features: `x · weights + bias`, `[dim × classes]`. */
export interface ClassifierAffine {
  dim: number;
  classes: number;
  weights: Float64Array;
  bias: Float64Array;
}

/** The classifier's standardisation folded into its weights. */
export function ridgeClassifierAffine(model: RidgeClassifier): ClassifierAffine {
  const { dim, classes } = model;
  const weights = new Float64Array(dim * classes);
  const bias = Float64Array.from(model.bias);
  for (let j = 0; j < dim; j++)
    for (let c = 0; c < classes; c++) {
      const w = model.weights[j * classes + c]! / model.scale[j]!;
      weights[j * classes + c] = w;
      bias[c] = bias[c]! - model.mean[j]! * w;
    }
  return { dim, classes, weights, bias };
}

/**
 * The affine map whose output is `(s + 1) / 2` per column (the unclipped probability), for the
 * columns `columns` of `model` (all by default).
 */
export function halfScoreAffine(
  model: RidgeClassifier,
  columns: readonly number[] = Array.from({ length: model.classes }, (_, c) => c),
): ClassifierAffine {
  const full = ridgeClassifierAffine(model);
  const m = columns.length;
  const weights = new Float64Array(full.dim * m);
  const bias = new Float64Array(m);
  columns.forEach((c, o) => {
    if (!(c >= 0 && c < full.classes))
      throw new StudioError('internal', `Class ${c} is outside 0…${full.classes - 1}`);
    bias[o] = (full.bias[c]! + 1) / 2;
    for (let j = 0; j < full.dim; j++) weights[j * m + o] = full.weights[j * full.classes + c]! / 2;
  });
  return { dim: full.dim, classes: m, weights, bias };
}

/** `x · weights + bias` for the rows of `x` (float64). */
export function applyAffine(affine: ClassifierAffine, x: FeatureRows): Float64Array {
  if (x.dim !== affine.dim)
    throw new StudioError(
      'invalid-payload',
      `Features have ${x.dim} values per face; this classifier was fitted on ${affine.dim}`,
    );
  const m = affine.classes;
  const out = new Float64Array(x.rows * m);
  for (let r = 0; r < x.rows; r++) {
    out.set(affine.bias, r * m);
    for (let j = 0; j < x.dim; j++) {
      const v = x.data[r * x.dim + j]!;
      if (v === 0) continue;
      for (let c = 0; c < m; c++) out[r * m + c] = out[r * m + c]! + v * affine.weights[j * m + c]!;
    }
  }
  return out;
}

/** Expression: `[rows × classes]` probabilities of one class per face (see the module comment). */
export function classProbabilities(model: RidgeClassifier, x: FeatureRows): Float64Array {
  const half = applyAffine(halfScoreAffine(model), x);
  const c = model.classes;
  for (let r = 0; r < x.rows; r++) {
    let sum = 0;
    for (let k = 0; k < c; k++) {
      half[r * c + k] = Math.max(0, half[r * c + k]!);
      sum += half[r * c + k]!;
    }
    for (let k = 0; k < c; k++) half[r * c + k] = half[r * c + k]! / sum;
  }
  return half;
}

/**
 * Attributes: `[rows × A]` probabilities of "yes" (class 1), one two-class classifier per
 * attribute, all on the same features.
 */
export function attributeProbabilities(
  models: readonly RidgeClassifier[],
  x: FeatureRows,
): Float64Array {
  const a = models.length;
  const out = new Float64Array(x.rows * a);
  models.forEach((model, i) => {
    if (model.classes !== 2)
      throw new StudioError(
        'invalid-payload',
        `Attribute ${i}'s classifier has ${model.classes} classes; an attribute is yes or no (2)`,
      );
    const half = applyAffine(halfScoreAffine(model, [1]), x);
    for (let r = 0; r < x.rows; r++) out[r * a + i] = Math.min(1, Math.max(0, half[r]!));
  });
  return out;
}
