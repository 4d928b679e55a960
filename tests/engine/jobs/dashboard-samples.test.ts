import { describe, expect, it } from 'vitest';
import { SAMPLE_FACES, sampleIndices } from '../../../src-main/engine/jobs/dashboard-samples';

describe('sampleIndices', () => {
  it('takes every face of a small split and spreads the default count over a large one', () => {
    expect(sampleIndices(3)).toEqual([0, 1, 2]);
    expect(sampleIndices(10)).toEqual([0, 2, 5, 7]);
    expect(sampleIndices(100)).toHaveLength(SAMPLE_FACES);
    expect(sampleIndices(9, 3)).toEqual([0, 3, 6]);
    expect(sampleIndices(0)).toEqual([]);
  });
});
