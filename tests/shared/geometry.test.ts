import { describe, expect, it } from 'vitest';
import { boundsOf } from '../../src-main/shared/geometry';

describe('boundsOf', () => {
  it('bounds points, or returns null for none', () => {
    expect(boundsOf([])).toBeNull();
    expect(
      boundsOf([
        { x: 3, y: 9 },
        { x: -1, y: 4 },
        { x: 7, y: 5 },
      ]),
    ).toEqual({ x: -1, y: 4, width: 8, height: 5 });
  });
});
