/**
 * ridge-probabilities: the classifier folded into one affine map gives its own scores; the
 * linear-probability mapping sums to one before clipping (an exact property of the fit) and keeps
 * the argmax; on CK+ faces held out by subject it is better calibrated (lower Brier score and
 * log loss) than a softmax of the raw scores.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import { embedFaces } from '../../../src-main/engine/attributes/appearance-features';
import {
  fitRidgeClassifier,
  ridgePredict,
  ridgeScores,
  selectRows,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import {
  applyAffine,
  attributeProbabilities,
  classProbabilities,
  halfScoreAffine,
  ridgeClassifierAffine,
} from '../../../src-main/engine/attributes/ridge-probabilities';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { Rng, deriveSeed } from '../../../src-main/engine/model/rng';
import { readCkFaces } from './appearance-data';

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
  it('gives the classifier’s own scores, and (s + 1)/2 sums to one per row', () => {
    const { x, labels } = synthetic(60, 12, 4, 1);
    const model = fitRidgeClassifier(x, labels, 4);
    const test = synthetic(20, 12, 4, 2).x;
    // ridgeScores rounds its standardised features to float32 (a relative 6e-8 of each); the
    // affine map takes the raw features in float64. Nothing else differs.
    expect(
      worst(applyAffine(ridgeClassifierAffine(model), test), ridgeScores(model, test)),
    ).toBeLessThan(1e-7);
    const half = applyAffine(halfScoreAffine(model), test);
    for (let r = 0; r < 20; r++) {
      let sum = 0;
      for (let c = 0; c < 4; c++) sum += half[r * 4 + c]!;
      // Exact in exact arithmetic; the fit's Gram matrix and right-hand side are float32.
      expect(sum).toBeCloseTo(1, 6);
    }
    const p = classProbabilities(model, test);
    const predicted = ridgePredict(model, test);
    for (let r = 0; r < 20; r++) {
      const row = Array.from(p.subarray(r * 4, r * 4 + 4));
      expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
      expect(row.indexOf(Math.max(...row))).toBe(predicted[r]);
    }
  });

  it('gives attributes as P(class 1), clamped to [0, 1]; refuses a classifier of 3 classes', () => {
    const { x, labels } = synthetic(40, 6, 2, 3);
    const model = fitRidgeClassifier(x, labels, 2);
    const scores = ridgeScores(model, x);
    const p = attributeProbabilities([model, model], x);
    for (let r = 0; r < 40; r++) {
      const expected = Math.min(1, Math.max(0, (scores[2 * r + 1]! + 1) / 2));
      expect(p[2 * r]).toBeCloseTo(expected, 7);
      expect(p[2 * r + 1]).toBeCloseTo(expected, 7);
      // Two classes: s0 = −s1, so the two-class view (s1 − s0)/4 + 1/2 is the same number.
      expect(scores[2 * r]).toBeCloseTo(-scores[2 * r + 1]!, 9);
    }
    const three = synthetic(30, 6, 3, 4);
    expect(() =>
      attributeProbabilities([fitRidgeClassifier(three.x, three.labels, 3)], three.x),
    ).toThrow(/has 3 classes; an attribute is yes or no/);
  });
});

describe('calibration on CK+ held out by subject', () => {
  let features: FeatureRows;
  let labels: Int32Array;
  let subjects: string[];

  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
    const { faces } = await readCkFaces(240, 2);
    const backbone = await loadMiniXceptionBackbone();
    features = (await embedFaces(backbone, faces, ['pooled'])).features;
    backbone.dispose();
    labels = Int32Array.from(faces, (f) => f.label);
    subjects = faces.map((f) => f.subject);
  }, 300_000);

  it('the linear-probability mapping beats a softmax of the scores on Brier score and log loss', () => {
    const names = [...new Set(subjects)].sort();
    const order = new Rng(deriveSeed(2, 22)).permutation(names.length);
    const held = new Set(order.slice(0, Math.round(names.length / 4)).map((i) => names[i]!));
    const train = subjects.flatMap((s, i) => (held.has(s) ? [] : [i]));
    const test = subjects.flatMap((s, i) => (held.has(s) ? [i] : []));
    const classes = 7;
    const model = fitRidgeClassifier(
      selectRows(features, train),
      Int32Array.from(train, (i) => labels[i]!),
      classes,
      {
        groups: train.map((i) => subjects[i]!),
      },
    );
    const x = selectRows(features, test);
    const linear = classProbabilities(model, x);
    const scores = ridgeScores(model, x);
    const softmax = new Float64Array(scores.length);
    for (let r = 0; r < test.length; r++) {
      const row = scores.subarray(r * classes, (r + 1) * classes);
      const top = Math.max(...row);
      const e = Array.from(row, (s) => Math.exp(s - top));
      const z = e.reduce((a, b) => a + b);
      e.forEach((v, c) => (softmax[r * classes + c] = v / z));
    }
    const judge = (p: Float64Array) => {
      let brier = 0;
      let logLoss = 0;
      test.forEach((face, r) => {
        for (let c = 0; c < classes; c++)
          brier += (p[r * classes + c]! - (labels[face] === c ? 1 : 0)) ** 2;
        logLoss -= Math.log(Math.max(1e-3, p[r * classes + labels[face]!]!));
      });
      return { brier: brier / test.length, logLoss: logLoss / test.length };
    };
    const a = judge(linear);
    const b = judge(softmax);
    console.log(
      `CK+ ${test.length} held-out faces: Brier linear ${a.brier.toFixed(3)} vs softmax ${b.brier.toFixed(3)}; ` +
        `log loss (floored at 1e-3) ${a.logLoss.toFixed(3)} vs ${b.logLoss.toFixed(3)}`,
    );
    expect(a.brier).toBeLessThan(b.brier);
    expect(a.logLoss).toBeLessThan(b.logLoss);
  }, 120_000);
});
