/**
 * Where a project's images live: imported with `placement: 'copy'` they are copied into the
 * project's images/ folder (named by content hash), so the project still opens and serves every
 * image and thumbnail after the source folder is deleted; referenced images whose folder is gone
 * are found by the file check and shown by the stats, the `missing` filter and `library:checkFiles`;
 * a cancelled or failed copy import leaves the project folder exactly as it was.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { copyImagesIn, IMAGES_FOLDER } from '../../../src-main/core/library/image-home';
import { exportProjectLabels } from '../../../src-main/core/library/library-export';
import {
  importIntoProject,
  libraryStats,
  thumbnailDirOf,
} from '../../../src-main/core/library/library-service';
import { resolveMedia } from '../../../src-main/core/library/media';
import { checkImageFiles } from '../../../src-main/core/library/missing-images';
import { ProjectSession } from '../../../src-main/core/project-session';
import { ProjectStore } from '../../../src-main/core/project-store';
import { RecentProjects } from '../../../src-main/core/recent-projects';
import { dispatch } from '../../../src-main/app/dispatch';
import { createHandlers } from '../../../src-main/app/handlers';
import type { ImageRecord } from '../../../src-main/shared/domain';
import { invokeContract } from '../../../src-main/shared/ipc-contract';
import { idleTrainingRelay } from '../../app/fake-training';
import { DATA } from './test-images';

const HELEN_TEST = path.join(DATA, '300w-helen', 'test');
const NAMES = ['296814969_3', '2968560214_1', '2968784797_1'];

let workDir: string;
let counter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'image-home-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function fresh(name: string): string {
  counter += 1;
  return path.join(workDir, `${name}-${counter}`);
}

/** A source folder with the three HELEN images (and their .pts files when `withPoints`). */
async function sourceFolder(withPoints = false): Promise<string> {
  const dir = fresh('source');
  await mkdir(dir, { recursive: true });
  for (const name of NAMES) {
    await copyFile(path.join(HELEN_TEST, `${name}.jpg`), path.join(dir, `${name}.jpg`));
    if (withPoints) {
      await copyFile(path.join(HELEN_TEST, `${name}.pts`), path.join(dir, `${name}.pts`));
    }
  }
  return dir;
}

interface Studio {
  session: ProjectSession;
  store: ProjectStore;
  handlers: ReturnType<typeof createHandlers>;
}

/** A new project open in a session, with the app's handlers over it. */
async function newProject(): Promise<Studio> {
  const session = new ProjectSession();
  await session.create(fresh('project'), {
    name: 'Home',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  const handlers = createHandlers({
    mode: 'browser',
    version: 'test',
    session,
    recent: new RecentProjects(path.join(workDir, 'recent.json')),
    pickFolder: async () => ({ dir: null, supported: false }),
    backend: () => ({ report: null, error: null }),
    training: idleTrainingRelay(),
    emit: () => undefined,
  });
  return { session, store: session.require(), handlers };
}

/** Every folder and file under `dir`, files with their bytes' sha256: "left as it was", exactly. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        files[`${path.relative(dir, full)}/`] = 'folder';
        await walk(full);
      } else {
        const bytes = await readFile(full);
        files[path.relative(dir, full)] = createHash('sha256').update(bytes).digest('hex');
      }
    }
  };
  await walk(dir);
  return files;
}

describe('copying images into the project', () => {
  it('keeps every image and thumbnail servable after the source folder is deleted', async () => {
    const source = await sourceFolder();
    const studio = await newProject();
    let store = studio.store;
    const projectDir = store.dir;
    const outcome = await importIntoProject(store, {
      dir: source,
      format: 'images',
      placement: 'copy',
    });
    expect(outcome).toMatchObject({ added: 3, failed: [], cancelled: false });
    const records = store.listImages();
    for (const record of records) {
      expect(record.path).toBe(`${IMAGES_FOLDER}/${record.id}.jpg`);
      expect(path.dirname(record.source!)).toBe(source);
      const bytes = await readFile(path.join(projectDir, record.path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(record.id);
    }
    expect((await readdir(path.join(projectDir, IMAGES_FOLDER))).sort()).toEqual(
      records.map((r) => `${r.id}.jpg`).sort(),
    );
    await studio.session.close();

    // The source and the thumbnails go: everything must come from the project's own copies.
    await rm(source, { recursive: true });
    await rm(thumbnailDirOf(store), { recursive: true });
    store = await ProjectStore.open(projectDir);
    try {
      for (const record of records) {
        const image = await resolveMedia(store, 'image', record.id);
        expect(image).toMatchObject({ kind: 'file', contentType: 'image/jpeg' });
        const thumb = await resolveMedia(store, 'thumb', record.id);
        expect(thumb).toMatchObject({ kind: 'file', contentType: 'image/webp' });
      }
      expect((await checkImageFiles(store)).missing.size).toBe(0);
      expect(libraryStats(store).missing).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('copies a labelled set with its faces, found and exported under the original names', async () => {
    const source = await sourceFolder(true);
    const { session, store, handlers } = await newProject();
    try {
      const outcome = await importIntoProject(store, {
        dir: source,
        format: 'pts',
        placement: 'copy',
        thumbnails: 'lazy',
      });
      expect(outcome).toMatchObject({ added: 3, labelled: 3, failed: [] });
      for (const record of store.listImages()) {
        expect(record.path.startsWith(`${IMAGES_FOLDER}/`)).toBe(true);
        expect(store.getFace(record.id)?.points.filter((p) => p.v > 0)).toHaveLength(68);
      }
      const found = await dispatch(handlers, 'library:list', {
        filter: { text: NAMES[1] },
      });
      expect(found).toMatchObject({ ok: true, value: { total: 1 } });
      // An export names the images as the set did, not by their hash.
      const out = fresh('export');
      await exportProjectLabels(store, 'pts', out);
      expect((await readdir(out)).sort()).toEqual(
        NAMES.flatMap((name) => [`${name}.jpg`, `${name}.pts`]).sort(),
      );
    } finally {
      await session.close();
    }
  });

  it('leaves the project folder as it was when the import is cancelled', async () => {
    const source = await sourceFolder();
    const { session, store } = await newProject();
    try {
      const before = await snapshot(store.dir);
      const abort = new AbortController();
      const outcome = await importIntoProject(store, {
        dir: source,
        format: 'images',
        placement: 'copy',
        signal: abort.signal,
        // Stop once an image is in: it was hashed and has its thumbnail.
        onProgress: (progress) => {
          if (progress.done >= 1) abort.abort();
        },
      });
      expect(abort.signal.aborted).toBe(true);
      expect(outcome).toMatchObject({ added: 0, cancelled: true });
      expect(store.listImages()).toEqual([]);
      expect(await snapshot(store.dir)).toEqual(before);
    } finally {
      await session.close();
    }
  });

  it('leaves the project folder as it was when a copy fails, naming the folder', async () => {
    const source = await sourceFolder();
    const { session, store } = await newProject();
    try {
      // A file where the images folder should be: no copy can be made.
      await writeFile(path.join(store.dir, IMAGES_FOLDER), 'in the way');
      const before = await snapshot(store.dir);
      await expect(
        importIntoProject(store, { dir: source, format: 'images', placement: 'copy' }),
      ).rejects.toThrow(path.join(store.dir, IMAGES_FOLDER));
      expect(store.listImages()).toEqual([]);
      expect(await snapshot(store.dir)).toEqual(before);
    } finally {
      await session.close();
    }
  });

  it('removes the copies it made when a later one fails or the copy is cancelled', async () => {
    const source = await sourceFolder();
    const projectDir = fresh('bare');
    await mkdir(projectDir);
    const records: ImageRecord[] = [];
    for (const name of NAMES) {
      const file = path.join(source, `${name}.jpg`);
      const id = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      records.push({ id, path: file, width: 1, height: 1, split: 'pool' });
    }
    // The last file changed after it was hashed: its bytes no longer match its id.
    records[2] = { ...records[2]!, id: 'f'.repeat(64) };
    await expect(copyImagesIn(records, { projectDir, concurrency: 1 })).rejects.toThrow(
      `${records[2]!.path} changed while it was being imported`,
    );
    await expect(readdir(path.join(projectDir, IMAGES_FOLDER))).rejects.toThrow('ENOENT');

    const abort = new AbortController();
    const cancelled = await copyImagesIn(records.slice(0, 2), {
      projectDir,
      concurrency: 1,
      signal: abort.signal,
      onProgress: (done) => {
        if (done === 1) abort.abort();
      },
    });
    expect(cancelled).toEqual({ records: [], cancelled: true });
    await expect(readdir(path.join(projectDir, IMAGES_FOLDER))).rejects.toThrow('ENOENT');
  });
});

describe('images referenced in place', () => {
  it('are flagged missing by the stats, the filter and checkFiles once their folder is gone', async () => {
    const source = await sourceFolder();
    const { session, store, handlers } = await newProject();
    try {
      await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
      expect(store.listImages().every((r) => r.path.startsWith(source))).toBe(true);
      // Nothing checked yet: the count is unknown, not zero.
      expect(await dispatch(handlers, 'library:stats', {})).toMatchObject({
        ok: true,
        value: { missing: null },
      });
      expect(await dispatch(handlers, 'library:checkFiles', {})).toMatchObject({
        ok: true,
        value: { total: 3, missing: 0 },
      });

      await rm(path.join(source, `${NAMES[0]}.jpg`));
      await rm(path.join(source, `${NAMES[2]}.jpg`));
      const checked = await dispatch(handlers, 'library:checkFiles', {});
      expect(checked).toEqual({
        ok: true,
        value: {
          total: 3,
          missing: 2,
          examples: expect.arrayContaining([
            path.join(source, `${NAMES[0]}.jpg`),
            path.join(source, `${NAMES[2]}.jpg`),
          ]),
          folders: [source],
        },
      });
      expect(await dispatch(handlers, 'library:stats', {})).toMatchObject({
        ok: true,
        value: { total: 3, missing: 2 },
      });
      const lost = listed(await dispatch(handlers, 'library:list', { filter: { missing: true } }));
      expect(lost.items.map((item) => [item.path, item.missing])).toEqual(
        [NAMES[0], NAMES[2]].map((name) => [path.join(source, `${name}.jpg`), true]),
      );
      const kept = listed(await dispatch(handlers, 'library:list', { filter: { missing: false } }));
      expect(kept.items.map((item) => item.missing)).toEqual([undefined]);
    } finally {
      await session.close();
    }
  });

  it('checks the files on demand when the grid asks for missing images first', async () => {
    const source = await sourceFolder();
    const { session, store, handlers } = await newProject();
    try {
      await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
      await rm(source, { recursive: true });
      const lost = await dispatch(handlers, 'library:list', {
        filter: { missing: true },
      });
      expect(lost).toMatchObject({ ok: true, value: { total: 3 } });
    } finally {
      await session.close();
    }
  });
});

/** A `library:list` answer, checked against the contract. */
function listed(result: unknown): z.infer<(typeof invokeContract)['library:list']['response']> {
  expect(result).toMatchObject({ ok: true });
  return invokeContract['library:list'].response.parse((result as { value: unknown }).value);
}
