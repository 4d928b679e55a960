import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  attributeMetrics,
  confusionMatrix,
  expressionMetrics,
  perClassRecall,
} from '../../../src-main/engine/metrics/classification-metrics';

describe('expression metrics', () => {
  it('per-class recall and accuracy from a confusion matrix', () => {
    const truth = [0, 0, 0, 0, 1, 1, 2, 2, 2];
    const predicted = [0, 0, 0, 1, 1, 2, 2, 2, 0];
    const m = confusionMatrix(truth, predicted, 4);
    expect(m).toEqual([
      [3, 1, 0, 0],
      [0, 1, 1, 0],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    const recall = perClassRecall(m);
    expect(recall.slice(0, 3)).toEqual([3 / 4, 1 / 2, 2 / 3]);
    expect(recall[3]).toBeNaN(); // no faces of class 3: undefined, not 0
    expect(expressionMetrics(truth, predicted, 4).accuracy).toBeCloseTo(6 / 9, 12);
  });

  it('argmax of flat scores', () => {
    expect(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.3, 0.2], 3)).toEqual([1, 0]);
  });

  it('rejects a class out of range', () => {
    expect(() => confusionMatrix([3], [0], 3)).toThrow(/out of range/);
  });
});

describe('attribute metrics', () => {
  it('mean accuracy over attributes, skipping unlabelled entries', () => {
    // 2 faces × 2 attributes; attribute 1 of face 1 is not labelled.
    const truth = [1, 0, 0, NaN];
    const probability = [0.9, 0.8, 0.2, 0.9];
    const m = attributeMetrics(truth, probability, 2);
    expect(m.accuracy).toEqual([1, 0]);
    expect(m.meanAccuracy).toBe(0.5);
  });
});
