import { describe, expect, it } from 'vitest';
import { meanShape } from '../../../src-main/core/schemas/mean-shape';

describe('meanShape', () => {
  it('refuses no shapes', () => {
    expect(() => meanShape([])).toThrow(new Error('meanShape needs at least one shape'));
  });

  it('refuses shapes with different point counts', () => {
    expect(() =>
      meanShape([
        [
          [0, 0],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
          [2, 2],
        ],
      ]),
    ).toThrow(new Error('meanShape: shapes differ in point count'));
  });
});
