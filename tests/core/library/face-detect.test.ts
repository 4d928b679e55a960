import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { boxOfPoints, cropBoxFor, iou } from '../../../src-main/core/library/face-boxes';
import { FaceDetector } from '../../../src-main/core/library/face-detect';
import { openImage } from '../../../src-main/core/library/image-source';
import { DATA } from './test-images';
import { readPts } from '../../support/read-pts';

let detector: FaceDetector;
beforeAll(async () => {
  detector = await FaceDetector.load();
});

/** The detector's finding on an image's raw RGB pixels. */
async function detectInRaw(image: Sharp): ReturnType<FaceDetector['detectInPixels']> {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return detector.detectInPixels({ data, width: info.width, height: info.height });
}

describe('FaceDetector on 300w-helen/test', () => {
  it('finds ≥95% of faces with IoU ≥ 0.5 against the 68 landmarks’ box', async () => {
    const dir = join(DATA, '300w-helen', 'test');
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jpg')).sort();
    expect(names).toHaveLength(330);
    let matched = 0;
    let found = 0;
    let iouSum = 0;
    const started = performance.now();
    for (const name of names) {
      const truth = boxOfPoints(
        readPts(await readFile(join(dir, name.replace(/\.jpg$/, '.pts')), 'utf8')),
      );
      const finding = await detector.detect(await openImage(join(dir, name)));
      if (!finding.face) continue;
      found++;
      const overlap = iou(finding.face.box, truth);
      iouSum += overlap;
      if (overlap >= 0.5) matched++;
    }
    const ms = (performance.now() - started) / names.length;
    console.log(
      `300w-helen/test: found ${found}/${names.length}, IoU ≥ 0.5 ${matched}/${names.length} ` +
        `(${((100 * matched) / names.length).toFixed(1)}%), mean IoU ${(iouSum / found).toFixed(3)}, ` +
        `${ms.toFixed(1)} ms/image`,
    );
    expect(matched / names.length).toBeGreaterThanOrEqual(0.95);
    // A hang guard, not a speed bound (speed is bench/'s): 330 detections took over 120 s with both
    // cores busy with other jobs.
  }, 900_000);
});

/** The labelled points' centre of a row of MTFL's list: five x, then five y. */
function mtflRow(row: string): { file: string; centre: { x: number; y: number } } {
  const [path = '', ...numbers] = row.trim().split(/\s+/);
  const v = numbers.map(Number);
  const xs = v.slice(0, 5);
  const ys = v.slice(5, 10);
  const mean = (a: number[]) => a.reduce((sum, x) => sum + x, 0) / a.length;
  return { file: join(DATA, 'mtfl', path), centre: { x: mean(xs), y: mean(ys) } };
}

describe('FaceDetector keeps real faces', () => {
  // The six 300w-helen/train faces a single pass (160 px, 25% border) flags as 'no-face'.
  const HARD_HELEN = [
    '111287440_1',
    '1195037433_1',
    '1507775914_1',
    '167671345_1',
    '1700687106_1',
    '2082180458_1',
  ];

  it('finds the HELEN faces a single pass misses, where their landmarks are', async () => {
    for (const name of HARD_HELEN) {
      const file = join(DATA, '300w-helen', 'train', `${name}.jpg`);
      const points = readPts(await readFile(file.replace(/\.jpg$/, '.pts'), 'utf8'));
      const finding = await detector.detect(await openImage(file));
      expect(finding.flags, name).not.toContain('no-face');
      expect(iou(finding.face!.box, boxOfPoints(points)), name).toBeGreaterThan(0.3);
    }
  }, 120_000);

  it('keeps ≥ 99% of a sample of MTFL faces (every 100th training row), on the face', async () => {
    const rows = (await readFile(join(DATA, 'mtfl', 'training.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .filter((_, i) => i % 100 === 0)
      .map(mtflRow);
    expect(rows).toHaveLength(100);
    let kept = 0;
    for (const { file, centre } of rows) {
      const box = (await detector.detect(await openImage(file))).face?.box;
      const holds =
        box !== undefined &&
        centre.x >= box.x &&
        centre.x <= box.x + box.width &&
        centre.y >= box.y &&
        centre.y <= box.y + box.height;
      if (holds) kept++;
    }
    // A single pass keeps ~94.6% of MTFL's training faces (bench/curation.bench.ts).
    expect(kept).toBeGreaterThanOrEqual(99);
  }, 300_000);

  it('takes almost none of the backgrounds around HELEN faces for faces', async () => {
    // The top corners of every 40th 300w-helen/train image, each a quarter of the side: the face
    // fills the middle half. On all 1,740 such corners the detector takes 3 (one pass alone: 2).
    const dir = join(DATA, '300w-helen', 'train');
    const names = (await readdir(dir))
      .filter((n) => n.endsWith('.jpg'))
      .sort()
      .filter((_, i) => i % 40 === 0);
    let corners = 0;
    let taken = 0;
    for (const name of names) {
      const file = join(dir, name);
      const { width = 0, height = 0 } = await sharp(file).metadata();
      const side = Math.floor(Math.min(width, height) / 4) - 2;
      for (const left of [0, width - side]) {
        const corner = sharp(file).extract({ left, top: 0, width: side, height: side });
        if ((await detectInRaw(corner.removeAlpha())).face) taken++;
        corners++;
      }
    }
    expect(corners).toBe(44);
    expect(taken).toBeLessThanOrEqual(1);
  }, 300_000);
});

describe('FaceDetector on images without faces', () => {
  it('finds no face in gradients, noise and text', async () => {
    const size = 256;
    const gradient = Buffer.alloc(size * size * 3);
    const noise = Buffer.alloc(size * size * 3);
    let seed = 12345;
    for (let i = 0; i < size * size; i++) {
      gradient[3 * i] = i % size;
      gradient[3 * i + 1] = Math.floor(i / size);
      gradient[3 * i + 2] = 255 - (i % size);
    }
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0; // LCG: the same noise every run
      noise[i] = seed >>> 24;
    }
    const raw = { raw: { width: size, height: size, channels: 3 as const } };
    const text = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"><rect width="100%" height="100%" fill="white"/>` +
        `<text x="10" y="80" font-size="40" fill="black">Face Studio</text>` +
        `<text x="10" y="150" font-size="28" fill="navy">no faces here 1234</text></svg>`,
    );
    const images = [
      await sharp(gradient, raw).png().toBuffer(),
      await sharp(noise, raw).png().toBuffer(),
      await sharp(noise, raw).blur(4).png().toBuffer(),
      await sharp(text).png().toBuffer(),
    ];
    for (const png of images) {
      const finding = await detectInRaw(sharp(png).removeAlpha());
      expect(finding.face).toBeNull();
      expect(finding.flags).toEqual(['no-face']);
    }
  });

  it('flags a face under 24 px as tiny, and one above it not', async () => {
    // The same HELEN face shrunk: at 40 px wide its landmarks span ~20 px, at 64 px ~33 px.
    const source = join(DATA, '300w-helen', 'test', '296814969_3.jpg');
    const flagsAt = async (width: number): Promise<string[]> => {
      const finding = await detectInRaw(sharp(source).resize(width));
      expect(finding.face).not.toBeNull();
      return finding.flags;
    };
    expect(await flagsAt(40)).toEqual(['tiny-face']);
    expect(await flagsAt(64)).toEqual([]);
  });

  it('rejects pixels that are not RGB', async () => {
    await expect(
      detector.detectInPixels({ data: new Uint8Array(16), width: 2, height: 2 }),
    ).rejects.toThrow(/needs 2×2 RGB pixels \(12 bytes\), got 16 bytes/);
  });
});

describe('face boxes', () => {
  it('makes a square crop with the margin around the box centre', () => {
    const crop = cropBoxFor({ x: 10, y: 20, width: 40, height: 80 }, 0.25);
    expect(crop).toEqual({ x: -30, y: 0, width: 120, height: 120 });
  });

  it('computes IoU', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    expect(iou(a, a)).toBe(1);
    expect(iou(a, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150);
    expect(iou(a, { x: 20, y: 0, width: 5, height: 5 })).toBe(0);
  });
});
