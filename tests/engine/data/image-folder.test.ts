import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { promises as fsPromises } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

  it('lists the images sorted by name, up to the limit', async () => {
    // The listing as the file system might give it, out of order; a name's case does not hide
    // its extension.
    const listing = vi
      .spyOn(fsPromises, 'readdir')
      // Without options readdir gives names; the spy has the type of its last overload.
      .mockImplementation(async () => ['c.png', 'notes.txt', 'a.PNG', 'b.png'] as never);
    try {
      const all = await ImageFolderData.open(dir, 8);
      expect(all.files).toEqual(['a.PNG', 'b.png', 'c.png'].map((n) => path.join(dir, n)));
      const two = await ImageFolderData.open(dir, 8, 2);
      expect(two.files).toEqual(['a.PNG', 'b.png'].map((n) => path.join(dir, n)));
    } finally {
      listing.mockRestore();
    }
  });

  it('names a folder it cannot read, and one with no images', async () => {
    const missing = path.join(dir, 'no-such-folder');
    await expect(ImageFolderData.open(missing, 8)).rejects.toThrow(
      `Image folder ${missing} cannot be read: `,
    );
    const own = await mkdtemp(path.join(os.tmpdir(), 'fs-noimages-'));
    try {
      await writeFile(path.join(own, 'notes.txt'), 'not an image');
      await expect(ImageFolderData.open(own, 8)).rejects.toThrow(
        `Image folder ${own} holds no images`,
      );
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('squashes a wide image to the square, keeping all of it', async () => {
    // 30×10: red on the left third, blue elsewhere. Squashed, red stays on the left; cropped to
    // the middle square, it would be gone.
    const own = await mkdtemp(path.join(os.tmpdir(), 'fs-wide-'));
    try {
      const file = path.join(own, 'wide.png');
      await sharp({ create: { width: 30, height: 10, channels: 3, background: '#0000ff' } })
        .composite([
          {
            input: { create: { width: 10, height: 10, channels: 3, background: '#ff0000' } },
            left: 0,
            top: 0,
          },
        ])
        .png()
        .toFile(file);
      const batch = await ImageFolderData.fromFiles([file], 8).batch([0]);
      const px = batch.dataSync();
      const red = (x: number) => px[(4 * 8 + x) * 3]!;
      expect([red(1), red(7)]).toEqual([1, 0]);
      batch.dispose();
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
