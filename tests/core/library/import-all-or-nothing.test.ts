/**
 * Imports are all or nothing (library-service.ts `importIntoProject`): a labelled set with one
 * image that cannot be decoded is refused whole; an `images` folder with a bad file is refused
 * unless `skipBad`; an empty folder, one without images, or the wrong format is refused at once
 * with the folder and what was expected named; a cancel at any stage writes nothing. After every
 * refusal or cancel project.json, labels.json and the thumbnail cache are as they were.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceDetector } from '../../../src-main/core/library/face-detect';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { UndecodableImagesError } from '../../../src-main/core/library/undecodable-images';
import { InputProblemsError } from '../../../src-main/core/problems';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImportStage } from '../../../src-main/shared/library';
import { StudioError } from '../../../src-main/shared/errors';
import { BAD_IMAGES } from './test-images';
import { writePtsSet } from './tiny-sets';

let workDir: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'import-all-or-nothing-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function fresh(name: string): string {
  counter += 1;
  return path.join(workDir, `${name}-${counter}`);
}

async function newProject(): Promise<ProjectStore> {
  return ProjectStore.create(fresh('project'), {
    name: 'import',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
}

/** project.json, labels.json and the thumbnail file names, to compare before and after. */
async function snapshot(store: ProjectStore): Promise<{ files: Buffer[]; thumbs: string[] }> {
  await store.flush();
  const files = await Promise.all(
    ['project.json', 'labels.json'].map((f) => readFile(path.join(store.dir, f))),
  );
  const thumbs = await readdir(path.join(store.dir, 'cache', 'thumbs')).catch(() => []);
  return { files, thumbs: thumbs.sort() };
}

async function expectUnchanged(
  store: ProjectStore,
  before: { files: Buffer[]; thumbs: string[] },
): Promise<void> {
  const after = await snapshot(store);
  expect(after.files[0]!.equals(before.files[0]!)).toBe(true);
  expect(after.files[1]!.equals(before.files[1]!)).toBe(true);
  expect(after.thumbs).toEqual(before.thumbs);
}

/** `count` small JPEGs of different colours (so different content ids) in `dir`. */
async function writeImages(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `face-${i}.jpg`;
    await sharp({
      create: { width: 40, height: 48, channels: 3, background: { r: 20 * i, g: 90, b: 200 - i } },
    })
      .jpeg()
      .toFile(path.join(dir, name));
    names.push(name);
  }
  return names;
}

describe('a labelled set with an image that cannot be decoded', () => {
  it('is refused whole, naming the image, and leaves the project byte-identical', async () => {
    const store = await newProject();
    const dir = fresh('pts');
    await writePtsSet(dir, 3);
    // A JPEG whose header reads fine but whose pixels stop early, with its own valid .pts.
    await copyFile(path.join(BAD_IMAGES, 'truncated.jpg'), path.join(dir, 'cut.jpg'));
    await copyFile(path.join(dir, 'face-0.pts'), path.join(dir, 'cut.pts'));
    const before = await snapshot(store);
    const error = await importIntoProject(store, { dir, format: 'pts' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputProblemsError);
    const problems = (error as InputProblemsError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toContain('cut.jpg');
    expect(problems[0]!.message).toMatch(/decode|corrupt|cut short/);
    expect(store.listImages()).toHaveLength(0);
    await expectUnchanged(store, before);
    await store.close();
  });
});

describe('an images folder with a file that cannot be decoded', () => {
  it('is refused, listing the file and the good count, unless skipBad', async () => {
    const store = await newProject();
    const dir = fresh('images');
    await writeImages(dir, 3);
    await copyFile(path.join(BAD_IMAGES, 'truncated.png'), path.join(dir, 'broken.png'));
    await writeFile(path.join(dir, 'text.jpg'), 'not a picture');
    const before = await snapshot(store);
    const error = await importIntoProject(store, { dir, format: 'images' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UndecodableImagesError);
    const refused = error as UndecodableImagesError;
    expect(refused.failures.map((f) => path.basename(f.file)).sort()).toEqual([
      'broken.png',
      'text.jpg',
    ]);
    expect(refused.goodImages).toBe(3);
    expect(refused.message).toContain('broken.png');
    expect(refused.message).toContain('text.jpg');
    await expectUnchanged(store, before);

    const outcome = await importIntoProject(store, { dir, format: 'images', skipBad: true });
    expect(outcome.added).toBe(3);
    expect(outcome.failed.map((f) => path.basename(f.file)).sort()).toEqual([
      'broken.png',
      'text.jpg',
    ]);
    expect(store.listImages()).toHaveLength(3);
    await store.close();
  });
});

describe('a folder with nothing to import', () => {
  const cases: {
    name: string;
    format: 'images' | 'pts' | 'class-folders' | 'coco';
    fill: (dir: string) => Promise<unknown>;
    message: RegExp;
  }[] = [
    { name: 'an empty folder', format: 'images', fill: async () => undefined, message: /empty/ },
    {
      name: 'an empty folder (labelled format)',
      format: 'pts',
      fill: async () => undefined,
      message: /empty.*\.pts/,
    },
    {
      name: 'a folder without image files',
      format: 'images',
      fill: (dir) => writeFile(path.join(dir, 'notes.txt'), 'hello'),
      message: /no image files/,
    },
    {
      name: 'images, imported as pts',
      format: 'pts',
      fill: (dir) => writeImages(dir, 2),
      message: /no \.pts files/,
    },
    {
      name: 'images, imported as COCO',
      format: 'coco',
      fill: (dir) => writeImages(dir, 2),
      message: /\.json/,
    },
    {
      name: 'no class folders, imported as class folders',
      format: 'class-folders',
      fill: (dir) => writeFile(path.join(dir, 'notes.txt'), 'hello'),
      message: /no images in class folders/,
    },
    {
      name: 'a COCO file that lists no images',
      format: 'coco',
      fill: (dir) =>
        writeFile(
          path.join(dir, 'annotations.json'),
          JSON.stringify({
            images: [],
            annotations: [],
            categories: [
              {
                id: 1,
                name: 'face',
                keypoints: Array.from({ length: 68 }, (_, k) => `p${k}`),
                skeleton: [],
              },
            ],
          }),
        ),
      message: /no images labelled as coco.*annotations\.json/,
    },
  ];

  it.each(cases)('$name is refused at once, naming the folder', async (c) => {
    const store = await newProject();
    const dir = fresh('nothing');
    await mkdir(dir);
    await c.fill(dir);
    const before = await snapshot(store);
    const stages: ImportStage[] = [];
    const error = await importIntoProject(store, {
      dir,
      format: c.format,
      onProgress: (p) => stages.push(p.stage),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toContain(dir);
    expect((error as StudioError).message).toMatch(c.message);
    // Refused before any image was hashed.
    expect(stages).not.toContain('importing');
    await expectUnchanged(store, before);
    await store.close();
  });
});

describe('cancel', () => {
  /** A detector that finds no face; the first call can cancel the import. */
  function fakeDetector(onDetect: () => void): FaceDetector {
    const detector = {
      detect: async () => {
        onDetect();
        return { face: null, detectorBox: null, faceCount: 0, flags: ['no-face' as const] };
      },
    };
    return detector as unknown as FaceDetector;
  }

  const stages: { stage: ImportStage; format: 'images' | 'pts' }[] = [
    { stage: 'scanning', format: 'images' },
    { stage: 'validating', format: 'pts' },
    { stage: 'importing', format: 'images' },
    { stage: 'importing', format: 'pts' },
    { stage: 'detecting', format: 'pts' },
    { stage: 'writing', format: 'pts' },
  ];

  it.each(stages)('while $stage ($format) writes nothing', async ({ stage, format }) => {
    const store = await newProject();
    const dir = fresh('cancel');
    if (format === 'pts') await writePtsSet(dir, 4);
    else await writeImages(dir, 4);
    const before = await snapshot(store);
    const abort = new AbortController();
    const seen: ImportStage[] = [];
    const outcome = await importIntoProject(store, {
      dir,
      format,
      curate: true,
      loadDetector: async () => fakeDetector(() => stage === 'detecting' && abort.abort()),
      signal: abort.signal,
      onProgress: (p) => {
        seen.push(p.stage);
        // Mid-import: once one image is done, so some thumbnails exist already.
        if (p.stage === stage && (stage !== 'importing' || p.done >= 1)) abort.abort();
      },
    });
    expect(seen).toContain(stage);
    expect(outcome).toMatchObject({ cancelled: true, added: 0, labelled: 0 });
    expect(store.listImages()).toHaveLength(0);
    await expectUnchanged(store, before);
    await store.close();
  });
});
