import { describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import {
  cedAuc,
  cedCurve,
  failureRate,
  landmarkMetrics,
  nmeOfFace,
} from '../../../src-main/engine/metrics/landmark-metrics';

describe('NME', () => {
  it('matches a hand-worked 5-point example normalised by the eye centres', () => {
    const schema = builtinLandmarkSchema('five');
    expect(schema.normaliser).toEqual([0, 1]);
    // Eyes 40 px apart; errors: 0, 0, 3-4-5 triangle = 5 px, 2 px, 0 → mean 7/5 = 1.4 px.
    const truth = [30, 40, 70, 40, 50, 60, 35, 80, 65, 80];
    const predicted = [30, 40, 70, 40, 53, 64, 37, 80, 65, 80];
    expect(nmeOfFace(predicted, truth, schema.normaliser)).toBeCloseTo(1.4 / 40, 12);
  });

  it('uses the outer eye corners 36/45 for 68 points and 60/72 for 98', () => {
    expect(builtinLandmarkSchema('ibug68').normaliser).toEqual([36, 45]);
    expect(builtinLandmarkSchema('wflw98').normaliser).toEqual([60, 72]);
    const truth = new Array<number>(136).fill(0);
    truth[72] = 10; // point 36 at (10, 0)
    truth[90] = 60; // point 45 at (60, 0): inter-ocular 50
    const predicted = truth.map((v, i) => (i === 0 ? v + 68 : v)); // one point off by 68 px
    expect(nmeOfFace(predicted, truth, [36, 45])).toBeCloseTo(68 / 68 / 50, 12);
  });

  it('is the same in pixels and in crop-normalised coordinates', () => {
    const truth = [30, 40, 70, 40, 50, 60, 35, 80, 65, 80];
    const predicted = [31, 42, 69, 40, 50, 62, 35, 81, 64, 80];
    const scale = (s: number[]): number[] => s.map((v) => v / 128);
    expect(nmeOfFace(scale(predicted), scale(truth), [0, 1])).toBeCloseTo(
      nmeOfFace(predicted, truth, [0, 1]),
      12,
    );
  });
});

describe('failure rate, CED and AUC', () => {
  it('AUC of a known CED: errors 0, 0.05 and ≥ 0.1 give (1 + 0.5 + 0) / 3', () => {
    const errors = [0, 0.05, 0.1, 0.3];
    // Area under the step CED on [0, 0.1], divided by 0.1: faces contribute 1, 0.5, 0, 0.
    expect(cedAuc(errors)).toBeCloseTo(1.5 / 4, 12);
    expect(failureRate(errors)).toBe(0.25); // only 0.3 is above 10%; 0.1 itself is not a failure
  });

  it('the exact AUC agrees with the trapezoid area of a finely sampled CED', () => {
    const errors = [0.012, 0.034, 0.047, 0.061, 0.083, 0.099, 0.15];
    const { thresholds, fraction } = cedCurve(errors, 0.1, 20000);
    let area = 0;
    for (let i = 1; i < thresholds.length; i++)
      area += ((fraction[i]! + fraction[i - 1]!) / 2) * (thresholds[i]! - thresholds[i - 1]!);
    expect(cedAuc(errors)).toBeCloseTo(area / 0.1, 3);
    expect(fraction.at(-1)).toBeCloseTo(6 / 7, 12);
    expect(fraction[0]).toBe(0);
  });

  it('summarises a set', () => {
    const truth = [
      [0, 0, 10, 0],
      [0, 0, 10, 0],
    ];
    const predicted = [
      [0, 0, 10, 0],
      [2, 0, 10, 0],
    ];
    const m = landmarkMetrics(predicted, truth, [0, 1]);
    expect(m.nme).toBeCloseTo((0 + 0.1) / 2, 12); // second face: (2/2)/10 = 0.1
    expect(m.failureRate).toBe(0);
    expect(m.auc).toBeCloseTo((1 + 0) / 2, 12);
    expect(m.faces).toBe(2);
  });
});
