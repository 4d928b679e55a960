/**
 * Which images pre-training learns from: the pool and train splits, less those curation flagged
 * as showing no face (the Train view's count of them: one-click-config.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { pretrainSources } from '../../../src-main/app/training/pretrain-sources';
import type { ImageRecord } from '../../../src-main/shared/domain';
import { imageRecord } from '../../support/project-data';

const SPLITS = ['pool', 'train', 'val', 'test'] as const;

/** Every split, with and without the no-face flag, and one record without a face box. */
function records(): ImageRecord[] {
  return Array.from({ length: 16 }, (_, n) => {
    const record: ImageRecord = { ...imageRecord(n), split: SPLITS[n % 4]! };
    if (n % 8 >= 4) record.flags = ['no-face'];
    if (n === 1) delete record.face;
    return record;
  });
}

describe('pretrainSources', () => {
  it('keeps pool and train images with a face, each with its crop or the whole image', () => {
    const sources = pretrainSources('/p', records());
    expect(sources.map((s) => s.file)).toEqual(
      [0, 1, 8, 9].map((n) => `/p/${imageRecord(n).path}`),
    );
    expect(sources[1]!.crop).toBeNull();
    expect(sources[0]!.crop).toEqual(imageRecord(0).face!.crop);
  });
});
