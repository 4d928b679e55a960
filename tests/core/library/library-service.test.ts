/**
 * The library service's quick tests over real CK+ images: bad input leaves the project
 * byte-identical and lists every problem; the library's job runner. Whole-set imports (CK+, 300-W,
 * MTFL) are in library-service.datasets.test.ts.
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibraryJobs, type JobOutcome } from '../../../src-main/core/library/library-jobs';
import { importIntoProject, thumbnailDirOf } from '../../../src-main/core/library/library-service';
import { thumbnailPath } from '../../../src-main/core/library/thumbnails';
import { InputProblemsError } from '../../../src-main/core/problems';
import { ProjectStore } from '../../../src-main/core/project-store';
import { DATA } from '../formats/data-paths';

const CK48 = path.join(DATA, 'ck48');

let workDir: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'library-service-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function newProject(landmarkSchema: string, attributeSchema: string | null): Promise<ProjectStore> {
  counter += 1;
  return ProjectStore.create(path.join(workDir, `p${counter}`), {
    name: `p${counter}`,
    landmarkSchema,
    attributeSchema,
  });
}

describe('bad input', () => {
  it('leaves project.json and labels.json byte-identical and lists every problem', async () => {
    const store = await newProject('ibug68', 'ckplus7');
    // Some good images first, so the project is not empty.
    const source = path.join(workDir, 'bad-set');
    await cp(path.join(CK48, 'happy'), path.join(source, 'happy'), { recursive: true });
    await cp(path.join(CK48, 'fear'), path.join(source, 'bored'), { recursive: true });
    await writeFile(path.join(source, 'happy', 'notes.txt'), 'not an image');
    const before = await Promise.all(
      ['project.json', 'labels.json'].map((f) => readFile(path.join(store.dir, f))),
    );
    const attempt = importIntoProject(store, { dir: source, format: 'class-folders' });
    await expect(attempt).rejects.toBeInstanceOf(InputProblemsError);
    const error = (await attempt.catch((e: unknown) => e)) as InputProblemsError;
    expect(error.message).toContain('happy/notes.txt: not an image');
    expect(error.message).toContain('"bored" is not one of the classes');
    expect(error.problems.length).toBeGreaterThan(1);
    const after = await Promise.all(
      ['project.json', 'labels.json'].map((f) => readFile(path.join(store.dir, f))),
    );
    expect(after[0]!.equals(before[0]!)).toBe(true);
    expect(after[1]!.equals(before[1]!)).toBe(true);
    expect(store.listImages()).toHaveLength(0);
    await store.close();
  });

  it('refuses 300-W points in a 5-point project before writing anything', async () => {
    const store = await newProject('five', null);
    const attempt = importIntoProject(store, {
      dir: path.join(DATA, 'fixtures'),
      format: 'pts',
    });
    await expect(attempt).rejects.toThrow(/68|points/);
    expect(store.listImages()).toHaveLength(0);
    await store.close();
  });
});

describe('LibraryJobs', () => {
  it('runs one job at a time, reports its outcome and stops it on cancel', async () => {
    const done: JobOutcome[] = [];
    const jobs = new LibraryJobs({ progress: () => undefined, done: (o) => done.push(o) });
    const id = jobs.start(
      ({ signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () =>
            resolve({
              added: 1,
              duplicates: 0,
              labelled: 0,
              faces: { added: 0, unchanged: 0, kept: 0, overwritten: 0 },
              flagged: 0,
              failed: [],
              cancelled: true,
            }),
          ),
        ),
    );
    expect(() => jobs.start(async () => Promise.reject(new Error('never')))).toThrow(/running/);
    expect(jobs.cancel('other')).toBe(false);
    expect(jobs.cancel(id)).toBe(true);
    await jobs.idle();
    expect(done).toEqual([expect.objectContaining({ jobId: id, cancelled: true, added: 1 })]);
    const failing = jobs.start(async () => {
      throw new InputProblemsError('Cannot import x', [{ file: 'a.pts', line: 3, message: 'bad' }]);
    });
    await jobs.idle();
    expect(done[1]).toMatchObject({
      jobId: failing,
      error: expect.stringContaining('a.pts:3: bad'),
    });
  });
});

describe('importing files already in the project', () => {
  it('moves them to the asked split and copies nothing', async () => {
    const store = await newProject('five', null);
    const source = path.join(workDir, 'again-set');
    await mkdir(source);
    for (const n of [13, 14, 15]) {
      const file = `S010_006_000000${n}.png`;
      await cp(path.join(CK48, 'happy', file), path.join(source, file));
    }
    const first = await importIntoProject(store, { dir: source, format: 'images' });
    expect(first).toMatchObject({ added: 3, duplicates: 0, cancelled: false });
    expect(store.listImages().map((image) => image.split)).toEqual(['pool', 'pool', 'pool']);
    // Nothing new and no split to set: nothing to write, so a read-only view can take it.
    const reader = await ProjectStore.open(store.dir, { readOnly: true });
    expect(await importIntoProject(reader, { dir: source, format: 'images' })).toMatchObject({
      added: 0,
      duplicates: 3,
      cancelled: false,
    });
    await reader.close();
    const stages: string[] = [];
    const again = await importIntoProject(store, {
      dir: source,
      format: 'images',
      placement: 'copy',
      split: 'train',
      onProgress: (progress) => stages.push(progress.stage),
    });
    expect(again).toMatchObject({ added: 0, duplicates: 3, cancelled: false });
    expect(store.listImages().map((image) => image.split)).toEqual(['train', 'train', 'train']);
    expect(stages).not.toContain('copying');
    expect(stages.at(-1)).toBe('writing');
    await store.close();
  });
});

describe('an import that fails once its records are written', () => {
  it('keeps the thumbnails of the images it wrote', async () => {
    const store = await newProject('five', null);
    const source = path.join(workDir, 'fails-late-set');
    await mkdir(source);
    const file = 'S010_006_00000013.png';
    await cp(path.join(CK48, 'happy', file), path.join(source, file));
    const putImages = store.putImages.bind(store);
    // The records go in, then the next step fails.
    store.putImages = async (records) => {
      await putImages(records);
      throw new Error('failed after writing');
    };
    await expect(importIntoProject(store, { dir: source, format: 'images' })).rejects.toThrow(
      'failed after writing',
    );
    const [image] = store.listImages();
    expect(image!.path).toBe(path.join(source, file));
    await expect(stat(thumbnailPath(thumbnailDirOf(store), image!.id))).resolves.toBeDefined();
    await store.close();
  });
});
