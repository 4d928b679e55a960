import { describe, expect, it } from 'vitest';
import {
  ranks,
  reliabilityTable,
  spearman,
} from '../../../src-main/engine/landmarks/uncertainty-report';

describe('uncertainty report', () => {
  it('ranks with ties and correlates ranks, not values', () => {
    expect(Array.from(ranks([3, 1, 3, 2]))).toEqual([2.5, 0, 2.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 100, 1000, 1e6])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(() => spearman([1], [1, 2])).toThrow(/1 and 2 values/);
  });

  it('bins by predicted σ and reports the actual error beside it', () => {
    const sigma = [0.1, 0.1, 1, 1];
    const error = [0.1, 0.3, 1, 5];
    const table = reliabilityTable(sigma, error, 2);
    expect(table).toHaveLength(2);
    expect(table[0]!.meanSigma).toBeCloseTo(0.1);
    expect(table[0]!.rmsError).toBeCloseTo(Math.sqrt((0.01 + 0.09) / 2));
    expect(table[0]!.within2Sigma).toBe(0.5);
    expect(table[1]!.within2Sigma).toBe(0.5);
  });
});
