import { describe, expect, it } from 'vitest';
import {
  canKeepAsFace,
  flagReasons,
  labelBadge,
} from '../../../src-renderer/src/features/library/tile-status';

describe('what a library tile says', () => {
  it('says in words whether the face is labelled, needs review or is unlabelled', () => {
    expect(labelBadge({ labelled: true, needsReview: false })).toEqual({
      state: 'labelled',
      text: 'Labelled',
    });
    expect(labelBadge({ labelled: false, needsReview: true }).text).toBe('Needs review');
    expect(labelBadge({ labelled: false, needsReview: false }).text).toBe('Unlabelled');
  });

  it('gives each flag its reason, and offers keeping only a face flag', () => {
    expect(flagReasons({ flags: ['no-face', 'near-duplicate'] })).toEqual([
      'No face found',
      'Near-duplicate',
    ]);
    expect(flagReasons({})).toEqual([]);
    expect(canKeepAsFace({ flags: ['no-face'] })).toBe(true);
    expect(canKeepAsFace({ flags: ['tiny-face'] })).toBe(true);
    expect(canKeepAsFace({ flags: ['near-duplicate'] })).toBe(false);
    expect(canKeepAsFace({})).toBe(false);
  });
});
