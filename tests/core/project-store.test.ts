import {
  mkdir,
  mkdtemp,
  open,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import type * as FsPromises from 'node:fs/promises';
import os from 'node:os';
import { crc32 } from 'node:zlib';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// readFile and open as they are, counted: which files an open reads.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  return { ...actual, readFile: vi.fn(actual.readFile), open: vi.fn(actual.open) };
});
import {
  JOURNAL_FILE,
  LabelsJournal,
  encodeJournalLine,
  readJournal,
} from '../../src-main/core/labels-journal';
import { migrations as appMigrations, type Migration } from '../../src-main/core/migrations';
import { queryLibrary, scanLibraryStats } from '../../src-main/core/library/library-query';
import { ProjectStore } from '../../src-main/core/project-store';
import type { NewProject } from '../../src-main/core/project-store';
import { LabelsFile, PROJECT_SCHEMA_VERSION, ProjectFile } from '../../src-main/shared/domain';
import type { LibraryFilter } from '../../src-main/shared/library';
import { labelsOnDisk } from './fixtures/labels-on-disk';
import {
  counterOf,
  faceWithCounter,
  imageId,
  imageRecord,
  seededRandom,
} from '../support/project-data';
import { fileTexts } from '../support/folder-snapshot';
import { fromVersion0, renameTitle, writeVersion0Project } from './fixtures/version-0-project';

const init: NewProject = { name: 'Helen', landmarkSchema: 'ibug68', attributeSchema: 'mtfl' };

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-store-'));
  dir = path.join(root, 'project');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

/** A project with `count` images, closed, ready to be opened again. */
async function projectWithImages(count: number): Promise<void> {
  const store = await ProjectStore.create(dir, init);
  await store.putImages(Array.from({ length: count }, (_, i) => imageRecord(i)));
  await store.close();
}

describe('ProjectStore.create / open / close', () => {
  it('round-trips a project on disk', async () => {
    const store = await ProjectStore.create(dir, init);
    expect(store.summary()).toMatchObject({
      dir,
      imageCount: 0,
      labelledCount: 0,
      meta: { name: 'Helen', landmarkSchema: 'ibug68', attributeSchema: 'mtfl' },
    });
    expect(store.meta.schemaVersion).toBe(PROJECT_SCHEMA_VERSION);
    for (const folder of ['runs', 'models', 'cache/thumbs']) {
      expect((await stat(path.join(dir, folder))).isDirectory()).toBe(true);
    }
    await store.putImages([imageRecord(1), imageRecord(2), imageRecord(3)]);
    await store.saveFace(faceWithCounter(imageId(2), 41));
    await store.close();

    // What is on disk validates against the domain schemas on its own.
    const project = ProjectFile.parse(await readJson(path.join(dir, 'project.json')));
    const labels = LabelsFile.parse(await readJson(path.join(dir, 'labels.json')));
    expect(project.images.map((image) => image.id)).toEqual([1, 2, 3].map(imageId));
    expect(Object.keys(labels.faces)).toEqual([imageId(2)]);

    const reopened = await ProjectStore.open(dir);
    expect(reopened.summary()).toEqual({ ...store.summary(), imageCount: 3, labelledCount: 1 });
    expect(reopened.meta.id).toBe(store.meta.id);
    // Saved once: the store gave it revision 1, and the revision survives the reopen.
    expect(reopened.getFace(imageId(2))).toEqual({
      ...faceWithCounter(imageId(2), 41),
      revision: 1,
    });
    expect(reopened.getFace(imageId(1))).toBeNull();
    expect(reopened.getImage(imageId(3))).toEqual(imageRecord(3));
    await reopened.close();
  });

  it('creates a project inside an existing folder that holds other files', async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'keep me');
    const store = await ProjectStore.create(dir, init);
    await store.close();
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
    expect((await ProjectStore.open(dir)).summary().meta.name).toBe('Helen');
  });

  it('refuses to create a project over an existing one and leaves it as it was', async () => {
    await projectWithImages(2);
    const before = await fileTexts(dir);
    await expect(ProjectStore.create(dir, { ...init, name: 'Other' })).rejects.toMatchObject({
      code: 'conflict',
      message: `${dir} already holds a Face Studio project (project.json exists); open it instead`,
    });
    expect(await fileTexts(dir)).toEqual(before);
  });

  it('refuses a project name the schema rejects, before touching the disk', async () => {
    await expect(ProjectStore.create(dir, { ...init, name: '' })).rejects.toMatchObject({
      code: 'invalid-payload',
    });
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects a folder that is not a project', async () => {
    await mkdir(dir);
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'not-found',
      message: `${dir} is not a Face Studio project: project.json is missing`,
    });
    await expect(ProjectStore.open(path.join(root, 'nowhere'))).rejects.toMatchObject({
      code: 'not-found',
      message: `${path.join(root, 'nowhere')} does not exist`,
    });
  });

  it('cleans up temp files that a killed writer left behind', async () => {
    await projectWithImages(1);
    const abandoned = path.join(dir, `.labels.json.${2 ** 22 + 1}-1.tmp`);
    await writeFile(abandoned, '{"half":');
    await (await ProjectStore.open(dir)).close();
    await expect(stat(abandoned)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('ProjectStore.open with bad files', () => {
  it.each([
    ['project.json', 'not JSON', '{"meta": {"schemaVersion": 1,', 'is corrupt: not valid JSON'],
    ['project.json', 'empty', '', 'is corrupt: the file is empty'],
    ['project.json', 'without a version', '{"images": []}', 'is invalid: meta.schemaVersion'],
    ['labels.json', 'not JSON', '{"schemaVersion":1,"faces":{"', 'is corrupt: not valid JSON'],
  ])('names a %s that is %s and keeps its bytes', async (name, _, content, problem) => {
    await projectWithImages(2);
    const file = path.join(dir, name);
    await writeFile(file, content);
    const before = await fileTexts(dir);
    const error = await ProjectStore.open(dir).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'io' });
    expect((error as Error).message).toContain(`${file} ${problem}`);
    expect(await fileTexts(dir)).toEqual(before);
  });

  it.each([
    ['missing (the file is null)', 'null'],
    ['a string', '"1"'],
    ['a fraction', '1.5'],
    ['below zero', '-1'],
  ])('names a project.json whose version is %s', async (_, version) => {
    await projectWithImages(1);
    const file = path.join(dir, 'project.json');
    const text = version === 'null' ? version : `{"meta": {"schemaVersion": ${version}}}`;
    await writeFile(file, text);
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'io',
      message: `${file} is invalid: meta.schemaVersion is missing or not a whole number`,
    });
  });

  it('names a project.json it cannot read, with the reason', async () => {
    await projectWithImages(1);
    const file = path.join(dir, 'project.json');
    const reads = vi.mocked(readFile);
    const actual = reads.getMockImplementation()!;
    // A read error other than a folder's (a failing disk): its own message is the reason.
    reads.mockImplementation(((...args: Parameters<typeof actual>) =>
      String(args[0]) === file
        ? Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }))
        : actual(...args)) as typeof actual);
    try {
      await expect(ProjectStore.open(dir)).rejects.toMatchObject({
        code: 'io',
        message: `Cannot read ${file}: EIO: i/o error, read`,
      });
    } finally {
      reads.mockImplementation(actual);
    }
  });

  it('names the journal line of an older version that holds a face without an image id', async () => {
    await projectWithImages(1);
    await writeFile(path.join(dir, 'labels.json'), '{"schemaVersion":1,"faces":{}}');
    const journal = path.join(dir, JOURNAL_FILE);
    await writeFile(journal, encodeJournalLine(1, [{ note: 'no id' }]));
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'io',
      message: `${journal} is invalid: line 1: a face without an image id`,
    });
  });

  it('names the field of a project.json that fails the schema', async () => {
    await projectWithImages(2);
    const file = path.join(dir, 'project.json');
    const project = (await readJson(file)) as { images: { width: unknown }[] };
    project.images[1]!.width = -5;
    await writeFile(file, JSON.stringify(project));
    const before = await fileTexts(dir);
    await expect(ProjectStore.open(dir)).rejects.toThrow(`${file} is invalid: images.1.width:`);
    expect(await fileTexts(dir)).toEqual(before);
  });

  it('rejects a labels.json whose face sits under another image id', async () => {
    await projectWithImages(2);
    const file = path.join(dir, 'labels.json');
    const face = faceWithCounter(imageId(0), 1);
    await writeFile(
      file,
      JSON.stringify({ schemaVersion: PROJECT_SCHEMA_VERSION, faces: { [imageId(1)]: face } }),
    );
    await expect(ProjectStore.open(dir)).rejects.toThrow(
      `${file} is invalid: faces.${imageId(1)}.imageId: the face is stored under ${imageId(1)}`,
    );
  });

  it('refuses a project from a newer version and writes nothing', async () => {
    await projectWithImages(2);
    const file = path.join(dir, 'project.json');
    const project = (await readJson(file)) as { meta: { schemaVersion: number } };
    const newer = PROJECT_SCHEMA_VERSION + 1;
    project.meta.schemaVersion = newer;
    await writeFile(file, JSON.stringify(project));
    const before = await fileTexts(dir);
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'conflict',
      message:
        `${file} was written by a newer Face Studio (schema version ${newer}; this version ` +
        `reads up to ${PROJECT_SCHEMA_VERSION}). Update Face Studio to open it; nothing was changed.`,
    });
    expect(await fileTexts(dir)).toEqual(before);
    expect(await readdir(dir)).not.toContain('backup');
  });

  it('refuses to open a project whose labels.json is missing instead of starting empty', async () => {
    await projectWithImages(1);
    await rm(path.join(dir, 'labels.json'));
    await expect(ProjectStore.open(dir)).rejects.toThrow(
      `${path.join(dir, 'labels.json')} is missing`,
    );
    await expect(stat(path.join(dir, 'labels.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('ProjectStore migrations', () => {
  /** A v0 project in a new folder. */
  async function writeVersion0(): Promise<{ project: string }> {
    await mkdir(dir);
    return { project: await writeVersion0Project(dir) };
  }

  it('backs the files up, then migrates v0 to the current version and saves the result', async () => {
    const { project } = await writeVersion0();
    const store = await ProjectStore.open(dir, { migrations: fromVersion0 });
    expect(store.summary()).toMatchObject({ imageCount: 1, meta: { name: 'Old project' } });
    expect(store.meta.schemaVersion).toBe(PROJECT_SCHEMA_VERSION);
    await store.close();

    const backups = await readdir(path.join(dir, 'backup'));
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^v0-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    const backup = path.join(dir, 'backup', backups[0]!);
    expect(await readFile(path.join(backup, 'project.json'), 'utf8')).toBe(project);
    expect(await readdir(backup)).toEqual(['project.json']);

    const migrated = ProjectFile.parse(await readJson(path.join(dir, 'project.json')));
    expect(migrated.meta).toMatchObject({
      schemaVersion: PROJECT_SCHEMA_VERSION,
      name: 'Old project',
    });
    expect(LabelsFile.parse(await readJson(path.join(dir, 'labels.json')))).toEqual({
      schemaVersion: PROJECT_SCHEMA_VERSION,
      faces: {},
    });
    // Opening again needs no migration and makes no second backup.
    await (await ProjectStore.open(dir, { migrations: fromVersion0 })).close();
    expect(await readdir(path.join(dir, 'backup'))).toHaveLength(1);
  });

  it('stops with a named error and changes nothing when a migration is missing', async () => {
    await writeVersion0();
    const before = await fileTexts(dir);
    await expect(ProjectStore.open(dir, { migrations: [] })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('has no migration from version 0 to 1') as unknown,
    });
    expect(await fileTexts(dir)).toEqual(before);
    expect(await readdir(dir)).not.toContain('backup');
  });

  it('keeps the original files when the migrated data fails the schema', async () => {
    await writeVersion0();
    const before = await fileTexts(dir);
    const broken: Migration = { ...renameTitle, project: (raw) => raw };
    await expect(
      ProjectStore.open(dir, { migrations: [broken, ...appMigrations] }),
    ).rejects.toThrow(`${path.join(dir, 'project.json')} is invalid: meta.name:`);
    expect(await fileTexts(dir)).toEqual(before);
  });
});

describe('ProjectStore label edits', () => {
  it('rejects an invalid face payload with a named error and keeps the stored one', async () => {
    await projectWithImages(3);
    const store = await ProjectStore.open(dir);
    await store.saveFace(faceWithCounter(imageId(1), 1));
    const bad = { ...faceWithCounter(imageId(1), 2), points: [{ x: 'left', y: 3, v: 2 }] };
    // @ts-expect-error: the payload is wrong on purpose, as an untyped caller could send it
    await expect(store.saveFace(bad)).rejects.toMatchObject({
      code: 'invalid-payload',
      message: expect.stringContaining(
        `Cannot save the face for image ${imageId(1)}: points.0.x:`,
      ) as unknown,
    });
    await expect(store.saveFace(faceWithCounter('abc', 3))).rejects.toMatchObject({
      code: 'invalid-payload',
      message: expect.stringContaining('imageId') as unknown,
    });
    await expect(store.saveFace(faceWithCounter(imageId(99), 3))).rejects.toMatchObject({
      code: 'not-found',
      message: `Image ${imageId(99)} is not in project ${dir}`,
    });
    expect(counterOf(store.getFace(imageId(1))!)).toBe(1);
    await store.close();
    expect(counterOf((await ProjectStore.open(dir)).getFace(imageId(1))!)).toBe(1);
  });

  it.each([
    ['1e300', { x: 1e300, y: 10 }],
    ['1e12', { x: 10, y: 1e12 }],
    ['+1e308', { x: 1e308, y: 10 }],
    ['-1e308', { x: 10, y: -1e308 }],
    ['just past -w', { x: -640.5, y: 10 }],
    ['just past 2h', { x: 10, y: 960.5 }],
  ])('refuses a point at %s on a 640×480 image, naming the image and the point', async (_, at) => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir);
    const face = faceWithCounter(imageId(0), 1);
    face.points[7] = { ...face.points[7]!, ...at };
    await expect(store.saveFace(face)).rejects.toMatchObject({
      code: 'invalid-payload',
      message: expect.stringMatching(
        new RegExp(
          `^Cannot save the face for image ${imageId(0)} \\(images/batch-0/face-0\\.jpg\\): point 7 \\(x ${at.x}, y ${at.y}\\) is too far outside the image \\(allowed: x -640\\.\\.1280, y -480\\.\\.960`.replace(
            /\+/g,
            '\\+',
          ),
        ),
      ) as unknown,
    });
    expect(store.getFace(imageId(0))).toBeNull();
    // Points and boxes a little outside the frame (a cut-off chin) are kept.
    face.points[7] = { ...face.points[7]!, x: -640, y: 960 };
    await store.saveFace({ ...face, box: { x: -100, y: -50, width: 900, height: 600 } });
    expect(store.getFace(imageId(0))?.points[7]).toMatchObject({ x: -640, y: 960 });
    const box = { x: 10, y: 10, width: 1e12, height: 50 };
    await expect(store.saveFace({ ...face, box })).rejects.toMatchObject({
      code: 'invalid-payload',
      message: expect.stringContaining(
        'the box (x 10, y 10, 1000000000000×50) is too far outside the image',
      ) as unknown,
    });
    await store.close();
  });

  it.each([
    ['ibug68', 68],
    ['wflw98', 98],
    ['five', 5],
  ])("checks the point count against a %s project's schema", async (landmarkSchema, count) => {
    const store = await ProjectStore.create(
      dir,
      { ...init, landmarkSchema },
      { labelDebounceMs: 0 },
    );
    await store.putImages([imageRecord(1)]);
    await store.saveFace(faceWithCounter(imageId(1), 1, count));
    for (const wrong of [count - 1, count + 1, 0]) {
      await expect(store.saveFace(faceWithCounter(imageId(1), 2, wrong))).rejects.toMatchObject({
        code: 'invalid-payload',
        message:
          `Cannot save the face for image ${imageId(1)}: it has ${wrong} points but the ` +
          `project's landmark schema ${landmarkSchema} has ${count}`,
      });
    }
    expect(store.getFace(imageId(1))?.points).toHaveLength(count);
    await store.close();
    expect(counterOf((await ProjectStore.open(dir)).getFace(imageId(1))!)).toBe(1);
  });

  it("checks the point count against a custom landmark schema's, kept beside project.json", async () => {
    const points = Array.from({ length: 21 }, (_, i) => `p${i}`);
    const schema = {
      id: 'my-lab-21',
      name: 'Lab 21',
      points,
      groups: [],
      edges: [],
      mirror: [],
      normaliser: [0, 1] as [number, number],
      template: points.map((_, i): [number, number] => [i / 20, i / 20]),
    };
    const store = await ProjectStore.create(dir, { ...init, landmarkSchema: schema });
    await store.putImages([imageRecord(1)]);
    await store.saveFace(faceWithCounter(imageId(1), 1, 21));
    await expect(store.saveFace(faceWithCounter(imageId(1), 2, 68))).rejects.toThrow(
      /68 points but the project's landmark schema my-lab-21 has 21/,
    );
    await store.close();
    const again = await ProjectStore.open(dir);
    expect(again.landmarkSchema).toEqual(schema);
    expect(again.getFace(imageId(1))?.points).toHaveLength(21);
    await again.close();
  });

  it('refuses a custom landmark schema given by id alone', async () => {
    await expect(
      ProjectStore.create(dir, { ...init, landmarkSchema: 'my-lab-21' }),
    ).rejects.toThrow('No built-in landmark schema "my-lab-21"');
  });

  it('coalesces many quick edits into few writes, each edit durable when its promise resolves', async () => {
    await projectWithImages(50);
    const flushes: number[] = [];
    const store = await ProjectStore.open(dir, {
      labelDebounceMs: 50,
      onLabelsFlushed: (count) => flushes.push(count),
    });
    const projectBefore = await readFile(path.join(dir, 'project.json'), 'utf8');
    const saves = Array.from({ length: 200 }, (_, i) =>
      store.saveFace(faceWithCounter(imageId(i % 50), i)),
    );
    expect(flushes).toEqual([]); // nothing written before the debounce delay
    await Promise.all(saves);
    expect(flushes).toEqual([200]);
    const labels = (await labelsOnDisk(dir)).labels;
    for (let i = 0; i < 50; i += 1) {
      expect(counterOf(labels.faces[imageId(i)]!)).toBe(150 + i);
    }
    // Label edits never rewrite the image index.
    expect(await readFile(path.join(dir, 'project.json'), 'utf8')).toBe(projectBefore);
    expect(store.summary().labelledCount).toBe(50);
    await store.close();
  });

  it('writes edits made during a write in the next one', async () => {
    await projectWithImages(2);
    const flushes: number[] = [];
    const store = await ProjectStore.open(dir, {
      labelDebounceMs: 0,
      onLabelsFlushed: (count) => flushes.push(count),
    });
    // Hold the first journal append once it has begun, so the next edits surely come during it.
    const append = LabelsJournal.prototype.append;
    let begun!: () => void;
    const firstBegun = new Promise<void>((resolve) => (begun = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(LabelsJournal.prototype, 'append').mockImplementationOnce(async function (
      this: LabelsJournal,
      line: Buffer,
    ) {
      begun();
      await released;
      return append.call(this, line);
    });
    try {
      const first = store.saveFace(faceWithCounter(imageId(0), 1));
      await firstBegun;
      const second = store.saveFace(faceWithCounter(imageId(1), 2));
      const third = store.saveFace(faceWithCounter(imageId(1), 3));
      release();
      await Promise.all([first, second, third]);
    } finally {
      spy.mockRestore();
    }
    // The first write held one edit; the two made during it went into the next, together.
    expect(flushes).toEqual([1, 2]);
    const labels = (await labelsOnDisk(dir)).labels;
    expect(counterOf(labels.faces[imageId(1)]!)).toBe(3);
    await store.close();
  });

  it('flush() and close() write pending edits without waiting for the delay', async () => {
    await projectWithImages(2);
    const store = await ProjectStore.open(dir, { labelDebounceMs: 60_000 });
    const saved = store.saveFace(faceWithCounter(imageId(0), 9));
    // The delay is a minute: a flush() that waited for it would run into the test timeout.
    await store.flush();
    await saved;
    const labels = (await labelsOnDisk(dir)).labels;
    expect(counterOf(labels.faces[imageId(0)]!)).toBe(9);

    const pending = store.saveFace(faceWithCounter(imageId(1), 10));
    await store.close();
    await pending;
    expect(store.closed).toBe(true);
    await expect(store.saveFace(faceWithCounter(imageId(1), 11))).rejects.toMatchObject({
      code: 'not-found',
      message: `The project ${dir} is closed`,
    });
    expect(counterOf((await ProjectStore.open(dir)).getFace(imageId(1))!)).toBe(10);
  });

  it('hands out copies, so changing a returned face changes nothing stored', async () => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    await store.saveFace(faceWithCounter(imageId(0), 5));
    store.getFace(imageId(0))!.note = '999';
    expect(counterOf(store.getFace(imageId(0))!)).toBe(5);
    await store.close();
  });
});

describe('ProjectStore image index', () => {
  it('adds, replaces and removes image records in project.json, keeping labels', async () => {
    const store = await ProjectStore.create(dir, init, { labelDebounceMs: 0 });
    await store.putImages([imageRecord(1), imageRecord(2)]);
    await store.saveFace(faceWithCounter(imageId(2), 1));
    const labelsBefore = await fileTexts(dir);
    await store.putImages([{ ...imageRecord(2), split: 'test' }, imageRecord(3)]);
    expect(store.listImages().map((image) => image.id)).toEqual([1, 2, 3].map(imageId));
    expect(store.getImage(imageId(2))?.split).toBe('test');
    // Index edits never rewrite labels.json or its journal.
    const labelsAfter = await fileTexts(dir);
    for (const name of ['labels.json', 'labels.journal.jsonl']) {
      expect(labelsAfter[name], name).toBe(labelsBefore[name]);
    }
    expect(labelsBefore['labels.journal.jsonl']).toContain(imageId(2));

    // Records are frozen: the line cache of project.json relies on them never changing in place.
    expect(() => {
      (store.getImage(imageId(1)) as { split: string }).split = 'val';
    }).toThrow(TypeError);

    expect(await store.removeImages([imageId(2), imageId(42)])).toBe(1);
    expect(store.summary()).toMatchObject({ imageCount: 2, labelledCount: 0 });
    await expect(store.putImages([{ ...imageRecord(4), width: 0 }])).rejects.toMatchObject({
      code: 'invalid-payload',
    });
    await store.close();

    const project = ProjectFile.parse(await readJson(path.join(dir, 'project.json')));
    expect(project.images.map((image) => image.id)).toEqual([imageId(1), imageId(3)]);
    const labels = LabelsFile.parse(await readJson(path.join(dir, 'labels.json')));
    expect(Object.keys(labels.faces)).toEqual([imageId(2)]);
  });
});

describe('ProjectStore library index', () => {
  /** The store's indexed answers against the scan of its own records and faces. */
  function expectIndexMatchesScan(store: ProjectStore, missing: ReadonlySet<string>): void {
    const faceOf = (id: string) => store.getFace(id);
    const filters: LibraryFilter[] = [
      {},
      { split: 'train' },
      { labelled: true },
      { labelled: false, needsReview: false },
      { needsReview: true },
      { hasFace: false },
      { flagged: true },
      { attribute: { name: 'smiling', value: true } },
      { missing: true },
      { text: 'FACE-1' },
    ];
    for (const filter of filters) {
      for (const offset of [0, 2]) {
        expect(store.library.query(filter, offset, 3, missing)).toEqual(
          queryLibrary(store.listImages(), faceOf, filter, offset, 3, missing),
        );
      }
    }
    expect(store.library.stats(missing)).toEqual(
      scanLibraryStats(store.listImages(), faceOf, missing),
    );
    const summary = store.summary();
    const stats = store.library.stats(null);
    expect([summary.labelledCount, summary.needsReviewCount, summary.imageCount]).toEqual([
      stats.labelled,
      stats.needsReview,
      stats.total,
    ]);
  }

  it('follows every write (images put, replaced, removed; faces saved) and a reopen', async () => {
    const random = seededRandom(7);
    const store = await ProjectStore.create(dir, init, { labelDebounceMs: 0 });
    const missing = new Set([imageId(1), imageId(5), imageId(40)]);
    for (let step = 0; step < 40; step += 1) {
      const n = Math.floor(random() * 12);
      const roll = random();
      if (roll < 0.4) {
        const split = (['pool', 'train', 'val', 'test'] as const)[step % 4]!;
        await store.putImages([
          { ...imageRecord(n), split, ...(random() < 0.3 ? { flags: ['tiny-face'] } : {}) },
        ]);
      } else if (roll < 0.85) {
        // A face needs its image; one of a removed image stays stored, counted once it is back.
        if (store.getImage(imageId(n)) === null) await store.putImages([imageRecord(n)]);
        const face = faceWithCounter(imageId(n), step);
        await store.saveFace(
          random() < 0.3
            ? { ...face, points: face.points.map((p) => ({ ...p, confirmed: false })) }
            : face,
        );
      } else {
        await store.removeImages([imageId(n), imageId((n + 3) % 12)]);
      }
      expectIndexMatchesScan(store, missing);
    }
    const before = store.library.stats(missing);
    await store.close();
    const reopened = await ProjectStore.open(dir);
    expect(reopened.library.stats(missing)).toEqual(before);
    expectIndexMatchesScan(reopened, missing);
    await reopened.close();
  });

  it('counts a face saved for an image not in the index once its image is added', async () => {
    const store = await ProjectStore.create(dir, init, { labelDebounceMs: 0 });
    await store.putImages([imageRecord(1), imageRecord(2)]);
    await store.saveFace(faceWithCounter(imageId(2), 1));
    await store.removeImages([imageId(2)]);
    expect(store.library.stats(null)).toMatchObject({ total: 1, labelled: 0 });
    expect(store.summary()).toMatchObject({ imageCount: 1, labelledCount: 0 });
    await store.putImages([imageRecord(2)]);
    expect(store.library.stats(null)).toMatchObject({ total: 2, labelled: 1 });
    expect(store.library.query({ labelled: true }, 0, 10).items.map((item) => item.id)).toEqual([
      imageId(2),
    ]);
    expect(store.library.size).toBe(2);
    await store.close();
  });

  it('removes nothing and keeps its positions when no id given is in the index', async () => {
    const store = await ProjectStore.create(dir, init, { labelDebounceMs: 0 });
    await store.putImages([imageRecord(1), imageRecord(2)]);
    expect(await store.removeImages([imageId(9)])).toBe(0);
    expect(store.getImage(imageId(2))).toEqual(imageRecord(2));
    expect(store.library.query({}, 1, 1).items.map((item) => item.id)).toEqual([imageId(2)]);
    await store.close();
  });

  it('hands out grid items a caller cannot change the store through', async () => {
    const store = await ProjectStore.create(dir, init, { labelDebounceMs: 0 });
    await store.putImages([{ ...imageRecord(1), split: 'train', flags: ['tiny-face'] }]);
    const [item] = store.library.query({}, 0, 1).items;
    item!.split = 'test';
    expect(() => (item!.flags as string[]).push('no-face')).toThrow(TypeError);
    expect(() => {
      (item!.face!.crop as { width: number }).width = 1;
    }).toThrow(TypeError);
    expect(store.getImage(imageId(1))).toMatchObject({ split: 'train', flags: ['tiny-face'] });
    expect(store.library.stats(null).splits).toEqual({ pool: 0, train: 1, val: 0, test: 0 });
    await store.close();
  });
});

describe('ProjectStore: the folder', () => {
  it('says a path that is a file is not a project folder', async () => {
    await writeFile(dir, 'not a folder');
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'not-found',
      message: `${dir} is not a Face Studio project: it is not a folder`,
    });
  });

  it('keeps the cause of a folder that does not exist, or lies under a file', async () => {
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'not-found',
      message: `${dir} does not exist`,
      cause: { code: 'ENOENT' },
    });
    await writeFile(dir, 'a file');
    const under = path.join(dir, 'project');
    await expect(ProjectStore.open(under)).rejects.toMatchObject({
      code: 'not-found',
      message: `${under} does not exist`,
      cause: { code: 'ENOTDIR' },
    });
  });

  it('names a folder it cannot look at (a link to itself)', async () => {
    await symlink(dir, dir);
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'io',
      message: `Cannot read ${dir}: ELOOP: too many symbolic links encountered, stat '${dir}'`,
      cause: { code: 'ELOOP' },
    });
  });

  it('will not create a project where a file is in the way', async () => {
    await writeFile(dir, 'a file');
    await expect(ProjectStore.create(dir, init)).rejects.toMatchObject({
      code: 'conflict',
      message: `Cannot create the folder ${dir}: a file is in the way`,
      cause: { code: 'EEXIST' },
    });
    const under = path.join(dir, 'project');
    await expect(ProjectStore.create(under, init)).rejects.toMatchObject({
      code: 'conflict',
      message: `Cannot create the folder ${under}: a file is in the way`,
      cause: { code: 'ENOTDIR' },
    });
    expect(await readFile(dir, 'utf8')).toBe('a file');
  });

  it('names a folder it cannot create for another reason', async () => {
    const loop = path.join(root, 'loop');
    await symlink(loop, loop);
    const inside = path.join(loop, 'project');
    const error: unknown = await ProjectStore.create(inside, init).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'io', cause: { code: 'ELOOP' } });
    expect((error as Error).message).toMatch(new RegExp(`^Cannot create ${inside}: ELOOP`));
  });
});

describe('ProjectStore options', () => {
  it.each([
    ['labelDebounceMs', -1, 0],
    ['compactAfterFaces', 0, 1],
    ['compactAfterImageEdits', 0, 1],
    ['compactAfterBytes', 0.5, 1],
  ] as const)('refuses %s = %s, naming it and its least value', async (name, value, min) => {
    await projectWithImages(1);
    await expect(ProjectStore.open(dir, { [name]: value })).rejects.toMatchObject({
      code: 'invalid-payload',
      message: `${name} must be ≥ ${min}, got ${value}`,
    });
    await expect(ProjectStore.open(dir, { [name]: Number.NaN })).rejects.toThrow(
      `${name} must be ≥ ${min}, got NaN`,
    );
  });
});

describe('ProjectStore.putImages', () => {
  const journalFile = () => path.join(dir, 'images.journal.jsonl');

  it('journals a batch as one line and counts one edit', async () => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir);
    const before = store.editCount;
    await store.putImages([imageRecord(1), imageRecord(2)]);
    expect(store.editCount).toBe(before + 1);
    const journal = await readJournal(journalFile(), 'edits');
    expect(journal?.lines.map((line) => line.entries)).toEqual([
      [{ put: imageRecord(1) }, { put: imageRecord(2) }],
    ]);
    await store.close();
  });

  it('writes and counts nothing for no records', async () => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir);
    const before = store.editCount;
    await store.putImages([]);
    expect(store.editCount).toBe(before);
    await expect(stat(journalFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await store.close();
  });

  it('refuses a bad record naming the project, and writes none of the batch', async () => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir);
    const bad = { ...imageRecord(2), width: 0 };
    const error: unknown = await store
      .putImages([imageRecord(1), bad])
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'invalid-payload' });
    expect((error as Error).message).toMatch(new RegExp(`^Cannot add images to ${dir}: .*width`));
    await expect(stat(journalFile())).rejects.toMatchObject({ code: 'ENOENT' });
    expect(store.listImages()).toHaveLength(1);
    await store.close();
  });

  it('counts each record towards the image compaction', async () => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir, { compactAfterImageEdits: 2 });
    await store.putImages([imageRecord(1), imageRecord(2)]);
    await store.flush();
    await expect(stat(journalFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const onDisk = ProjectFile.parse(await readJson(path.join(dir, 'project.json')));
    expect(onDisk.images.map((image) => image.id)).toEqual([imageId(0), imageId(1), imageId(2)]);
    await store.close();
  });

  it('is refused, naming the project, when opened read-only', async () => {
    await projectWithImages(1);
    const store = await ProjectStore.open(dir, { readOnly: true });
    const message = `The project ${dir} was opened read-only (without its lock), so it cannot be changed here`;
    await expect(store.putImages([imageRecord(1)])).rejects.toMatchObject({
      code: 'forbidden',
      message,
    });
    await expect(store.removeImages([imageId(0)])).rejects.toMatchObject({
      code: 'forbidden',
      message,
    });
    await store.close();
  });
});

describe('ProjectStore.removeImages', () => {
  const journalFile = () => path.join(dir, 'images.journal.jsonl');

  it('journals only the images it has, and counts one edit', async () => {
    await projectWithImages(3);
    const store = await ProjectStore.open(dir);
    const before = store.editCount;
    expect(await store.removeImages([imageId(1), imageId(9)])).toBe(1);
    expect(store.editCount).toBe(before + 1);
    const journal = await readJournal(journalFile(), 'edits');
    expect(journal?.lines.map((line) => line.entries)).toEqual([[{ remove: imageId(1) }]]);
    expect(store.listImages().map((image) => image.id)).toEqual([imageId(0), imageId(2)]);
    await store.close();
  });

  it('writes and counts nothing when it has none of the images', async () => {
    await projectWithImages(2);
    const store = await ProjectStore.open(dir);
    const before = store.editCount;
    expect(await store.removeImages([imageId(7), imageId(8)])).toBe(0);
    expect(await store.removeImages([])).toBe(0);
    expect(store.editCount).toBe(before);
    await expect(stat(journalFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await store.close();
  });

  it('counts each image removed towards the image compaction', async () => {
    await projectWithImages(4);
    const projectFile = path.join(dir, 'project.json');
    const store = await ProjectStore.open(dir, { compactAfterImageEdits: 2 });
    // Two images in one line: two edits, the threshold.
    expect(await store.removeImages([imageId(0), imageId(1)])).toBe(2);
    await store.flush();
    await expect(stat(journalFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const onDisk = ProjectFile.parse(await readJson(projectFile));
    expect(onDisk.images.map((image) => image.id)).toEqual([imageId(2), imageId(3)]);
    await store.close();
  });
});

describe('ProjectStore: a summary found stale', () => {
  /** A file's identity as a summary records it: device, inode, size, modification time (ns). */
  async function identityNow(file: string): Promise<string> {
    const info = await stat(file, { bigint: true });
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
  }

  /** The summary on disk vouches for labels.json as it is now: its length, CRC and identity. */
  async function expectSummaryOfLabelsNow(files: { labels: string; summary: string }) {
    const bytes = await readFile(files.labels);
    const summary = JSON.parse(await readFile(files.summary, 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({
      labelsBytes: bytes.length,
      labelsCrc: crc32(bytes),
      labelsIdentity: await identityNow(files.labels),
    });
  }

  /**
   * A closed project whose labels.json was rewritten (image 0's note changed) behind a summary
   * that records the new file's identity: only the bytes, once read, show it stale.
   */
  async function staleSummary(): Promise<{ labels: string; summary: string }> {
    const store = await ProjectStore.create(dir, init);
    await store.putImages([imageRecord(0), imageRecord(1), imageRecord(2)]);
    await store.saveFace(faceWithCounter(imageId(0), 1));
    await store.saveFace(faceWithCounter(imageId(1), 2));
    await store.close();
    const labels = path.join(dir, 'labels.json');
    const summary = path.join(dir, 'labels.summary.json');
    const text = await readFile(labels, 'utf8');
    const changed = text.replace('"note":"1"', '"note":"a longer note"');
    expect(changed).not.toBe(text);
    await writeFile(labels, changed);
    const written = JSON.parse(await readFile(summary, 'utf8')) as Record<string, unknown>;
    written.labelsIdentity = await identityNow(labels);
    await writeFile(summary, JSON.stringify(written));
    return { labels, summary };
  }

  it('counts the faces read as an edit and writes the summary of the bytes read', async () => {
    const files = await staleSummary();
    const store = await ProjectStore.open(dir);
    const before = store.editCount;
    expect(store.getFace(imageId(0))?.note).toBe('a longer note');
    expect(store.editCount).toBe(before + 1);
    await store.flush();
    await expectSummaryOfLabelsNow(files);
    await store.close();
    // The next open trusts it: the faces as the file holds them, without a fallback.
    const reopened = await ProjectStore.open(dir);
    const edits = reopened.editCount;
    expect(reopened.getFace(imageId(0))?.note).toBe('a longer note');
    expect(reopened.editCount).toBe(edits);
    await reopened.close();
  });

  it('leaves the summary a compaction wrote when labels.json changed after the bytes were read', async () => {
    const files = await staleSummary();
    // One face saved is a compaction: its snapshot reads labels.json (finding the summary stale),
    // then it rewrites labels.json and its summary before the stale one's summary may be written.
    // (Image 2 had no face: saving it reads none of labels.json.)
    const store = await ProjectStore.open(dir, { compactAfterFaces: 1, labelDebounceMs: 0 });
    await store.saveFace(faceWithCounter(imageId(2), 5));
    await store.flush();
    await expectSummaryOfLabelsNow(files);
    await store.close();
    const reopened = await ProjectStore.open(dir);
    expect(reopened.getFace(imageId(0))?.note).toBe('a longer note');
    expect(reopened.getFace(imageId(2))?.note).toBe('5');
    await reopened.close();
  });
});

describe('ProjectStore.open and labels.summary.json', () => {
  /** A closed project of 2 images, each with a face, compacted: its summary records labels.json. */
  async function twoFaces(): Promise<{ labels: string; summary: string }> {
    const store = await ProjectStore.create(dir, init);
    await store.putImages([imageRecord(0), imageRecord(1)]);
    await store.saveFace(faceWithCounter(imageId(0), 1));
    await store.saveFace(faceWithCounter(imageId(1), 2));
    await store.close();
    return {
      labels: path.join(dir, 'labels.json'),
      summary: path.join(dir, 'labels.summary.json'),
    };
  }

  it('drops the background read of labels.json when closed while beforeLabelsPreload waits', async () => {
    const files = await twoFaces();
    const reads = vi.mocked(readFile);
    let release = () => {};
    const asked = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = await ProjectStore.open(dir, { beforeLabelsPreload: asked });
      vi.advanceTimersByTime(250);
      expect(asked).toHaveBeenCalledTimes(1);
      await store.close();
      const opens = vi.mocked(open);
      reads.mockClear();
      opens.mockClear();
      release();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      const touched = [...reads.mock.calls, ...opens.mock.calls].map(([file]) => String(file));
      expect(touched).not.toContain(files.labels);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads neither labels.json nor the summary twice when the summary vouches for it', async () => {
    const files = await twoFaces();
    const reads = vi.mocked(readFile);
    reads.mockClear();
    const store = await ProjectStore.open(dir);
    const read = reads.mock.calls.map(([file]) => String(file));
    expect(read.filter((file) => file === files.labels)).toEqual([]);
    expect(read.filter((file) => file === files.summary)).toEqual([files.summary]);
    expect(store.summary()).toMatchObject({ labelledCount: 2 });
    await store.close();
  });

  it('trusts no summary without the lock, even one that records no identity', async () => {
    const files = await twoFaces();
    // A summary of an older studio (no identity), then image 0's face removed behind it.
    const summary = JSON.parse(await readFile(files.summary, 'utf8')) as Record<string, unknown>;
    delete summary.labelsIdentity;
    await writeFile(files.summary, JSON.stringify(summary));
    const labels = LabelsFile.parse(await readJson(files.labels));
    delete labels.faces[imageId(0)];
    await writeFile(files.labels, JSON.stringify(labels));
    const store = await ProjectStore.open(dir, { readOnly: true });
    expect(store.summary()).toMatchObject({ labelledCount: 1 });
    expect(store.getFace(imageId(0))).toBeNull();
    await store.close();
  });
});

describe('ProjectStore.saveFace against a revision', () => {
  it('says which revision the edit was made to and which the project holds', async () => {
    await projectWithImages(2);
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    expect(await store.saveFace(faceWithCounter(imageId(0), 1), { baseRevision: null })).toBe(1);
    await expect(
      store.saveFace(faceWithCounter(imageId(0), 2), { baseRevision: null }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message:
        `Cannot save the face for image ${imageId(0)}: it was changed elsewhere since it was ` +
        `read (the edit was made to no face, the project holds revision 1). Nothing was saved`,
    });
    await expect(
      store.saveFace(faceWithCounter(imageId(1), 2), { baseRevision: 4 }),
    ).rejects.toThrow('(the edit was made to revision 4, the project holds no face)');
    // A saved face comes back as a copy: changing it changes nothing stored.
    const face = store.getFace(imageId(0))!;
    face.note = 'changed';
    expect(store.getFace(imageId(0))?.note).toBe('1');
    expect(store.getFace(imageId(1))).toBeNull();
    await store.close();
  });
});
