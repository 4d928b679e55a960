/**
 * curateImages with a stand-in detector: each record opened (within the pixel limit, relative
 * paths from the project folder), its finding stored, failures listed by file, near-duplicates
 * flagged with the largest kept, and a cancel stopping before the next image.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curateImages } from '../../../src-main/core/library/curate';
import type { FaceDetector, FaceFinding } from '../../../src-main/core/library/face-detect';
import type { OpenedImage } from '../../../src-main/core/library/image-source';
import type { ImageRecord } from '../../../src-main/shared/domain';
import { imageId } from '../../support/project-data';
import { DATA } from './test-images';

const HELEN_DIR = path.join(DATA, '300w-helen', 'test');
const NAMES = ['296814969_3.jpg', '2968560214_1.jpg', '2968784797_1.jpg'];

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'curate-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const FACE = {
  box: { x: 1, y: 2, width: 3, height: 4 },
  crop: { x: 0, y: 0, width: 5, height: 6 },
  score: 0.9,
};

/** A detector that finds FACE in every image, remembering which files it was shown. */
function detector(
  seen: string[] = [],
  fail?: Error,
  flags: FaceFinding['flags'] = [],
): FaceDetector {
  return {
    detect: (image: OpenedImage): Promise<FaceFinding> => {
      seen.push(image.file);
      if (fail) return Promise.reject(fail);
      return Promise.resolve({ face: FACE, detectorBox: null, faceCount: 1, flags });
    },
  } as unknown as FaceDetector;
}

function record(n: number, file: string, size = 100): ImageRecord {
  return { id: imageId(n), path: file, width: size, height: size, split: 'pool' };
}

describe('curateImages', () => {
  it('stores each finding, opening relative paths from the project folder, and reports progress', async () => {
    const seen: string[] = [];
    const progress: unknown[] = [];
    const records = [record(1, NAMES[0]!), record(2, path.join(HELEN_DIR, NAMES[1]!))];
    const result = await curateImages(records, {
      detector: detector(seen),
      projectDir: HELEN_DIR,
      onProgress: (p) => progress.push(p),
    });
    expect(seen).toEqual([path.join(HELEN_DIR, NAMES[0]!), path.join(HELEN_DIR, NAMES[1]!)]);
    expect(result).toEqual({
      records: records.map((r) => ({ ...r, face: FACE, flags: [] })),
      nearDuplicateGroups: [],
      failed: [],
      cancelled: false,
    });
    expect(progress).toEqual([
      { done: 1, total: 2 },
      { done: 2, total: 2 },
    ]);
  });

  it('refuses an image over the pixel limit before the detector sees it', async () => {
    const seen: string[] = [];
    const file = path.join(HELEN_DIR, NAMES[0]!);
    const result = await curateImages([record(1, file)], {
      detector: detector(seen),
      pixelLimit: 100,
    });
    expect(seen).toEqual([]);
    expect(result.records).toEqual([record(1, file)]);
    expect(result.failed).toEqual([
      { path: file, reason: 'too-many-pixels', message: expect.stringMatching(/^\S+: declares /) },
    ]);
    expect(result.failed[0]!.message.startsWith(`${file}: declares `)).toBe(true);
  });

  it('lists an image the detector fails on, and one that is gone, by file', async () => {
    // A PNG: the failure names the format the file is.
    const file = path.join(workDir, 'face.png');
    await sharp(path.join(HELEN_DIR, NAMES[0]!)).png().toFile(file);
    const gone = path.join(HELEN_DIR, 'gone.jpg');
    const result = await curateImages([record(1, file), record(2, gone)], {
      detector: detector([], new Error('bad pixels')),
    });
    expect(result.failed).toEqual([
      {
        path: file,
        reason: 'truncated',
        message: `${file}: cannot decode png: cut short or corrupt (bad pixels)`,
      },
      {
        path: gone,
        reason: 'unreadable',
        message: `${gone}: cannot be read (ENOENT: no such file or directory, stat '${gone}')`,
      },
    ]);
    expect(result.records).toEqual([record(1, file), record(2, gone)]);
  });

  it('stops before the next image once cancelled, and looks for no near-duplicates', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    let nearDuplicates = 0;
    const records = NAMES.map((name, i) => record(i, path.join(HELEN_DIR, name)));
    const result = await curateImages(records, {
      detector: detector(seen),
      signal: abort.signal,
      onProgress: () => abort.abort(),
      onNearDuplicates: () => (nearDuplicates += 1),
    });
    expect(seen).toEqual([records[0]!.path]);
    expect(result.cancelled).toBe(true);
    expect(result.records).toEqual([
      { ...records[0]!, face: FACE, flags: [] },
      ...records.slice(1),
    ]);
    expect(nearDuplicates).toBe(0);
  });

  it('flags the smaller of two copies of a picture, keeping the largest', async () => {
    const file = path.join(HELEN_DIR, NAMES[0]!);
    const other = path.join(HELEN_DIR, NAMES[1]!);
    const small = record(1, file, 50);
    const large = record(2, file, 200);
    const unrelated = record(3, other, 100);
    let looked = -1;
    const result = await curateImages([small, unrelated, large], {
      detector: detector([], undefined, ['tiny-face']),
      onNearDuplicates: (images) => (looked = images),
    });
    expect(looked).toBe(3);
    expect(result.nearDuplicateGroups).toEqual([[large.id, small.id]]);
    expect(result.records.map((r) => r.flags)).toEqual([
      ['tiny-face', 'near-duplicate'],
      ['tiny-face'],
      ['tiny-face'],
    ]);
    // Two copies the same size: the first in input order is kept.
    const twin = record(4, file, 50);
    const tie = await curateImages([small, twin], { detector: detector() });
    expect(tie.nearDuplicateGroups).toEqual([[small.id, twin.id]]);
    // Apart by default; near-duplicates when any number of bits may differ.
    const loose = await curateImages([small, unrelated], {
      detector: detector(),
      nearDuplicateDistance: 64,
    });
    expect(loose.nearDuplicateGroups).toEqual([[unrelated.id, small.id]]);
  });
});
