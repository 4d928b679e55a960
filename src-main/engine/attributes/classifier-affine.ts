/**
 * A ridge classifier (ridge-classifier.ts) collapsed into one affine map on the raw features: its
 * standardisation folded into the weights, so `x · weights + bias` gives `ridgeScores` (the
 * form an exported graph computes; docs/ARCHITECTURE.md, "Backbones and tasks"). The scores'
 * probabilities are the head's calibration (classifier-head.ts's `headProbabilities`: Platt
 * scaling per yes/no attribute, a temperature softmax for one-of-K classes), the one mapping
 * from scores to probabilities the engine and exported graphs share.
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
