/**
 * classifier-affine: the classifier folded into one affine map gives its own scores (the form
 * an exported graph computes); features of the wrong width are refused.
 */
import { describe, expect, it } from 'vitest';
import {
  fitRidgeClassifier,
  ridgeScores,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import {
  applyAffine,
  ridgeClassifierAffine,
} from '../../../src-main/engine/attributes/classifier-affine';
import { Rng } from '../../../src-main/engine/model/rng';
function synthetic(rows: number, dim: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * dim);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = r % classes;
    for (let j = 0; j < dim; j++)
      data[r * dim + j] = rng.normal() + (j % classes === labels[r] ? 1.5 : 0) + 3 * (j % 2);
  }
  return { x: { rows, dim, data } satisfies FeatureRows, labels };
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
};

describe('ridge classifier as an affine map', () => {
  it('gives the classifier’s own scores; refuses features of another width', async () => {
    const { x, labels } = synthetic(60, 12, 4, 1);
    const model = await fitRidgeClassifier(x, labels, 4);
    const test = synthetic(20, 12, 4, 2).x;
    // ridgeScores rounds its standardised features to float32 (a relative 6e-8 of each); the
    // affine map takes the raw features in float64. Nothing else differs.
    expect(
      worst(applyAffine(ridgeClassifierAffine(model), test), ridgeScores(model, test)),
    ).toBeLessThan(1e-7);
    expect(() => applyAffine(ridgeClassifierAffine(model), synthetic(5, 6, 2, 3).x)).toThrow(
      /6 values per face; this classifier was fitted on 12/,
    );
  });
});
