import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageRecord } from '../../../src-main/shared/domain';
import { PixelLimitExceeded } from '../../../src-main/core/library/image-rejected';
import { openImage } from '../../../src-main/core/library/image-source';
import { importImages } from '../../../src-main/core/library/import-images';
import type { ImportProgress } from '../../../src-main/core/library/import-progress';
import { thumbnailPath } from '../../../src-main/core/library/thumbnails';
import { BAD_IMAGES, DATA, encodeBmp } from './test-images';

let root: string;
let images: string;
let thumbs: string;

const CK48_SAMPLE = ['happy', 'anger', 'surprise'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'library-import-'));
  images = join(root, 'images');
  thumbs = join(root, 'cache', 'thumbs');
  await mkdir(join(images, 'ck48'), { recursive: true });
  await mkdir(join(images, 'bad'), { recursive: true });
  await mkdir(join(images, 'copies'), { recursive: true });
  for (const name of ['einstein.jpg', 'breakingbad.jpg', 'takeo.ppm']) {
    await copyFile(join(DATA, 'fixtures', name), join(images, name));
  }
  for (const folder of CK48_SAMPLE) {
    const first = (await readdir(join(DATA, 'ck48', folder))).sort()[0] ?? '';
    await copyFile(join(DATA, 'ck48', folder, first), join(images, 'ck48', first));
  }
  for (const name of await readdir(BAD_IMAGES)) {
    await copyFile(join(BAD_IMAGES, name), join(images, 'bad', name));
  }
  // A byte-identical copy in another folder: one record, one duplicate.
  await copyFile(join(images, 'einstein.jpg'), join(images, 'copies', 'einstein-copy.jpg'));
  // 200×100 stored, EXIF orientation 6 (rotate 90° to show): upright it is 100×200.
  const { data, info } = await sharp(join(DATA, 'fixtures', 'breakingbad.jpg'))
    .resize(200, 100, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toFile(join(images, 'rotated.jpg'));
  await writeFile(join(images, 'picture.bmp'), encodeBmp(data, info.width, info.height, 24));
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .webp()
    .toFile(join(images, 'picture.webp'));
  // Hidden folders (tool state) are not scanned.
  await mkdir(join(images, '.hidden'));
  await copyFile(join(DATA, 'fixtures', 'breakingbad.jpg'), join(images, '.hidden', 'x.jpg'));
  // Non-image files are not candidates at all.
  await writeFile(join(images, 'notes.txt'), 'not scanned');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('importImages', () => {
  it('imports the good files, rejects each bad one by name, and reports duplicates', async () => {
    const progress: ImportProgress[] = [];
    const started = performance.now();
    const result = await importImages({
      roots: [images],
      thumbnailDir: thumbs,
      projectDir: root,
      subjectOf: (path) => /^(S\d+)_/.exec(basename(path))?.[1],
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
    });

    const goodNames = [
      'breakingbad.jpg',
      'einstein-copy.jpg',
      'picture.bmp',
      'picture.webp',
      'rotated.jpg',
      'takeo.ppm',
    ];
    const addedNames = result.added.map((r) => basename(r.path));
    expect(addedNames.filter((n) => !n.startsWith('S')).sort()).toEqual(goodNames);
    expect(addedNames.filter((n) => n.startsWith('S'))).toHaveLength(CK48_SAMPLE.length);
    for (const record of result.added) {
      expect(ImageRecord.parse(record)).toEqual(record);
      expect(record.path.startsWith('images/')).toBe(true); // relative: inside the project
      expect(record.id).toBe(await sha256(join(root, record.path)));
      expect(record.split).toBe('pool');
      const thumb = await sharp(thumbnailPath(thumbs, record.id)).metadata();
      expect(Math.max(thumb.width, thumb.height)).toBeLessThanOrEqual(256);
    }
    const ck = result.added.filter((r) => r.path.includes('ck48'));
    expect(ck.every((r) => /^S\d+$/.test(r.subject ?? ''))).toBe(true);
    expect(ck.every((r) => r.width === 48 && r.height === 48)).toBe(true);

    const byName = new Map(result.added.map((r) => [basename(r.path), r]));
    expect(byName.get('takeo.ppm')).toMatchObject({ width: 150, height: 225 });
    expect(byName.get('picture.bmp')).toMatchObject({ width: 200, height: 100 });

    expect(result.duplicates).toEqual([
      {
        path: join(images, 'einstein.jpg'),
        id: byName.get('einstein-copy.jpg')?.id,
        duplicateOf: join(images, 'copies', 'einstein-copy.jpg'),
      },
    ]);
    // The kept path is the first in scan order (copies/ sorts before einstein.jpg).
    expect(byName.get('einstein-copy.jpg')?.path).toBe('images/copies/einstein-copy.jpg');

    const reasons = Object.fromEntries(result.failed.map((f) => [basename(f.path), f.reason]));
    expect(reasons).toEqual({
      'bomb.png': 'too-many-pixels',
      'empty.jpg': 'empty',
      'text.jpg': 'not-an-image',
      'truncated.bmp': 'truncated',
      'truncated.jpg': 'truncated',
      'truncated.png': 'truncated',
      'truncated.ppm': 'truncated',
    });
    for (const failure of result.failed)
      expect(failure.message.startsWith(failure.path)).toBe(true);
    expect(result.cancelled).toBe(false);

    const last = progress.at(-1);
    const total = 9 + 1 + (await readdir(BAD_IMAGES)).length;
    expect(last).toMatchObject({ done: total, total, added: 9, duplicates: 1, failed: 7 });
    // The rate is what was done over the time it took, and that time is inside this test's.
    expect(last!.imagesPerSecond).toBeCloseTo(total / last!.elapsedSeconds, 6);
    expect(last!.elapsedSeconds).toBeLessThanOrEqual((performance.now() - started) / 1000);
    expect(progress.map((p) => p.done)).toEqual(
      [...progress.map((p) => p.done)].sort((a, b) => a - b),
    );
  });

  it('honours EXIF orientation: size and thumbnail are upright', async () => {
    const image = await openImage(join(images, 'rotated.jpg'));
    expect([image.orientation, image.width, image.height]).toEqual([6, 100, 200]);
    // Its own import and thumbnail folder: the test does not lean on another test's thumbnails.
    const ownThumbs = join(root, 'cache', 'exif-thumbs');
    const result = await importImages({
      roots: [join(images, 'rotated.jpg')],
      thumbnailDir: ownThumbs,
    });
    const id = await sha256(join(images, 'rotated.jpg'));
    expect(result.added.map((r) => [r.id, r.width, r.height])).toEqual([[id, 100, 200]]);
    const thumb = await sharp(thumbnailPath(ownThumbs, id)).metadata();
    expect([thumb.width, thumb.height]).toEqual([100, 200]);
  });

  it('decodes BMP to the same pixels it was written from', async () => {
    const fromBmp = await (
      await openImage(join(images, 'picture.bmp'))
    )
      .pipeline()
      .raw()
      .toBuffer();
    const fromWebpSource = await sharp(join(DATA, 'fixtures', 'breakingbad.jpg'))
      .resize(200, 100, { fit: 'fill' })
      .raw()
      .toBuffer();
    expect(fromBmp.equals(fromWebpSource)).toBe(true);
  });

  it('skips files whose content the project already has', async () => {
    const first = await importImages({ roots: [images], thumbnailDir: thumbs });
    const again = await importImages({
      roots: [images],
      thumbnailDir: thumbs,
      existingIds: new Set(first.added.map((r) => r.id)),
    });
    expect(again.added).toEqual([]);
    expect(again.duplicates).toHaveLength(first.added.length + 1);
    // Both copies of einstein.jpg: the project has the content, so neither is "kept" here.
    expect(again.duplicates.every((d) => d.duplicateOf === null)).toBe(true);
  });

  it('names the decompression-bomb error', async () => {
    await expect(openImage(join(BAD_IMAGES, 'bomb.png'))).rejects.toThrow(PixelLimitExceeded);
    await expect(openImage(join(BAD_IMAGES, 'bomb.png'))).rejects.toThrow(
      /bomb\.png: declares 100000×100000 pixels .* over the 100 MP limit/,
    );
    // A lower limit applies to ordinary images too, BMP and PPM included.
    await expect(openImage(join(images, 'takeo.ppm'), { pixelLimit: 1000 })).rejects.toThrow(
      PixelLimitExceeded,
    );
  });

  it('stops early when cancelled and keeps what it finished', async () => {
    const controller = new AbortController();
    const result = await importImages({
      roots: [images],
      thumbnailDir: join(root, 'cache', 'other-thumbs'),
      concurrency: 1,
      progressIntervalMs: 0,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 2) controller.abort();
      },
    });
    expect(result.cancelled).toBe(true);
    const handled = result.added.length + result.duplicates.length + result.failed.length;
    expect(handled).toBe(2);
    expect(await readdir(join(root, 'cache', 'other-thumbs'))).toHaveLength(result.added.length);
  });
});
