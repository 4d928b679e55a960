import { describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import {
  cedAuc,
  cedCurve,
  failureRate,
  landmarkMetrics,
  nmeOfFace,
  nmePerFace,
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

describe('NME input checks', () => {
  const truth = [30, 40, 70, 40, 50, 60];

  it('refuses shapes of different lengths, odd lengths and empty shapes', () => {
    expect(() => nmeOfFace([30, 40, 70, 40], truth, [0, 1])).toThrow(
      'NME: shapes of 4 and 6 values differ',
    );
    expect(() => nmeOfFace([1, 2, 3], [1, 2, 3], [0, 1])).toThrow(
      'NME: shapes of 3 and 3 values differ',
    );
    expect(() => nmeOfFace([], [], [0, 1])).toThrow('NME: shapes of 0 and 0 values differ');
  });

  it('refuses a ground truth whose normaliser points coincide', () => {
    expect(() => nmeOfFace(truth, [5, 5, 5, 5, 9, 9], [0, 1])).toThrow(
      'NME: the normaliser points coincide in the ground truth',
    );
  });

  it('normalises by the Euclidean distance, the y difference included', () => {
    // Normaliser points (0, 0) and (30, 40): 50 apart (not the 30 of x alone, nor 0 of y alone).
    const tilted = [0, 0, 30, 40, 10, 10];
    const predicted = [0, 0, 30, 40, 13, 14]; // one point 5 px off: mean 5/3 px
    expect(nmeOfFace(predicted, tilted, [0, 1])).toBeCloseTo(5 / 3 / 50, 12);
  });

  it('refuses a set with more predictions than faces', () => {
    expect(() => nmePerFace([truth, truth], [truth], [0, 1])).toThrow(
      'NME: 2 predictions for 1 faces',
    );
  });
});

describe('CED curve', () => {
  it('counts faces at or below each threshold, whatever the order of the errors', () => {
    const { thresholds, fraction } = cedCurve([0.1, 0, 0.05, 0.3], 0.1, 2);
    expect(thresholds).toEqual([0, 0.05, 0.1]);
    // A face exactly at a threshold is below it: 0 at 0, 0.05 at 0.05, 0.1 at 0.1.
    expect(fraction).toEqual([0.25, 0.5, 0.75]);
  });

  it('samples `samples` + 1 thresholds from 0 to max', () => {
    const { thresholds, fraction } = cedCurve([0.02]);
    expect(thresholds).toHaveLength(101);
    expect(thresholds.at(-1)).toBeCloseTo(0.1, 15);
    expect(fraction.at(-1)).toBe(1);
  });

  it('is zero everywhere for no faces', () => {
    expect(cedCurve([], 0.1, 4).fraction).toEqual([0, 0, 0, 0, 0]);
  });
});
