/**
 * From ridge scores to probabilities: Platt scaling recovers a known logistic map and the softmax
 * temperature a known temperature from samples drawn from them; calibrated probabilities have a
 * small expected calibration error where raw scores squashed by a fixed sigmoid do not; on CK+
 * faces of held-out subjects the head's temperature softmax has a lower log loss than a plain
 * softmax of the ridge scores and than the clipped linear probability (s + 1)/2.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import { embedFaces } from '../../../src-main/engine/attributes/appearance-features';
import {
  fitClassifierHead,
  headProbabilities,
} from '../../../src-main/engine/attributes/classifier-head';
import {
  ridgeScores,
  selectRows,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { Rng, deriveSeed } from '../../../src-main/engine/model/rng';
import { readCkFaces } from './appearance-data';
import {
  expectedCalibrationError,
  fitPlatt,
  fitSoftmaxTemperature,
  plattProbability,
  softmaxProbabilities,
} from '../../../src-main/engine/attributes/score-calibration';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('Platt scaling', () => {
  it('recovers a logistic map from labels drawn from it, and calibrates', () => {
    const rng = new Rng(3);
    const n = 4000;
    const margins = Float64Array.from({ length: n }, () => rng.normal() * 0.4);
    // True P(yes | m) = σ(5m − 0.5): the margins are too small by 5× and off-centre, as ridge
    // margins of ±1 targets are.
    const truth = Int32Array.from(margins, (m) =>
      rng.uniform(0, 1) < sigmoid(5 * m - 0.5) ? 1 : 0,
    );
    const platt = fitPlatt(margins, truth);
    expect(platt.a).toBeGreaterThan(4.3);
    expect(platt.a).toBeLessThan(5.7);
    expect(platt.b).toBeGreaterThan(-0.75);
    expect(platt.b).toBeLessThan(-0.25);
    const calibrated = Float64Array.from(margins, (m) => plattProbability(platt, m));
    const raw = Float64Array.from(margins, (m) => sigmoid(m));
    expect(expectedCalibrationError(calibrated, truth)).toBeLessThan(0.03);
    expect(expectedCalibrationError(raw, truth)).toBeGreaterThan(0.1);
  });

  it('keeps probabilities off 0 and 1 when the training margins separate perfectly', () => {
    const margins = [-2, -1.5, -1, 1, 1.5, 2];
    const platt = fitPlatt(margins, [0, 0, 0, 1, 1, 1]);
    expect(plattProbability(platt, 2)).toBeLessThan(0.95);
    expect(plattProbability(platt, -2)).toBeGreaterThan(0.05);
    expect(plattProbability(platt, 2)).toBeGreaterThan(0.5);
  });

  it('refuses margins and labels of different lengths', () => {
    expect(() => fitPlatt([1, 2], [1])).toThrow(/margins and labels/);
  });
});

describe('softmax temperature', () => {
  it('recovers the temperature of labels drawn from softmax(t·s)', () => {
    const rng = new Rng(5);
    const n = 3000;
    const k = 4;
    const scores = Float64Array.from({ length: n * k }, () => rng.normal() * 0.5);
    const labels = Int32Array.from({ length: n }, (_, i) => {
      const p = softmaxProbabilities({ temperature: 4 }, scores.subarray(i * k, (i + 1) * k));
      let u = rng.uniform(0, 1);
      for (let c = 0; c < k; c++) if ((u -= p[c]!) < 0) return c;
      return k - 1;
    });
    const { temperature } = fitSoftmaxTemperature(scores, labels, k);
    expect(temperature).toBeGreaterThan(3.4);
    expect(temperature).toBeLessThan(4.6);
  });

  it('gives probabilities that sum to 1 in the scores’ order', () => {
    const p = softmaxProbabilities({ temperature: 2 }, [0.1, 0.9, -0.3]);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]!);
    expect(p[0]).toBeGreaterThan(p[2]!);
  });
});

describe('the head’s calibration on CK+ held out by subject', () => {
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

  it('the temperature softmax beats a plain softmax of the scores and the clipped (s + 1)/2 on log loss and Brier score', async () => {
    const names = [...new Set(subjects)].sort();
    const order = new Rng(deriveSeed(2, 22)).permutation(names.length);
    const held = new Set(order.slice(0, Math.round(names.length / 4)).map((i) => names[i]!));
    const train = subjects.flatMap((s, i) => (held.has(s) ? [] : [i]));
    const test = subjects.flatMap((s, i) => (held.has(s) ? [i] : []));
    const classes = 7;
    const head = await fitClassifierHead(
      { task: 'expression', classes: Array.from({ length: classes }, (_, c) => `c${c}`) },
      [{ backbone: 'mini-xception', tap: 'pooled' }],
      selectRows(features, train),
      train.map((i) => [labels[i]!]),
      { groups: train.map((i) => subjects[i]!) },
    );
    if (head.task !== 'expression') throw new Error('not an expression head');
    const x = selectRows(features, test);
    const calibrated = headProbabilities(head, x);
    const scores = ridgeScores(head.model, x);
    const plain = new Float64Array(scores.length);
    const linear = new Float64Array(scores.length);
    for (let r = 0; r < test.length; r++) {
      const row = scores.subarray(r * classes, (r + 1) * classes);
      plain.set(softmaxProbabilities({ temperature: 1 }, row), r * classes);
      const clipped = Array.from(row, (s) => Math.max(0, (s + 1) / 2));
      const sum = clipped.reduce((a, b) => a + b);
      clipped.forEach((v, c) => (linear[r * classes + c] = v / sum));
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
    const [a, b, c] = [judge(calibrated), judge(plain), judge(linear)];
    console.log(
      `CK+ ${test.length} held-out faces (temperature ${head.calibration.temperature.toFixed(2)}): ` +
        `Brier calibrated ${a.brier.toFixed(3)}, plain softmax ${b.brier.toFixed(3)}, (s + 1)/2 ${c.brier.toFixed(3)}; ` +
        `log loss (floored at 1e-3) ${a.logLoss.toFixed(3)}, ${b.logLoss.toFixed(3)}, ${c.logLoss.toFixed(3)}`,
    );
    expect(a.logLoss).toBeLessThan(b.logLoss);
    expect(a.logLoss).toBeLessThan(c.logLoss);
    expect(a.brier).toBeLessThan(b.brier);
    expect(a.brier).toBeLessThan(c.brier);
  }, 120_000);
});
