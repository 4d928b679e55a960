/** One-of-N group figures (group-metrics.ts): accuracy over labelled faces only, majority classes. */
import { describe, expect, it } from 'vitest';
import {
  groupAccuracy,
  groupScores,
  majorityGroupClasses,
  meanOfMeasured,
} from '../../../src-main/engine/metrics/group-metrics';

describe('group metrics', () => {
  it('scores each group over the faces labelled for it', () => {
    const truth = [
      [0, 2],
      [1, NaN],
      [1, 2],
      [NaN, 0],
    ];
    const predicted = [
      [0, 2],
      [0, 1],
      [1, 1],
      [2, 0],
    ];
    expect(groupAccuracy(truth, predicted, 2)).toEqual([2 / 3, 2 / 3]);
    expect(groupAccuracy([[NaN]], [[0]], 1)).toEqual([NaN]);
  });

  it('reads the first `groups` columns of each row; a missing column is not labelled', () => {
    // The third column is no group's; the second row labels group 0 only (one right answer of 1,
    // not of 2 as if its missing label were a class).
    expect(
      groupAccuracy(
        [[1, 0, 5], [2]],
        [
          [1, 0, 5],
          [2, 0],
        ],
        2,
      ),
    ).toEqual([1, 1]);
  });

  it('averages what was measured; takes the most frequent class, ties low', () => {
    expect(meanOfMeasured([0.5, NaN, 1])).toBe(0.75);
    expect(meanOfMeasured([NaN])).toBeNaN();
    expect(
      majorityGroupClasses(
        [
          [1, 0],
          [2, NaN],
          [2, 1],
          [1, NaN],
        ],
        [3, 2],
      ),
    ).toEqual([1, 0]);
  });

  it('counts no label outside the group’s classes towards its majority', () => {
    // Class 2 is labelled once; −1, 3 and 2.5 are no class of a 3-class group, however often.
    const train = [[2], [-1], [-1], [3], [3], [2.5], [2.5], [NaN], [NaN]];
    expect(majorityGroupClasses(train, [3])).toEqual([2]);
  });

  it('gives eval each group’s accuracy beside the majority rate of the same faces', () => {
    const groups = [{ name: 'pose', classes: ['left', 'frontal', 'right'] }];
    const scores = groupScores(
      groups,
      [{ pose: 'frontal' }, { pose: 'left' }, undefined, { pose: 'sideways' }, { pose: 'frontal' }],
      [{ pose: 'frontal' }, { pose: 'frontal' }, { pose: 'left' }, { pose: 'left' }, undefined],
    );
    expect(scores).toEqual({ pose: { faces: 3, accuracy: 1 / 3, majorityRate: 2 / 3 } });
    expect(groupScores(groups, [undefined], [undefined]).pose!.accuracy).toBeNaN();
  });
});
