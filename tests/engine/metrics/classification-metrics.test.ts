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

  it('rejects each side of the class range, naming it, and mismatched lengths', () => {
    for (const [t, p] of [
      [-1, 0],
      [3, 0],
      [0, -1],
      [0, 3],
    ] as const)
      expect(() => confusionMatrix([t], [p], 3)).toThrow(
        'confusion matrix: class out of range 0..2',
      );
    expect(() => confusionMatrix([0, 1], [0], 3)).toThrow(
      'confusion matrix: 1 predictions for 2 labels',
    );
  });

  it('argmax of every row, the first of tied scores winning', () => {
    // Rows: rising, peak in the middle, peak first, a tie of the first two.
    const scores = [0, 1, 2, 0, 2, 1, 3, 0, 0, 1, 1, 0];
    expect(argmaxRows(scores, 3)).toEqual([2, 1, 0, 0]);
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

  it('counts a probability of exactly 0.5 as yes', () => {
    expect(attributeMetrics([1, 0], [0.5, 0.5], 1).accuracy).toEqual([0.5]);
  });

  it('averages only the attributes some face is labelled for', () => {
    // Attribute 1 has no label at all: its accuracy is unknown and left out of the mean.
    const m = attributeMetrics([1, NaN, 0, NaN], [0.9, 0.1, 0.8, 0.1], 2);
    expect(m.accuracy[0]).toBe(0.5);
    expect(m.accuracy[1]).toBeNaN();
    expect(m.meanAccuracy).toBe(0.5);
  });
});
