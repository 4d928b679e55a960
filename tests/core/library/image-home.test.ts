/**
 * Where a project's images live: imported with `placement: 'copy'` they are copied into the
 * project's images/ folder (named by content hash), so the project still opens and serves every
 * image and thumbnail after the source folder is deleted; referenced images whose folder is gone
 * are found by the file check and shown by the stats, the `missing` filter and `library:checkFiles`;
 * a cancelled or failed copy import leaves the project folder exactly as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type * as nodeFs from 'node:fs';
import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { tempPathFor } from '../../../src-main/core/atomic-write';
import {
  copiedImageName,
  copyImagesIn,
  IMAGES_FOLDER,
  imageFileIn,
  imagesDirOf,
} from '../../../src-main/core/library/image-home';
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
import { dispatch } from '../../../src-main/app/dispatch';
import type { createHandlers } from '../../../src-main/app/handlers';
import type { ImageRecord } from '../../../src-main/shared/domain';
import { StudioError } from '../../../src-main/shared/errors';
import { invokeContract } from '../../../src-main/shared/ipc-contract';
import { idleHandlers } from '../../app/handlers/studio-fixture';
import { DATA } from './test-images';
import { treeSnapshot } from '../../support/folder-snapshot';

/**
 * A disk that fills up cannot be made in a test: while `diskFull` names an error code, the copy's
 * write stream fails with it at the first write, as a full disk (ENOSPC) or quota (EDQUOT) does.
 */
const fault = vi.hoisted(() => ({ diskFull: null as string | null }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof nodeFs>();
  const createWriteStream = ((...args: Parameters<typeof actual.createWriteStream>) => {
    const code = fault.diskFull;
    if (code === null) return actual.createWriteStream(...args);
    return new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error(`${code}: no space left on device, write`), { code }));
      },
    });
  }) as typeof actual.createWriteStream;
  return { ...actual, default: { ...actual, createWriteStream }, createWriteStream };
});

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
  const handlers = idleHandlers(session, workDir);
  return { session, store: session.require(), handlers };
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
      const before = await treeSnapshot(store.dir);
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
      expect(await treeSnapshot(store.dir)).toEqual(before);
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
      const before = await treeSnapshot(store.dir);
      await expect(
        importIntoProject(store, { dir: source, format: 'images', placement: 'copy' }),
      ).rejects.toThrow(path.join(store.dir, IMAGES_FOLDER));
      expect(store.listImages()).toEqual([]);
      expect(await treeSnapshot(store.dir)).toEqual(before);
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

/** The three HELEN images as records referencing them in `source`, with their real ids. */
async function recordsOf(source: string): Promise<ImageRecord[]> {
  const records: ImageRecord[] = [];
  for (const name of NAMES) {
    const file = path.join(source, `${name}.jpg`);
    const id = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    records.push({ id, path: file, width: 1, height: 1, split: 'pool' });
  }
  return records;
}

async function bareProject(): Promise<string> {
  const projectDir = fresh('bare');
  await mkdir(projectDir);
  return projectDir;
}

/** A record of a file that is not there (or not an image file): its id is never checked. */
function recordAt(file: string): ImageRecord {
  return { id: 'a'.repeat(64), path: file, width: 1, height: 1, split: 'pool' };
}

describe('copyImagesIn', () => {
  it('names each copy by id and lower-cased extension, and says how far it got', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    const inside: ImageRecord = { ...records[0]!, id: 'b'.repeat(64), path: 'images/x.png' };
    const progress: [number, number][] = [];
    const result = await copyImagesIn([inside, ...records], {
      projectDir,
      // Fewer than one worker is one.
      concurrency: 0,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result).toEqual({
      cancelled: false,
      records: [
        inside,
        ...records.map((r) => ({ ...r, path: `${IMAGES_FOLDER}/${r.id}.jpg`, source: r.path })),
      ],
    });
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(imagesDirOf(projectDir)).toBe(path.join(projectDir, IMAGES_FOLDER));
  });

  it('returns the records as they are when none lies outside the project, making no folder', async () => {
    const projectDir = await bareProject();
    const inside: ImageRecord = recordAt('images/x.jpg');
    const records = [inside];
    const result = await copyImagesIn(records, { projectDir });
    expect(result).toEqual({ records: [inside], cancelled: false });
    expect(result.records).not.toBe(records);
    expect(await readdir(projectDir)).toEqual([]);
  });

  it('copies nothing when cancelled before it starts', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    const abort = new AbortController();
    abort.abort();
    expect(await copyImagesIn(records, { projectDir, signal: abort.signal })).toEqual({
      records: [],
      cancelled: true,
    });
    expect(await readdir(projectDir)).toEqual([]);
  });

  it('names a source that is gone, and removes the images folder it made', async () => {
    const projectDir = await bareProject();
    const gone = path.join(workDir, 'gone.jpg');
    const attempt = copyImagesIn([recordAt(gone)], { projectDir });
    await expect(attempt).rejects.toThrow(
      new StudioError('io', `Cannot copy ${gone} into the project: the file is gone`),
    );
    const error = (await attempt.catch((e: unknown) => e)) as StudioError;
    expect(error).toBeInstanceOf(StudioError);
    expect(error.code).toBe('io');
    expect(error.cause).toMatchObject({ code: 'ENOENT' });
    expect(await readdir(projectDir)).toEqual([]);
  });

  it("gives the system's reason for a source it cannot read", async () => {
    const projectDir = await bareProject();
    const folder = fresh('a-folder');
    await mkdir(folder);
    await expect(copyImagesIn([recordAt(folder)], { projectDir })).rejects.toThrow(
      new StudioError(
        'io',
        `Cannot copy ${folder} into the project: EISDIR: illegal operation on a directory, read`,
      ),
    );
  });

  it('says the disk is full when a copy runs out of space or quota', async () => {
    const records = await recordsOf(await sourceFolder());
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const projectDir = await bareProject();
      fault.diskFull = code;
      try {
        await expect(copyImagesIn(records.slice(0, 1), { projectDir })).rejects.toThrow(
          new StudioError(
            'io',
            `Cannot copy ${records[0]!.path} into the project: the disk is full (${code})`,
          ),
        );
      } finally {
        fault.diskFull = null;
      }
      expect(await readdir(projectDir)).toEqual([]);
    }
  });

  it('names the copy when it cannot be put in place, leaving no temp file behind', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    // A folder, not empty, where the first copy goes: the rename onto it fails.
    const target = path.join(projectDir, IMAGES_FOLDER, `${records[0]!.id}.jpg`);
    await mkdir(path.join(target, 'inside'), { recursive: true });
    const attempt = copyImagesIn(records.slice(0, 1), { projectDir });
    await expect(attempt).rejects.toThrow(`Cannot write ${target}: EISDIR`);
    expect(await attempt.catch((e: unknown) => e)).toBeInstanceOf(StudioError);
    // The folder was there before: it stays, and nothing else is left.
    expect(await readdir(path.join(projectDir, IMAGES_FOLDER))).toEqual([path.basename(target)]);
    expect(await readdir(target)).toEqual(['inside']);
  });

  it('keeps a copy that was there before when a later one fails', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    const kept = path.join(projectDir, IMAGES_FOLDER, `${records[0]!.id}.jpg`);
    await mkdir(path.dirname(kept));
    await copyFile(records[0]!.path, kept);
    const changed = { ...records[1]!, id: 'f'.repeat(64) };
    await expect(
      copyImagesIn([records[0]!, changed], { projectDir, concurrency: 1 }),
    ).rejects.toThrow('changed while it was being imported');
    expect(await readdir(path.dirname(kept))).toEqual([path.basename(kept)]);
  });

  it('keeps an images folder that was there before, even empty, when a copy fails', async () => {
    const projectDir = await bareProject();
    await mkdir(path.join(projectDir, IMAGES_FOLDER));
    await expect(
      copyImagesIn([recordAt(path.join(workDir, 'gone.jpg'))], { projectDir }),
    ).rejects.toThrow('the file is gone');
    expect(await readdir(path.join(projectDir, IMAGES_FOLDER))).toEqual([]);
  });

  it('never writes through a link placed at its temp name', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    const outside = path.join(await bareProject(), 'outside.txt');
    await writeFile(outside, 'not yours');
    const target = path.join(projectDir, IMAGES_FOLDER, `${records[0]!.id}.jpg`);
    await mkdir(path.dirname(target));
    // The temp name the copy will use next: atomic-write numbers them in turn.
    const used = tempPathFor(target);
    const [, counter] = /-(\d+)\.tmp$/.exec(used)!;
    const next = used.replace(/-\d+\.tmp$/, `-${Number(counter) + 1}.tmp`);
    await symlink(outside, next);
    await expect(copyImagesIn(records.slice(0, 1), { projectDir })).rejects.toThrow(
      `Cannot copy ${records[0]!.path} into the project: EEXIST`,
    );
    expect(await readFile(outside, 'utf8')).toBe('not yours');
    expect(await readdir(path.dirname(target))).toEqual([]);
  });

  it('leaves no file of the project open once done', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    await copyImagesIn(records, { projectDir });
    // Linux lists this process's open files in /proc/self/fd.
    const open: string[] = [];
    for (const fd of await readdir('/proc/self/fd')) {
      const file = await readlink(path.join('/proc/self/fd', fd)).catch(() => '');
      if (file.startsWith(projectDir)) open.push(file);
    }
    expect(open).toEqual([]);
  });

  it('stops a copy in flight when cancelled', async () => {
    const records = await recordsOf(await sourceFolder());
    const projectDir = await bareProject();
    // A named pipe nobody writes to: its copy never ends unless the cancel stops it.
    const pipe = path.join(await bareProject(), 'pipe.jpg');
    execFileSync('mkfifo', [pipe]);
    // Held open for writing so the copy's open does not wait for a writer.
    const writer = await open(pipe, 'r+');
    try {
      const abort = new AbortController();
      const result = await copyImagesIn([records[0]!, recordAt(pipe)], {
        projectDir,
        concurrency: 2,
        signal: abort.signal,
        onProgress: (done) => {
          if (done === 1) abort.abort();
        },
      });
      expect(result).toEqual({ records: [], cancelled: true });
      expect(existsSync(path.join(projectDir, IMAGES_FOLDER))).toBe(false);
    } finally {
      // Lets the read the cancelled stream left waiting end.
      await writer.write('x');
      await writer.close();
    }
  });
});

describe('copiedImageName and imageFileIn', () => {
  it('keeps a short lower-cased extension and leaves an odd one off', () => {
    const id = 'c'.repeat(64);
    expect(copiedImageName(id, '/a/Face.JPG')).toBe(`${id}.jpg`);
    expect(copiedImageName(id, '/a/face.jpeg2000')).toBe(`${id}.jpeg2000`);
    expect(copiedImageName(id, '/a/face.jpeg20000')).toBe(id);
    expect(copiedImageName(id, '/a/face.j-g')).toBe(id);
    expect(copiedImageName(id, '/a/face')).toBe(id);
    expect(copiedImageName(id, '/a/face.')).toBe(id);
  });

  it('resolves a relative path in the project and keeps an absolute one', () => {
    expect(imageFileIn('/p', { path: 'images/x.jpg' })).toBe(path.join('/p', 'images', 'x.jpg'));
    expect(imageFileIn('/p', { path: '/elsewhere/x.jpg' })).toBe('/elsewhere/x.jpg');
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
