import { crc32 } from 'node:zlib';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syncFolder } from '../../src-main/core/atomic-write';
import type * as AtomicWrite from '../../src-main/core/atomic-write';
import { LabelsJournal, encodeJournalLine, readJournal } from '../../src-main/core/labels-journal';
import { ProjectStore } from '../../src-main/core/project-store';
import type { NewProject } from '../../src-main/core/project-store';
import { LabelsFile, PROJECT_SCHEMA_VERSION } from '../../src-main/shared/domain';
import { labelsOnDisk } from './fixtures/labels-on-disk';
import { counterOf, faceWithCounter, imageId, imageRecord } from '../support/project-data';
import { fileTexts } from '../support/folder-snapshot';
import { fromVersion0 } from './fixtures/version-0-project';

// syncFolder as it is, counted: a new journal's name must be made durable, once.
vi.mock('../../src-main/core/atomic-write', async (importOriginal) => {
  const actual = await importOriginal<typeof AtomicWrite>();
  return { ...actual, syncFolder: vi.fn(actual.syncFolder) };
});

const init: NewProject = { name: 'Journal', landmarkSchema: 'ibug68', attributeSchema: null };

let root: string;
let dir: string;
let journal: string;
let compacting: string;
let labelsFile: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-journal-'));
  dir = path.join(root, 'project');
  journal = path.join(dir, 'labels.journal.jsonl');
  compacting = path.join(dir, 'labels.journal.compacting.jsonl');
  labelsFile = path.join(dir, 'labels.json');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readLabelsJson(): Promise<LabelsFile> {
  return LabelsFile.parse(JSON.parse(await readFile(labelsFile, 'utf8')));
}

/** A closed project with `count` images and no journal. */
async function projectWithImages(count: number): Promise<void> {
  const store = await ProjectStore.create(dir, init);
  await store.putImages(Array.from({ length: count }, (_, i) => imageRecord(i)));
  await store.close();
}

/** Saves faces one by one (each its own journal line) and leaves the store open, not closed. */
async function journalled(counters: readonly [number, number][]): Promise<ProjectStore> {
  const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
  for (const [image, counter] of counters) {
    await store.saveFace(faceWithCounter(imageId(image), counter));
  }
  return store;
}

/** One journal line saving image `image`'s face with `counter`. */
const line = (image: number, counter: number) =>
  encodeJournalLine(PROJECT_SCHEMA_VERSION, [faceWithCounter(imageId(image), counter)]);

describe('label journal', () => {
  it('appends one checksummed line per flush and leaves labels.json alone', async () => {
    await projectWithImages(3);
    const labelsBefore = await readFile(labelsFile, 'utf8');
    const store = await ProjectStore.open(dir, { labelDebounceMs: 20 });
    await Promise.all([
      store.saveFace(faceWithCounter(imageId(0), 1)),
      store.saveFace(faceWithCounter(imageId(1), 2)),
      store.saveFace(faceWithCounter(imageId(0), 3)),
    ]);
    await store.saveFace(faceWithCounter(imageId(2), 4));
    expect(await readFile(labelsFile, 'utf8')).toBe(labelsBefore);
    const contents = await readJournal(journal);
    // Two flushes; the first holds image 0 once, at its last edit.
    expect(contents?.lines.map((line) => line.entries.length)).toEqual([2, 1]);
    expect(contents?.validBytes).toBe((await stat(journal)).size);
    const onDisk = await labelsOnDisk(dir);
    expect(counterOf(onDisk.labels.faces[imageId(0)]!)).toBe(3);
    expect(counterOf(onDisk.labels.faces[imageId(2)]!)).toBe(4);
    await store.close();
  });

  it('replays the journal on open, and close folds it into labels.json', async () => {
    await projectWithImages(2);
    // Lines left by an app that was killed before it could compact them.
    await writeFile(journal, Buffer.concat([line(0, 1), line(1, 2), line(0, 5)]));
    const reopened = await ProjectStore.open(dir);
    expect(counterOf(reopened.getFace(imageId(0))!)).toBe(5);
    expect(counterOf(reopened.getFace(imageId(1))!)).toBe(2);
    expect(reopened.summary().labelledCount).toBe(2);
    await reopened.close();
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    const labels = await readLabelsJson();
    expect(Object.keys(labels.faces).sort()).toEqual([imageId(0), imageId(1)].sort());
    expect(counterOf(labels.faces[imageId(0)]!)).toBe(5);
  });

  it('compacts in the background once the journal passes its threshold', async () => {
    await projectWithImages(10);
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0, compactAfterFaces: 3 });
    for (let i = 0; i < 7; i += 1) {
      await store.saveFace(faceWithCounter(imageId(i), i + 1));
      // Waits for a compaction the save started, so each rotation lands after exactly 3 faces
      // (without it, a rotation may take in the next face too; both are correct, one is testable).
      await store.flush();
    }
    const labels = await readLabelsJson();
    // Compactions after the 3rd and 6th face; the 7th is still only in the journal.
    expect(Object.keys(labels.faces)).toHaveLength(6);
    expect((await readJournal(journal))?.lines).toHaveLength(1);
    await expect(stat(compacting)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(Object.keys((await labelsOnDisk(dir)).labels.faces)).toHaveLength(7);
    await store.close();
  });

  it('compacts once the journal passes its size threshold, whatever the face count', async () => {
    await projectWithImages(3);
    const lineBytes = line(0, 1).length;
    const store = await ProjectStore.open(dir, {
      labelDebounceMs: 0,
      compactAfterBytes: lineBytes + 1,
    });
    await store.saveFace(faceWithCounter(imageId(0), 1));
    await store.flush();
    expect(Object.keys((await readLabelsJson()).faces)).toHaveLength(0);
    await store.saveFace(faceWithCounter(imageId(1), 2));
    await store.flush();
    expect(Object.keys((await readLabelsJson()).faces)).toHaveLength(2);
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.close();
  });

  it('ignores a torn last line and cuts it off before the next append', async () => {
    await projectWithImages(2);
    // A kill in the middle of the third append: half a line, no newline.
    const torn = line(0, 3);
    await writeFile(
      journal,
      Buffer.concat([line(0, 1), line(1, 2), torn.subarray(0, torn.length >> 1)]),
    );
    const reopened = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    expect(counterOf(reopened.getFace(imageId(0))!)).toBe(1);
    await reopened.saveFace(faceWithCounter(imageId(1), 4));
    const contents = await readJournal(journal);
    expect(contents?.lines).toHaveLength(3);
    expect(contents?.validBytes).toBe(contents?.size);
    expect((await labelsOnDisk(dir)).tornTails).toEqual([]);
    await reopened.close();
    expect(counterOf((await readLabelsJson()).faces[imageId(1)]!)).toBe(4);
  });

  it('names a corrupt line in the middle of the journal and changes nothing', async () => {
    await projectWithImages(2);
    await writeFile(journal, Buffer.concat([line(0, 1), line(1, 2)]));
    const text = await readFile(journal, 'utf8');
    // One changed digit in the first line's data: its checksum fails, the second line's holds.
    await writeFile(journal, text.replace('"note":"1"', '"note":"7"'));
    const before = await fileTexts(dir);
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'io',
      message: expect.stringContaining(
        `${journal} is corrupt: line 1 fails its checksum but line 2 after it is intact`,
      ) as unknown,
    });
    expect(await fileTexts(dir)).toEqual(before);
  });

  it('names an intact line whose face fails the schema', async () => {
    await projectWithImages(1);
    const bad = { ...faceWithCounter(imageId(0), 1), points: [{ x: 1, y: 2, v: 7 }] };
    await writeFile(journal, encodeJournalLine(PROJECT_SCHEMA_VERSION, [bad]));
    await expect(ProjectStore.open(dir)).rejects.toThrow(
      `${journal} is invalid: line 1: points.0.v`,
    );
  });

  it('refuses a journal written by a newer version and writes nothing', async () => {
    await projectWithImages(1);
    const newer = PROJECT_SCHEMA_VERSION + 1;
    await writeFile(journal, encodeJournalLine(newer, [faceWithCounter(imageId(0), 1)]));
    const before = await fileTexts(dir);
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(
        `${journal} (line 1) was written by a newer Face Studio`,
      ) as unknown,
    });
    expect(await fileTexts(dir)).toEqual(before);
  });

  it('leaves compaction to the last store of the folder to close (a session switch)', async () => {
    await projectWithImages(2);
    const previous = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    await previous.saveFace(faceWithCounter(imageId(0), 1));
    const next = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    const saved = next.saveFace(faceWithCounter(imageId(1), 2));
    await previous.close();
    await saved;
    // previous did not fold (and remove) a journal that next is appending to.
    expect((await readJournal(journal))?.lines).toHaveLength(2);
    await next.close();
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    const labels = await readLabelsJson();
    expect([0, 1].map((i) => counterOf(labels.faces[imageId(i)]!))).toEqual([1, 2]);
  });

  it('refuses to create a project over a stray journal', async () => {
    await projectWithImages(1);
    await writeFile(journal, line(0, 1));
    await rm(path.join(dir, 'project.json'));
    await rm(labelsFile);
    await expect(ProjectStore.create(dir, init)).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('compaction cut short', () => {
  it('before labels.json was rewritten: the compacting file, then the journal, are applied', async () => {
    await projectWithImages(3);
    await writeFile(compacting, Buffer.concat([line(0, 1), line(1, 2)]));
    await writeFile(journal, Buffer.concat([line(0, 3)]));
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    expect(counterOf(store.getFace(imageId(0))!)).toBe(3);
    expect(counterOf(store.getFace(imageId(1))!)).toBe(2);
    // The next append starts the fold of both files, with appends held back meanwhile.
    await store.saveFace(faceWithCounter(imageId(2), 4));
    await store.flush();
    await expect(stat(compacting)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    const labels = await readLabelsJson();
    expect([0, 1, 2].map((i) => counterOf(labels.faces[imageId(i)]!))).toEqual([3, 2, 4]);
    await store.close();
  });

  it('after labels.json was rewritten: replaying its lines again changes nothing', async () => {
    await projectWithImages(2);
    // labels.json already holds the compacting file's lines (image 0 at 2)...
    const store = await journalled([
      [0, 1],
      [0, 2],
    ]);
    await store.close();
    const labels = await readLabelsJson();
    expect(counterOf(labels.faces[imageId(0)]!)).toBe(2);
    // ...which were an older and a newer edit of the same face, and the journal a later one.
    await writeFile(compacting, Buffer.concat([line(0, 1), line(0, 2), line(1, 7)]));
    await writeFile(journal, line(1, 8));
    const reopened = await ProjectStore.open(dir);
    expect(counterOf(reopened.getFace(imageId(0))!)).toBe(2);
    expect(counterOf(reopened.getFace(imageId(1))!)).toBe(8);
    await reopened.close();
    const after = await labelsOnDisk(dir);
    expect(after.journalLines).toEqual({});
    expect(counterOf(after.labels.faces[imageId(1)]!)).toBe(8);
  });
});

describe('journal and migrations', () => {
  async function writeVersion0(labelsVersion: number): Promise<void> {
    await projectWithImages(2);
    const project = JSON.parse(await readFile(path.join(dir, 'project.json'), 'utf8')) as {
      meta: Record<string, unknown>;
    };
    const { name, ...meta } = project.meta;
    project.meta = { ...meta, title: name, schemaVersion: 0 };
    await writeFile(path.join(dir, 'project.json'), JSON.stringify(project));
    const labels = { schemaVersion: labelsVersion, faces: {} as Record<string, unknown> };
    if (labelsVersion === 1) labels.faces[imageId(0)] = faceWithCounter(imageId(0), 9);
    await writeFile(labelsFile, JSON.stringify(labels));
  }

  it('folds an old journal into the migrated labels.json, then removes it', async () => {
    await writeVersion0(0);
    await writeFile(journal, encodeJournalLine(0, [faceWithCounter(imageId(0), 3)]));
    const store = await ProjectStore.open(dir, { migrations: fromVersion0 });
    expect(counterOf(store.getFace(imageId(0))!)).toBe(3);
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    const labels = await readLabelsJson();
    expect(labels.schemaVersion).toBe(PROJECT_SCHEMA_VERSION);
    expect(counterOf(labels.faces[imageId(0)]!)).toBe(3);
    await store.close();
  });

  it('skips old-version lines that a migration cut short had already folded', async () => {
    // labels.json was migrated (and holds the journal's edit, then a later one) but project.json
    // and the journal were not yet rewritten.
    await writeVersion0(1);
    await writeFile(journal, encodeJournalLine(0, [faceWithCounter(imageId(0), 3)]));
    const store = await ProjectStore.open(dir, { migrations: fromVersion0 });
    expect(counterOf(store.getFace(imageId(0))!)).toBe(9);
    expect(store.meta.name).toBe('Journal');
    await store.close();
  });
});

/** A line whose checksummed text (after `"crc":"xxxxxxxx",`) is `checked`, with `start`/`gap` in place of its frame. */
function framed(checked: string, start = '{"crc":"', gap = '",'): string {
  const sum = crc32(checked).toString(16).padStart(8, '0');
  return `${start}${sum}${gap}${checked}\n`;
}

describe('readJournal', () => {
  const good = () => encodeJournalLine(3, [{ a: 1 }]);

  it('reads the version, the entries and each line number', async () => {
    await mkdir(dir);
    await writeFile(journal, Buffer.concat([good(), encodeJournalLine(4, [{ b: 2 }, { c: 3 }])]));
    const contents = await readJournal(journal);
    expect(contents).toEqual({
      file: journal,
      lines: [
        { version: 3, entries: [{ a: 1 }], line: 1 },
        { version: 4, entries: [{ b: 2 }, { c: 3 }], line: 2 },
      ],
      validBytes: contents!.size,
      size: good().length + encodeJournalLine(4, [{ b: 2 }, { c: 3 }]).length,
    });
  });

  it('is undefined for a missing file and names the file it cannot read', async () => {
    expect(await readJournal(journal)).toBeUndefined();
    await mkdir(journal, { recursive: true });
    await expect(readJournal(journal)).rejects.toMatchObject({
      code: 'io',
      message: expect.stringMatching(new RegExp(`^Cannot read ${journal}: .*EISDIR`)) as unknown,
    });
  });

  it.each([
    // The checksum holds and the JSON parses, but the frame is not the journal's.
    ['another key before the checksum', framed('"v":1,"faces":[]}', '{"CRC":"')],
    [
      'something between the checksum and its comma',
      framed(',"v":1,"faces":[]}', '{"crc":"', 'x"'),
    ],
    ['an upper-case checksum', framed('"v":1,"faces":[]}').toUpperCase()],
    ['a version below zero', framed('"v":-1,"faces":[]}')],
    ['a version that is not an integer', framed('"v":1.5,"faces":[]}')],
    ['a version as text', framed('"v":"1","faces":[]}')],
    ['entries that are not a list', framed('"v":1,"faces":{}}')],
    ['the other journal key', framed('"v":1,"edits":[]}')],
    ['a checksummed text that is not JSON', framed('"v":1,"faces":[}')],
  ])('takes a line with %s as bad', async (_what, bad) => {
    await mkdir(dir);
    // Last: a torn tail, ignored. Before a good line: corruption, named.
    await writeFile(journal, Buffer.concat([good(), Buffer.from(bad)]));
    const tail = await readJournal(journal);
    expect(tail?.lines.map((l) => l.line)).toEqual([1]);
    expect(tail?.validBytes).toBe(good().length);
    expect(tail?.size).toBe(good().length + Buffer.byteLength(bad));
    await writeFile(journal, Buffer.concat([Buffer.from(bad), good()]));
    await expect(readJournal(journal)).rejects.toThrow(
      `${journal} is corrupt: line 1 fails its checksum but line 2 after it is intact, so this ` +
        `is not a write cut short by a crash. Nothing was changed; restore the file from a ` +
        `backup or remove line 1 to open the project.`,
    );
  });

  it('reads a line framed by hand exactly as an encoded one', async () => {
    await mkdir(dir);
    await writeFile(journal, framed('"v":0,"edits":[1]}'));
    expect((await readJournal(journal, 'edits'))?.lines).toEqual([
      { version: 0, entries: [1], line: 1 },
    ]);
  });
});

describe('LabelsJournal', () => {
  const one = () => encodeJournalLine(1, [{ n: 1 }]);
  const two = () => encodeJournalLine(1, [{ n: 2 }]);
  const synced = vi.mocked(syncFolder);

  beforeEach(async () => {
    await mkdir(dir);
    synced.mockClear();
  });

  it('makes a new journal file durable by syncing its folder, once', async () => {
    const log = new LabelsJournal(dir, undefined, undefined);
    expect(log.file).toBe(journal);
    expect(log.compactingFile).toBe(compacting);
    expect(log.compacting).toBe(false);
    await log.append(one());
    expect(synced.mock.calls).toEqual([[dir]]);
    await log.append(two());
    expect(synced.mock.calls).toEqual([[dir]]);
    expect(log.bytes).toBe(one().length + two().length);
    expect(await readFile(journal)).toEqual(Buffer.concat([one(), two()]));
  });

  it('does not sync the folder to append to a journal that exists', async () => {
    await writeFile(journal, one());
    const log = new LabelsJournal(dir, await readJournal(journal), undefined);
    expect(log.bytes).toBe(one().length);
    await log.append(two());
    expect(synced).not.toHaveBeenCalled();
  });

  it('cuts only the torn tail it was told of, never bytes it did not count', async () => {
    const log = new LabelsJournal(dir, undefined, undefined);
    await log.append(one());
    // Appended behind its back (O_APPEND keeps both: the journal is no longer sure of the end).
    await appendFile(journal, two());
    await log.append(one());
    expect(await readFile(journal)).toEqual(Buffer.concat([one(), two(), one()]));
  });

  it('names the journal it cannot append to', async () => {
    const gone = path.join(root, 'gone');
    const log = new LabelsJournal(gone, undefined, undefined);
    const file = path.join(gone, 'labels.journal.jsonl');
    await expect(log.append(one())).rejects.toMatchObject({
      code: 'io',
      message: `Cannot write ${file}: the folder ${gone} does not exist (ENOENT)`,
    });
    expect(log.bytes).toBe(0);
  });

  it('rotates the journal to the compacting file, then starts a fresh one', async () => {
    const log = new LabelsJournal(dir, undefined, undefined);
    await log.append(one());
    await log.rotate();
    expect(log.compacting).toBe(true);
    expect(log.bytes).toBe(0);
    expect(await readFile(compacting)).toEqual(one());
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(log.rotate()).rejects.toThrow('rotate() while a compacting file exists');
    // The fresh journal is a new file: its name is made durable again.
    synced.mockClear();
    await log.append(two());
    expect(synced.mock.calls).toEqual([[dir]]);
    expect(await readFile(journal)).toEqual(two());
    await log.removeCompacting();
    expect(log.compacting).toBe(false);
    await expect(stat(compacting)).rejects.toMatchObject({ code: 'ENOENT' });
    await log.removeJournal();
    expect(log.bytes).toBe(0);
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rotates nothing when there is no journal yet', async () => {
    const log = new LabelsJournal(dir, undefined, undefined);
    await log.rotate();
    expect(log.compacting).toBe(false);
    await expect(stat(compacting)).rejects.toMatchObject({ code: 'ENOENT' });
    // Nothing to remove either: no unlink, no folder sync.
    await log.removeCompacting();
    await log.removeJournal();
    expect(synced).not.toHaveBeenCalled();
  });

  it('takes a compacting file it finds as compacting, and a removed file as removed', async () => {
    await writeFile(compacting, one());
    const log = new LabelsJournal(dir, undefined, await readJournal(compacting));
    expect(log.compacting).toBe(true);
    await rm(compacting);
    await log.removeCompacting();
    expect(log.compacting).toBe(false);
  });

  it('names the compacting file a rotate cannot write', async () => {
    await writeFile(journal, one());
    // The compacting name is taken by a non-empty folder: rename fails.
    await mkdir(path.join(compacting, 'x'), { recursive: true });
    const log = new LabelsJournal(dir, await readJournal(journal), undefined);
    await expect(log.rotate()).rejects.toThrow(`Cannot write ${compacting}: `);
    expect(log.compacting).toBe(false);
  });

  it('uses the names it is given', async () => {
    const log = new LabelsJournal(dir, undefined, undefined, {
      journal: 'a.jsonl',
      compacting: 'b.jsonl',
    });
    expect(log.file).toBe(path.join(dir, 'a.jsonl'));
    expect(log.compactingFile).toBe(path.join(dir, 'b.jsonl'));
  });
});
