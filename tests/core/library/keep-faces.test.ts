import { describe, expect, it } from 'vitest';
import { keptAsFace } from '../../../src-main/core/library/keep-faces';
import type { ImageRecord } from '../../../src-main/shared/domain';

const BASE: ImageRecord = {
  id: 'a'.repeat(64),
  path: 'images/a.jpg',
  width: 200,
  height: 100,
  split: 'pool',
};
const FACE = {
  box: { x: 10, y: 10, width: 30, height: 30 },
  crop: { x: 0, y: 0, width: 50, height: 50 },
  score: 0.9,
};

describe('keptAsFace', () => {
  it('drops no-face and gives the whole image as the face box', () => {
    const kept = keptAsFace({ ...BASE, face: null, flags: ['no-face'] });
    expect(kept.flags).toBeUndefined();
    expect(kept.face).toEqual({
      box: { x: 0, y: 0, width: 200, height: 100 },
      crop: { x: 0, y: 0, width: 200, height: 100 },
      score: 0,
    });
  });

  it('drops tiny-face, keeps the box found and a near-duplicate flag', () => {
    const kept = keptAsFace({ ...BASE, face: FACE, flags: ['tiny-face', 'near-duplicate'] });
    expect(kept).toEqual({ ...BASE, face: FACE, flags: ['near-duplicate'] });
  });

  it('returns the same record when there is nothing to answer', () => {
    const record = { ...BASE, face: FACE, flags: ['near-duplicate' as const] };
    expect(keptAsFace(record)).toBe(record);
  });
});
