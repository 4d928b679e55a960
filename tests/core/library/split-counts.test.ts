import { describe, expect, it } from 'vitest';
import { describeSplitCounts, type SplitCounts } from '../../../src-main/core/library/split-counts';

describe('describeSplitCounts', () => {
  it('names each split in order, its labelled count, and the images to review only when there are some', () => {
    const counts: SplitCounts = {
      train: { images: 8, labelled: 6, needsReview: 2, unlabelled: 0 },
      val: { images: 1, labelled: 1, needsReview: 0, unlabelled: 0 },
      test: { images: 1, labelled: 0, needsReview: 1, unlabelled: 0 },
      pool: { images: 40, labelled: 0, needsReview: 0, unlabelled: 40 },
    };
    expect(describeSplitCounts(counts)).toBe(
      'train 8 (6 labelled, 2 to review) · val 1 (1 labelled) · test 1 (0 labelled, 1 to review) · pool 40 (0 labelled)',
    );
  });
});
