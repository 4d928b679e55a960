/**
 * From ridge scores to probabilities: Platt scaling recovers a known logistic map and the softmax
 * temperature a known temperature from samples drawn from them; calibrated probabilities have a
 * small expected calibration error where raw scores squashed by a fixed sigmoid do not.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/engine/model/rng';
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
