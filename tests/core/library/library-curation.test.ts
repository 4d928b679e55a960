/**
 * Curation of a real library through the service and the handlers: faces from 300-W get a face
 * box and a training crop, generated images without a face get 'no-face', a shrunk copy of a face
 * gets 'near-duplicate' (the larger original is kept), and 'library:stats' counts all of it.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { curateProject, importIntoProject } from '../../../src-main/core/library/library-service';
import { ProjectSession } from '../../../src-main/core/project-session';
import { dispatch } from '../../../src-main/app/dispatch';
import type { ImageRecord } from '../../../src-main/shared/domain';
import { stagesOf } from '../../../src-main/shared/library';
import { DATA } from './test-images';
import { idleHandlers } from '../../app/handlers/studio-fixture';

const HELEN_TEST = path.join(DATA, '300w-helen', 'test');
const FACE_COUNT = 5;

let workDir: string;
let input: string;
let session: ProjectSession;
let faceNames: string[];
let projects = 0;

/** A colour ramp and seeded noise: nothing a face detector should fire on. */
async function writeNonFaces(dir: string): Promise<string[]> {
  const size = 256;
  const gradient = Buffer.alloc(size * size * 3);
  const noise = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    gradient[3 * i] = i % size;
    gradient[3 * i + 1] = Math.floor(i / size);
    gradient[3 * i + 2] = 255 - (i % size);
  }
  let seed = 7;
  for (let i = 0; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0; // LCG: the same noise every run
    noise[i] = seed >>> 24;
  }
  const raw = { raw: { width: size, height: size, channels: 3 as const } };
  await sharp(gradient, raw).png().toFile(path.join(dir, 'gradient.png'));
  await sharp(noise, raw).png().toFile(path.join(dir, 'noise.png'));
  return ['gradient.png', 'noise.png'];
}

// The input folder is made once and only read; each test imports it into a project of its own.
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'library-curation-'));
  input = path.join(workDir, 'input');
  await mkdir(input);
  faceNames = (await readdir(HELEN_TEST))
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .slice(0, FACE_COUNT);
  for (const name of faceNames) await copyFile(path.join(HELEN_TEST, name), path.join(input, name));
  await writeNonFaces(input);
  // Same picture at 60 % of the size, re-encoded: other bytes, same content.
  const original = sharp(await readFile(path.join(HELEN_TEST, faceNames[0]!)));
  const { width = 0 } = await original.metadata();
  await original
    .resize(Math.round(width * 0.6))
    .jpeg({ quality: 85 })
    .toFile(path.join(input, 'shrunk-copy.jpg'));
}, 60_000);

beforeEach(async () => {
  projects += 1;
  session = new ProjectSession();
  await session.create(path.join(workDir, `project-${projects}`), {
    name: 'Curation',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  const imported = await importIntoProject(session.require(), { dir: input, format: 'images' });
  expect(imported).toMatchObject({ added: FACE_COUNT + 3, failed: [], cancelled: false });
}, 60_000);

afterEach(async () => {
  await session.close();
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function recordOf(name: string): ImageRecord {
  const record = session
    .require()
    .listImages()
    .find((image) => path.basename(image.path) === name);
  if (!record) throw new Error(`${name} is not in the project`);
  return record;
}

describe('curating a library', () => {
  it('boxes faces, flags non-faces and the near-duplicate, and the stats count them', async () => {
    const store = session.require();
    const progress: { stage: string; done: number }[] = [];
    const outcome = await curateProject(store, { onProgress: (p) => progress.push(p) });
    expect(outcome).toMatchObject({
      flagged: 3,
      curated: FACE_COUNT + 3,
      failed: [],
      cancelled: false,
    });
    // Each stage named, in order: detection counts up to every image, then the rest.
    const stages = progress.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1]);
    expect(stages).toEqual(['detecting', 'near-duplicates', 'writing']);
    expect(progress.filter((p) => p.stage === 'detecting').at(-1)?.done).toBe(FACE_COUNT + 3);

    for (const name of faceNames) {
      const record = recordOf(name);
      expect(record.flags, name).toEqual([]);
      const face = record.face;
      if (!face) throw new Error(`${name}: no face found`);
      expect(face.box.width, name).toBeGreaterThan(24);
      // The crop is the box grown by a margin on every side.
      expect(face.crop.x, name).toBeLessThanOrEqual(face.box.x);
      expect(face.crop.y, name).toBeLessThanOrEqual(face.box.y);
      expect(face.crop.x + face.crop.width, name).toBeGreaterThanOrEqual(
        face.box.x + face.box.width,
      );
      expect(face.crop.y + face.crop.height, name).toBeGreaterThanOrEqual(
        face.box.y + face.box.height,
      );
      expect(face.crop.width, name).toBeGreaterThan(face.box.width);
    }
    for (const name of ['gradient.png', 'noise.png']) {
      expect(recordOf(name), name).toMatchObject({ face: null, flags: ['no-face'] });
    }
    const copy = recordOf('shrunk-copy.jpg');
    expect(copy.flags).toContain('near-duplicate');
    expect(copy.face).not.toBeNull();

    const handlers = idleHandlers(session, workDir);
    expect(await dispatch(handlers, 'library:stats', {})).toEqual({
      ok: true,
      value: expect.objectContaining({
        total: FACE_COUNT + 3,
        curated: FACE_COUNT + 3,
        noFace: 2,
        flagged: 3,
        labelled: 0,
      }),
    });
  }, 60_000);

  it('leaves curated images alone when run again', async () => {
    const first = await curateProject(session.require(), {});
    expect(first).toMatchObject({ flagged: 3, failed: [] });
    const outcome = await curateProject(session.require(), {});
    expect(outcome).toMatchObject({ flagged: 0, failed: [] });
    expect(recordOf('shrunk-copy.jpg').flags).toContain('near-duplicate');
  }, 60_000);

  it('keeps a flagged image as a face when a person says so, and the stats follow', async () => {
    await curateProject(session.require(), {});
    const handlers = idleHandlers(session, workDir);
    const gradient = recordOf('gradient.png');
    const copy = recordOf('shrunk-copy.jpg');
    expect(
      await dispatch(handlers, 'library:keepFaces', { imageIds: [gradient.id, copy.id] }),
    ).toEqual({ ok: true, value: { updated: 1 } });
    // The no-face flag is answered; the near-duplicate (a face already) is another question.
    const kept = recordOf('gradient.png');
    expect(kept.flags).toBeUndefined();
    expect(kept.face).toEqual({
      box: { x: 0, y: 0, width: 256, height: 256 },
      crop: { x: 0, y: 0, width: 256, height: 256 },
      score: 0,
    });
    expect(recordOf('shrunk-copy.jpg').flags).toContain('near-duplicate');
    expect(await dispatch(handlers, 'library:stats', {})).toEqual({
      ok: true,
      value: expect.objectContaining({ noFace: 1, flagged: 2 }),
    });
    // Detection does not look at a kept image again.
    expect(await curateProject(session.require(), {})).toMatchObject({ curated: 0, flagged: 0 });
    expect(recordOf('gradient.png').flags).toBeUndefined();
  }, 60_000);

  it('names every stage of an import that detects faces and copies, in order', async () => {
    const fresh = new ProjectSession();
    await fresh.create(path.join(workDir, `project-${++projects}`), {
      name: 'Stages',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
    try {
      const progress: { stage: string; done: number; total: number }[] = [];
      const outcome = await importIntoProject(fresh.require(), {
        dir: input,
        format: 'images',
        curate: true,
        placement: 'copy',
        onProgress: (p) => progress.push(p),
      });
      expect(outcome).toMatchObject({ added: FACE_COUNT + 3, curated: FACE_COUNT + 3, flagged: 3 });
      const stages = progress.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1]);
      // The stages the Library's dialog lists for this import, in that order.
      expect(stages).toEqual(
        stagesOf({ kind: 'import', labelled: false, curate: true, copy: true }),
      );
      // The counted stages end at every image, each with its own count.
      for (const stage of ['importing', 'detecting', 'copying']) {
        const last = progress.filter((p) => p.stage === stage).at(-1);
        expect(last, stage).toMatchObject({ done: FACE_COUNT + 3, total: FACE_COUNT + 3 });
      }
    } finally {
      await fresh.close();
    }
  }, 60_000);
});
