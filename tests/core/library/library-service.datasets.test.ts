/**
 * The library service over whole public sets in ../shared/data: CK+ (981 images, classes,
 * subjects, splits by subject, export and import back), 300-W HELEN (.pts, 68 points, splits from
 * the folders) and MTFL (13,000 rows, lazy thumbnails). The slow tests of library-service: kept out
 * of the mutation runs (vitest.stryker.config.ts), where each surviving mutant would re-run them;
 * library-service.test.ts holds the quick ones.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportProjectLabels } from '../../../src-main/core/library/library-export';
import {
  assignProjectSplits,
  importIntoProject,
  libraryStats,
  setSplit,
} from '../../../src-main/core/library/library-service';
import { resolveMedia } from '../../../src-main/core/library/media';
import { ProjectStore } from '../../../src-main/core/project-store';
import { DATA } from '../formats/data-paths';

const CK48 = path.join(DATA, 'ck48');
const HELEN = path.join(DATA, '300w-helen');
const MTFL = path.join(DATA, 'mtfl');
const CK_SUBJECT = /^(S\d{3})_/;

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

/** Images per class folder, read from the disk rather than written down. */
async function classCounts(root: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of await readdir(root)) {
    counts[name] = (await readdir(path.join(root, name))).filter((f) => !f.startsWith('.')).length;
  }
  return counts;
}

async function rowsOf(file: string): Promise<number> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '').length;
}

describe('importing labelled sets', () => {
  it('imports CK+ class folders: every image with its class and its subject', async () => {
    const store = await newProject('ibug68', 'ckplus7');
    const outcome = await importIntoProject(store, {
      dir: CK48,
      format: 'class-folders',
      subjectPattern: CK_SUBJECT,
    });
    const expected = await classCounts(CK48);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(total).toBe(981);
    expect(outcome).toMatchObject({ added: total, labelled: total, failed: [], cancelled: false });
    const stats = libraryStats(store);
    expect(stats.total).toBe(total);
    expect(stats.labelled).toBe(total);
    expect(stats.expressions).toEqual(expected);
    expect(Object.keys(stats.expressions)).toHaveLength(7);
    const subjects = new Set(store.listImages().map((image) => image.subject));
    expect(subjects.has(undefined)).toBe(false);
    expect(subjects.size).toBe(118);
    // A face without points still has the schema's 68, none placed.
    const face = store.getFace(store.listImages()[0]!.id)!;
    expect(face.points).toHaveLength(68);
    expect(face.points.every((p) => p.v === 0)).toBe(true);
    // Thumbnails were written during the import; the media resolver serves them.
    const thumb = await resolveMedia(store, 'thumb', store.listImages()[0]!.id);
    expect(thumb).toMatchObject({ kind: 'file', contentType: 'image/webp' });

    // Splits by subject: no subject in two splits, fractions roughly kept, same seed same splits.
    const after = await assignProjectSplits(store, {
      fractions: { train: 0.7, val: 0.15, test: 0.15 },
      seed: 7,
    });
    const splitOfSubject = new Map<string | undefined, Set<string>>();
    for (const image of store.listImages()) {
      const splits = splitOfSubject.get(image.subject) ?? new Set();
      splits.add(image.split);
      splitOfSubject.set(image.subject, splits);
    }
    expect([...splitOfSubject.values()].every((splits) => splits.size === 1)).toBe(true);
    expect(after.splits.train / total).toBeGreaterThan(0.6);
    expect(after.splits.pool).toBe(0);
    const first = store.listImages().map((image) => image.split);
    await assignProjectSplits(store, { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed: 7 });
    expect(store.listImages().map((image) => image.split)).toEqual(first);

    const ids = store
      .listImages()
      .slice(0, 3)
      .map((image) => image.id);
    expect(await setSplit(store, ids, 'pool')).toBeGreaterThan(0);
    expect(ids.every((id) => store.getImage(id)?.split === 'pool')).toBe(true);

    // Export as class folders, import into a new project: the same classes come back.
    const out = path.join(workDir, 'ck-export');
    const summary = await exportProjectLabels(store, 'class-folders', out);
    expect(summary.images).toBe(total);
    const again = await newProject('ibug68', 'ckplus7');
    await importIntoProject(again, { dir: out, format: 'class-folders', thumbnails: 'lazy' });
    expect(libraryStats(again).expressions).toEqual(expected);
    await store.close();
    await again.close();
  }, 240_000);

  it('imports 300-W .pts: 68 points per face, train and test splits from the folders', async () => {
    const store = await newProject('ibug68', null);
    const trainFiles = (await readdir(path.join(HELEN, 'train'))).filter((f) => f.endsWith('.pts'));
    const testFiles = (await readdir(path.join(HELEN, 'test'))).filter((f) => f.endsWith('.pts'));
    const outcome = await importIntoProject(store, {
      dir: HELEN,
      format: 'pts',
      thumbnails: 'lazy',
    });
    expect(trainFiles.length).toBe(870);
    expect(testFiles.length).toBe(330);
    expect(outcome.labelled).toBe(trainFiles.length + testFiles.length);
    const stats = libraryStats(store);
    expect(stats.splits).toMatchObject({ train: 870, test: 330 });
    expect(stats.labelled).toBe(1200);
    for (const image of store.listImages()) {
      const face = store.getFace(image.id)!;
      expect(face.points).toHaveLength(68);
      expect(face.points.every((p) => p.v === 2)).toBe(true);
    }
    // Round trip through .pts: the points come back within float printing.
    const out = path.join(workDir, 'helen-export');
    await exportProjectLabels(store, 'pts', out);
    const again = await newProject('ibug68', null);
    await importIntoProject(again, { dir: out, format: 'pts', thumbnails: 'lazy' });
    const id = store.listImages()[5]!.id;
    const a = store.getFace(id)!.points;
    const b = again.getFace(id)!.points;
    expect(
      Math.max(...a.map((p, i) => Math.abs(p.x - b[i]!.x) + Math.abs(p.y - b[i]!.y))),
    ).toBeLessThan(1e-3);
    await store.close();
    await again.close();
  }, 240_000);

  it('imports MTFL: every row with 5 points, 3 yes/no attributes and a pose class', async () => {
    const store = await newProject('five', 'mtfl');
    const trainRows = await rowsOf(path.join(MTFL, 'training.txt'));
    const testRows = await rowsOf(path.join(MTFL, 'testing.txt'));
    expect(trainRows).toBe(10_000);
    expect(testRows).toBe(2_995);
    const outcome = await importIntoProject(store, {
      dir: MTFL,
      format: 'mtfl',
      thumbnails: 'lazy',
    });
    expect(outcome.failed).toEqual([]);
    // A few rows name byte-identical files: one image, one face (the first row's), counted once.
    expect(outcome.added + outcome.duplicates).toBe(trainRows + testRows);
    expect(outcome.duplicates).toBeGreaterThan(0);
    expect(outcome.labelled).toBe(outcome.added);
    expect(outcome.faces).toEqual({ added: outcome.added, unchanged: 0, kept: 0, overwritten: 0 });
    const stats = libraryStats(store);
    expect(stats.total).toBe(outcome.added);
    expect(stats.splits.test).toBe(testRows);
    const face = store.getFace(store.listImages()[0]!.id)!;
    expect(face.points).toHaveLength(5);
    expect(Object.keys(face.attributes).sort()).toEqual(['Eyeglasses', 'Male', 'Smiling']);
    expect(Object.keys(face.classes ?? {})).toEqual(['pose']);
    await store.close();
  }, 300_000);
});
