import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFolderData } from '../../../src-main/engine/data/image-folder';
import { useWasm } from '../../support/engine-helpers';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-images-'));
  // A pure red 20×10 image and a grey one: squashed to 8×8, red stays (1, 0, 0).
  await sharp({
    create: { width: 20, height: 10, channels: 3, background: { r: 255, g: 0, b: 0 } },
  })
    .png()
    .toFile(path.join(dir, 'a.png'));
  await sharp({
    create: { width: 9, height: 9, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .greyscale() // a one-channel PNG
    .png()
    .toFile(path.join(dir, 'b.png'));
  await writeFile(path.join(dir, 'notes.txt'), 'not an image');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('image folder data', () => {
  it('lists image files only and decodes them to [n, S, S, 3] floats in [0, 1]', async () => {
    const data = await ImageFolderData.open(dir, 8);
    expect(data.size).toBe(2);
    const batch = await data.batch([0, 1]);
    expect(batch.shape).toEqual([2, 8, 8, 3]);
    const px = batch.dataSync();
    expect([px[0], px[1], px[2]]).toEqual([1, 0, 0]);
    expect(px[8 * 8 * 3]).toBeCloseTo(128 / 255, 5); // grey expanded to 3 channels
    batch.dispose();
  });

  it('names the file that cannot be decoded', async () => {
    // Its own folder: the listing test above must not see this file, whatever the order.
    const own = await mkdtemp(path.join(os.tmpdir(), 'fs-broken-'));
    try {
      const bad = path.join(own, 'broken.jpg');
      await writeFile(bad, 'garbage');
      const data = ImageFolderData.fromFiles([bad], 8);
      await expect(data.batch([0])).rejects.toThrow(/broken\.jpg/);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
