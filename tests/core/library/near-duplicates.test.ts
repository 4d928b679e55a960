import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curateImages } from '../../../src-main/core/library/curate';
import { FaceDetector } from '../../../src-main/core/library/face-detect';
import { importImages } from '../../../src-main/core/library/import-images';
import {
  DEFAULT_NEAR_DUPLICATE_DISTANCE,
  dHash,
  dHashOfGrey9x8,
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

describe('dHashOfGrey9x8', () => {
  it('sets a bit, first row first, where a pixel is darker than its right neighbour', () => {
    const grey = new Uint8Array(72);
    // Row 0: only 0 < 1 at column 0 (the first, highest bit); row 7: only at column 7 (the last).
    grey[1] = 1;
    grey[7 * 9 + 8] = 1;
    expect(dHashOfGrey9x8(grey)).toBe('8000000000000001');
    // Equal neighbours set no bit; a brighter left one neither.
    expect(dHashOfGrey9x8(new Uint8Array(72).fill(9))).toBe('0000000000000000');
    const falling = Uint8Array.from({ length: 72 }, (_, i) => 100 - (i % 9));
    expect(dHashOfGrey9x8(falling)).toBe('0000000000000000');
    const rising = Uint8Array.from({ length: 72 }, (_, i) => i % 9);
    expect(dHashOfGrey9x8(rising)).toBe('ffffffffffffffff');
  });

  it('refuses fewer than 72 bytes, saying how many it got', () => {
    expect(() => dHashOfGrey9x8(new Uint8Array(71))).toThrow(
      'dHash needs 9×8 grey pixels, got 71 bytes',
    );
  });
});

describe('hammingDistance', () => {
  it('counts the differing bits', () => {
    expect(hammingDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('8000000000000001', '0000000000000003')).toBe(2);
  });
});

describe('groupNearDuplicates, by hand', () => {
  const ZERO = '0000000000000000';

  it('groups hashes that differ only in the first bit of a band', () => {
    // At distance 1 the 64 bits are two bands of 32: bit 32 is the second band's first bit, so
    // the first band (bits 0–31) agrees exactly and must bring the two together.
    expect(
      groupNearDuplicates(
        [
          { id: 'a', hash: ZERO },
          { id: 'b', hash: '0000000100000000' },
        ],
        1,
      ),
    ).toEqual([['a', 'b']]);
  });

  it('keeps apart hashes that share a band but differ in more bits than allowed', () => {
    // Bits 0–31 agree (one band's bucket) but 32 bits differ.
    expect(
      groupNearDuplicates(
        [
          { id: 'a', hash: ZERO },
          { id: 'b', hash: 'ffffffff00000000' },
        ],
        1,
      ),
    ).toEqual([]);
  });

  it('groups at exactly maxDistance bits and not one more', () => {
    const images = [
      { id: 'a', hash: ZERO },
      { id: 'b', hash: '0000000000000007' }, // 3 bits from a
      { id: 'c', hash: 'f000000000000000' }, // 4 bits from a, 7 from b
    ];
    expect(groupNearDuplicates(images, 3)).toEqual([['a', 'b']]);
    expect(groupNearDuplicates(images, 4)).toEqual([['a', 'b', 'c']]);
    expect(groupNearDuplicates(images, 2)).toEqual([]);
  });

  it('at distance 0, groups exact copies only, in input order, linking through chains', () => {
    expect(
      groupNearDuplicates(
        [
          { id: 'x', hash: '00000000000000ff' },
          { id: 'a', hash: ZERO },
          { id: 'y', hash: '00000000000000ff' },
          { id: 'b', hash: '0000000000000001' },
          { id: 'z', hash: '00000000000000ff' },
        ],
        0,
      ),
    ).toEqual([['x', 'y', 'z']]);
    // a–b 1 bit, b–c 1 bit, a–c 2 bits: at distance 1 one group through b.
    expect(
      groupNearDuplicates(
        [
          { id: 'c', hash: '0000000000000003' },
          { id: 'lone', hash: 'ffffffffffffffff' },
          { id: 'a', hash: ZERO },
          { id: 'b', hash: '0000000000000001' },
        ],
        1,
      ),
    ).toEqual([['c', 'a', 'b']]);
  });

  it('uses distance 5 by default', () => {
    const images = [
      { id: 'a', hash: ZERO },
      { id: 'b', hash: '000000000000001f' }, // 5 bits
      { id: 'c', hash: '3f00000000000000' }, // 6 bits from a
    ];
    expect(groupNearDuplicates(images)).toEqual([['a', 'b']]);
  });

  it('refuses a hash that is not hex, even with nothing to compare it to', () => {
    expect(() => groupNearDuplicates([{ id: 'a', hash: 'not-hex' }])).toThrow(SyntaxError);
  });
});

describe('dHash of an image', () => {
  /**
   * 9 × 8 cells of `side` px: the cell in column c has red 10·c and green 240 − 10·c (blue 0), so
   * red rises and green falls as fast to the right; `flip` mirrors it. Green is always the brighter
   * and weighs ~3.4× red in luminance (in linear light too, where its steps are the larger ones).
   */
  function crossing(side: number, flip: boolean | ((row: number) => boolean)): Sharp {
    const width = 9 * side;
    const height = 8 * side;
    const rgb = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const column = Math.floor(x / side);
        const flipped = typeof flip === 'function' ? flip(Math.floor(y / side)) : flip;
        const c = flipped ? 8 - column : column;
        rgb[3 * (y * width + x)] = 10 * c;
        rgb[3 * (y * width + x) + 1] = 240 - 10 * c;
      }
    }
    return sharp(rgb, { raw: { width, height, channels: 3 } });
  }

  it('compares brightness, in which green weighs more than red', async () => {
    // Darker to the right: no pixel is darker than its right neighbour.
    expect(await dHash(crossing(1, false))).toBe('0000000000000000');
    expect(await dHash(crossing(1, true))).toBe('ffffffffffffffff');
  });

  it('shrinks the whole image to 9 × 8 first', async () => {
    expect(await dHash(crossing(40, false))).toBe('0000000000000000');
    expect(await dHash(crossing(40, true))).toBe('ffffffffffffffff');
    // Mirrored in every other row of cells: a byte per row, top row first.
    expect(await dHash(crossing(40, (row) => row % 2 === 1))).toBe('00ff00ff00ff00ff');
  });

  it('stretches a wide image whole, not its middle', async () => {
    // 27 × 8 grey cells of 10 px: rising 10…90, falling 200…120, rising 130…210. Each of the 9
    // columns dHash sees is three cells: 20, 50, 80, 190, 160, 130, 140, 170, 200, so every row is
    // 1110 0111. The middle 9 cells alone (cropped to 9:8) would fall throughout: 0000 0000.
    const cells = [
      ...Array.from({ length: 9 }, (_, k) => 10 + 10 * k),
      ...Array.from({ length: 9 }, (_, k) => 200 - 10 * k),
      ...Array.from({ length: 9 }, (_, k) => 130 + 10 * k),
    ];
    const width = 270;
    const height = 80;
    const grey = Buffer.alloc(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = cells[Math.floor((i % width) / 10)]!;
    expect(await dHash(sharp(grey, { raw: { width, height, channels: 1 } }))).toBe(
      'e7e7e7e7e7e7e7e7',
    );
  });
});
