import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curateImages } from '../../../src-main/core/library/curate';
import { FaceDetector } from '../../../src-main/core/library/face-detect';
import { importImages } from '../../../src-main/core/library/import-images';
import {
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  dHash,
  groupNearDuplicates,
  hammingDistance,
} from '../../../src-main/core/library/near-duplicates';
import { seededRandom } from '../../../src-main/core/library/splits';
import { DATA } from './test-images';

const helen = join(DATA, '300w-helen', 'test');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'library-curate-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dHash', () => {
  it('stays close under resizing and recompression, far between different faces', async () => {
    const names = (await readdir(helen))
      .filter((n) => n.endsWith('.jpg'))
      .sort()
      .slice(0, 6);
    const hashes = await Promise.all(names.map((n) => dHash(sharp(join(helen, n)))));
    const first = join(helen, names[0] ?? '');
    const recompressed = await sharp(first).resize(200).jpeg({ quality: 40 }).toBuffer();
    expect(hammingDistance(hashes[0] ?? '', await dHash(sharp(recompressed)))).toBeLessThanOrEqual(
      DEFAULT_NEAR_DUPLICATE_DISTANCE,
    );
    for (let i = 1; i < hashes.length; i++) {
      expect(hammingDistance(hashes[0] ?? '', hashes[i] ?? '')).toBeGreaterThan(10);
    }
  });
});

describe('groupNearDuplicates', () => {
  it('finds exactly the pairs a brute-force comparison finds', () => {
    const random = seededRandom(3);
    const hex = (): string =>
      Array.from({ length: 16 }, () => Math.floor(random() * 16).toString(16)).join('');
    const flipBits = (hash: string, n: number): string => {
      let value = BigInt(`0x${hash}`);
      for (let i = 0; i < n; i++) value ^= 1n << BigInt(Math.floor(random() * 64));
      return value.toString(16).padStart(16, '0');
    };
    const images = Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, hash: hex() }));
    // Near copies at 1–7 flipped bits: those ≤ 5 must group, the others only by chance.
    for (let i = 0; i < 40; i++) {
      images.push({ id: `c${i}`, hash: flipBits(images[i]?.hash ?? '', 1 + (i % 7)) });
    }
    const groups = groupNearDuplicates(images, 5);
    const together = (a: string, b: string): boolean =>
      groups.some((g) => g.includes(a) && g.includes(b));
    for (let i = 0; i < images.length; i++) {
      for (let j = i + 1; j < images.length; j++) {
        const a = images[i];
        const b = images[j];
        if (a && b && hammingDistance(a.hash, b.hash) <= 5) expect(together(a.id, b.id)).toBe(true);
      }
    }
    for (const group of groups) expect(group.length).toBeGreaterThan(1);
    expect(groups.length).toBeGreaterThanOrEqual(20);
  });
});

describe('curateImages', () => {
  it('stores face and crop boxes and flags near-duplicates and no-face images', async () => {
    const names = (await readdir(helen))
      .filter((n) => n.endsWith('.jpg'))
      .sort()
      .slice(0, 3);
    await sharp(join(helen, names[0] ?? ''))
      .resize(160)
      .toFile(join(root, 'small-copy.png'));
    for (const name of names) await copyFile(join(helen, name), join(root, name));
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#3366aa' } })
      .png()
      .toFile(join(root, 'blue.png'));
    const imported = await importImages({
      roots: [root],
      thumbnailDir: join(root, 'thumbs'),
      projectDir: root,
    });
    expect(imported.added).toHaveLength(5);

    const detector = await FaceDetector.load();
    const progress: number[] = [];
    const result = await curateImages(imported.added, {
      detector,
      projectDir: root,
      onProgress: (p) => progress.push(p.done),
    });
    const byPath = new Map(result.records.map((r) => [r.path, r]));
    expect(byPath.get('blue.png')).toMatchObject({ face: null, flags: ['no-face'] });
    for (const name of names) {
      const record = byPath.get(name);
      expect(record?.face?.score).toBeGreaterThan(0.5);
      const { box, crop } = record?.face ?? { box: null, crop: null };
      expect(crop?.width).toBeCloseTo(1.5 * Math.max(box?.width ?? 0, box?.height ?? 0));
    }
    // The 160-px copy duplicates the 320-px original: the larger one is kept unflagged.
    expect(byPath.get(names[0] ?? '')?.flags).toEqual([]);
    expect(byPath.get('small-copy.png')?.flags).toEqual(['near-duplicate']);
    expect(result.nearDuplicateGroups).toEqual([
      [byPath.get(names[0] ?? '')?.id, byPath.get('small-copy.png')?.id],
    ]);
    expect(progress.at(-1)).toBe(5);
    expect(result.failed).toEqual([]);
  }, 60_000);
});
