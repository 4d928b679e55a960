/**
 * One batch from decoded images (src-main/engine/data/rgb-batch.ts): each row its own image's
 * bytes ÷ 255, whatever order the decodes finish in, and an index past the end named.
 */
import { describe, expect, it } from 'vitest';
import { rgbBatch } from '../../../src-main/engine/data/rgb-batch';
import { useWasm } from '../../support/engine-helpers';

describe('rgbBatch', () => {
  it('packs each image into its own row, whatever order the decodes finish in', async () => {
    await useWasm();
    // 1×1 images of 3 bytes; the first decode finishes only after the second.
    let releaseFirst = (): void => {};
    const firstMayFinish = new Promise<void>((resolve) => (releaseFirst = resolve));
    const decode = async (item: string): Promise<Buffer> => {
      if (item === 'first') await firstMayFinish;
      else releaseFirst();
      return Buffer.from(item === 'first' ? [255, 0, 51] : [102, 204, 0]);
    };
    const batch = await rgbBatch(['first', 'second'], [0, 1], 1, decode);
    expect(batch.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(batch.dataSync())).toEqual(
      [255, 0, 51, 102, 204, 0].map((v) => Math.fround(v / 255)),
    );
    batch.dispose();
  });

  it('names an index past the end', async () => {
    const decode = async (): Promise<Buffer> => Buffer.alloc(3);
    await expect(rgbBatch(['only'], [0, 4], 1, decode)).rejects.toThrow(
      'Image index 4 is out of range',
    );
  });
});
