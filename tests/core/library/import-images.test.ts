import { createHash } from 'node:crypto';
import type * as OsModule from 'node:os';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ImageRecord } from '../../../src-main/shared/domain';
import { PixelLimitExceeded } from '../../../src-main/core/library/image-rejected';
import type * as ImageIdModule from '../../../src-main/core/library/image-id';
import { imageIdOf } from '../../../src-main/core/library/image-id';
import { openImage } from '../../../src-main/core/library/image-source';
import { importImages, indexImageFiles } from '../../../src-main/core/library/import-images';
import type { ImportProgress } from '../../../src-main/core/library/import-progress';
import { thumbnailPath } from '../../../src-main/core/library/thumbnails';
import { BAD_IMAGES, DATA, encodeBmp } from './test-images';

// Passed through unchanged, except where a test holds the hashes back to choose their order.
vi.mock('../../../src-main/core/library/image-id', async (importOriginal) => {
  const real = await importOriginal<typeof ImageIdModule>();
  return { ...real, imageIdOf: vi.fn(real.imageIdOf) };
});

// The same for the core count, which a test sets to see the default concurrency follow it.
vi.mock('node:os', async (importOriginal) => {
  const real = await importOriginal<typeof OsModule>();
  return { ...real, availableParallelism: vi.fn(real.availableParallelism) };
});

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

describe('indexImageFiles', () => {
  it('adds, skips and rejects as importImages does, but for what needs decoding; writes no thumbnail', async () => {
    const options = {
      roots: [images],
      projectDir: root,
      subjectOf: (path: string) => /^(S\d+)_/.exec(basename(path))?.[1],
    };
    const imported = await importImages({ ...options, thumbnailDir: join(root, 'cache', 'eager') });
    const lazyThumbs = join(root, 'cache', 'lazy');
    const indexed = await indexImageFiles({ ...options, thumbnailDir: lazyThumbs });

    // The header alone cannot tell a truncated JPEG or PNG: those are found when decoded.
    const importedIds = new Set(imported.added.map((r) => r.id));
    const notDecoded = indexed.added.filter((r) => !importedIds.has(r.id));
    expect(notDecoded.map((r) => basename(r.path)).sort()).toEqual([
      'truncated.jpg',
      'truncated.png',
    ]);
    expect(indexed.added.filter((r) => importedIds.has(r.id))).toEqual(imported.added);
    const undecoded = new Set(notDecoded.map((r) => join(root, r.path)));
    expect(indexed.failed).toEqual(imported.failed.filter((f) => !undecoded.has(f.path)));
    expect(indexed.duplicates).toEqual(imported.duplicates);
    expect(indexed.cancelled).toBe(false);
    await expect(readdir(lazyThumbs)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('importImages with the hashes finishing out of scan order', () => {
  /**
   * Holds the hashes until `order.length` files are being hashed at once, then lets those finish
   * in `order` (by file name) and later ones straight through: proof that that many workers run,
   * and a race the test chooses. Those in `failing` then fail to hash, in that same order.
   */
  function holdHashes(order: string[], failing: string[] = []): void {
    const waiting: { name: string; release: () => void }[] = [];
    let holding = true;
    const real = vi.mocked(imageIdOf).getMockImplementation()!;
    vi.mocked(imageIdOf).mockImplementation(async (path: string) => {
      // Hashed first, held after: the release order alone decides which finishes first.
      const id = await real(path);
      if (!holding) return id;
      await new Promise<void>((resolve) => {
        waiting.push({ name: basename(path), release: resolve });
        if (waiting.length < order.length) return;
        holding = false;
        for (const name of order) waiting.find((w) => w.name === name)!.release();
      });
      if (failing.includes(basename(path))) throw new Error('read error');
      return id;
    });
  }

  it('reports the first copy in scan order as kept and failures in scan order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'library-race-'));
    try {
      const png = (colour: string) =>
        sharp({ create: { width: 4, height: 6, channels: 3, background: colour } })
          .png()
          .toBuffer();
      const [x, y, z] = await Promise.all([png('#ff0000'), png('#00ff00'), png('#0000ff')]);
      const files: Record<string, Buffer> = {
        'a.png': x,
        'b.png': x,
        'c.png': y,
        'd.png': x,
        'e.png': Buffer.from('not a png'),
        'f.png': Buffer.from('nor this'),
        'g.png': z,
        'h.png': z,
      };
      for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
      // The copies of x finish last first; z's in scan order; f fails before e.
      holdHashes(
        ['h.png', 'd.png', 'f.png', 'c.png', 'b.png', 'e.png', 'a.png', 'g.png'],
        ['e.png', 'f.png'],
      );
      const done: number[] = [];
      const result = await indexImageFiles({
        roots: [dir],
        thumbnailDir: join(dir, 'thumbs'),
        concurrency: 8,
        // Far longer than the test: only the first report and the final one come.
        progressIntervalMs: 1e12,
        onProgress: (progress) => done.push(progress.done),
      });
      expect(done).toEqual([1, 8]);
      expect(result.added.map((r) => [basename(r.path), r.width, r.height])).toEqual([
        ['a.png', 4, 6],
        ['c.png', 4, 6],
        ['g.png', 4, 6],
      ]);
      expect(result.duplicates.map((d) => [basename(d.path), basename(d.duplicateOf!)])).toEqual([
        ['b.png', 'a.png'],
        ['d.png', 'a.png'],
        ['h.png', 'g.png'],
      ]);
      expect(result.failed.map((f) => basename(f.path))).toEqual(['e.png', 'f.png']);
    } finally {
      vi.mocked(imageIdOf).mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works on as many files at once as there are cores, and on two with one core', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'library-cores-'));
    try {
      const names = ['a.png', 'b.png', 'c.png'];
      for (const [i, name] of names.entries()) {
        const colour = ['#100000', '#200000', '#300000'][i]!;
        await sharp({ create: { width: 2, height: 2, channels: 3, background: colour } })
          .png()
          .toFile(join(dir, name));
      }
      const index = () => indexImageFiles({ roots: [dir], thumbnailDir: join(dir, 'thumbs') });
      vi.mocked(availableParallelism).mockReturnValue(3);
      holdHashes(['c.png', 'b.png', 'a.png']);
      expect((await index()).added.map((r) => basename(r.path))).toEqual(names);
      vi.mocked(availableParallelism).mockReturnValue(1);
      holdHashes(['b.png', 'a.png']);
      expect((await index()).added.map((r) => basename(r.path))).toEqual(names);
    } finally {
      vi.mocked(availableParallelism).mockRestore();
      vi.mocked(imageIdOf).mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('importImages with files the scan refuses', () => {
  it('lists a link out of the folder before every file it read, and does not count the thumbnails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'library-import-scan-'));
    try {
      const set = join(dir, 'set');
      await mkdir(join(set, 'thumbs'), { recursive: true });
      await writeFile(join(set, 'a.png'), 'not an image');
      await copyFile(join(DATA, 'fixtures', 'einstein.jpg'), join(dir, 'outside.jpg'));
      await symlink(join(dir, 'outside.jpg'), join(set, 'b.jpg'));
      await copyFile(join(DATA, 'fixtures', 'breakingbad.jpg'), join(set, 'c.jpg'));
      await copyFile(join(DATA, 'fixtures', 'takeo.ppm'), join(set, 'thumbs', 'old.ppm'));
      const progress: ImportProgress[] = [];
      const result = await importImages({
        roots: [set],
        thumbnailDir: join(set, 'thumbs'),
        onProgress: (p) => progress.push(p),
        progressIntervalMs: 0,
      });
      expect(result.failed.map((f) => [basename(f.path), f.reason])).toEqual([
        ['b.jpg', 'outside-folder'],
        ['a.png', 'not-an-image'],
      ]);
      expect(result.added.map((r) => basename(r.path))).toEqual(['c.jpg']);
      expect(progress.at(-1)).toMatchObject({ done: 2, total: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('importImages cancelled before it starts', () => {
  it('counts no file and reads none', async () => {
    const controller = new AbortController();
    controller.abort();
    const progress: ImportProgress[] = [];
    const result = await importImages({
      roots: [images],
      thumbnailDir: thumbs,
      signal: controller.signal,
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
    });
    expect(result).toMatchObject({ added: [], duplicates: [], failed: [], cancelled: true });
    expect(progress.at(-1)).toMatchObject({ done: 0, total: 0 });
  });
});

describe('importImages with a root that is not there', () => {
  it('lists it, unreadable, before every file it read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'library-import-missing-'));
    try {
      const missing = join(dir, 'gone');
      const set = join(dir, 'set');
      await mkdir(set);
      await writeFile(join(set, 'a.png'), 'not an image');
      const result = await importImages({
        roots: [missing, set],
        thumbnailDir: join(dir, 'thumbs'),
      });
      expect(result.failed).toEqual([
        {
          path: missing,
          reason: 'unreadable',
          message: `${missing}: cannot be listed (Error: ENOENT: no such file or directory, stat '${missing}')`,
        },
        {
          path: join(set, 'a.png'),
          reason: 'not-an-image',
          message: `${join(set, 'a.png')}: is not a JPEG, PNG, WebP, BMP or PPM image`,
        },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
