/**
 * The image index's journal: an index edit (a split, a curation flag, an import's records) is one
 * fsync'd line in images.journal.jsonl instead of a rewrite of project.json; open replays it, a
 * threshold or close folds it into project.json, and the rules of the label journal hold (a torn
 * tail is ignored, a compaction cut short is folded by the next).
 */
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyImageEdits } from '../../src-main/core/images-journal';
import { encodeJournalLine, readJournal } from '../../src-main/core/labels-journal';
import { ProjectStore } from '../../src-main/core/project-store';
import type { NewProject } from '../../src-main/core/project-store';
import { PROJECT_SCHEMA_VERSION, ProjectFile } from '../../src-main/shared/domain';
import { imagesOnDisk } from './fixtures/images-on-disk';
import { imageId, imageRecord } from '../support/project-data';

const init: NewProject = { name: 'Index', landmarkSchema: 'ibug68', attributeSchema: null };

let root: string;
let dir: string;
let journal: string;
let compacting: string;
let projectFile: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-images-journal-'));
  dir = path.join(root, 'project');
  journal = path.join(dir, 'images.journal.jsonl');
  compacting = path.join(dir, 'images.journal.compacting.jsonl');
  projectFile = path.join(dir, 'project.json');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function projectJson(): Promise<ProjectFile> {
  return ProjectFile.parse(JSON.parse(await readFile(projectFile, 'utf8')));
}

/** A closed project with `count` images and no journal. */
async function projectWithImages(count: number): Promise<void> {
  const store = await ProjectStore.create(dir, init);
  await store.putImages(Array.from({ length: count }, (_, i) => imageRecord(i)));
  await store.close();
}

const moved = (n: number, split: 'train' | 'test') => ({ ...imageRecord(n), split });
const putLine = (...records: ReturnType<typeof imageRecord>[]) =>
  encodeJournalLine(
    PROJECT_SCHEMA_VERSION,
    records.map((put) => ({ put })),
    'edits',
  );

describe('image index journal', () => {
  it('appends one line per edit and leaves project.json alone until close folds it in', async () => {
    await projectWithImages(3);
    const before = await readFile(projectFile, 'utf8');
    const store = await ProjectStore.open(dir);
    await store.putImages([moved(0, 'train'), moved(1, 'test')]);
    await store.putImages([imageRecord(7)]);
    expect(await readFile(projectFile, 'utf8')).toBe(before);
    const lines = (await readJournal(journal, 'edits'))?.lines ?? [];
    expect(lines.map((line) => line.entries.length)).toEqual([2, 1]);
    expect(store.getImage(imageId(1))?.split).toBe('test');
    expect(store.library.stats(null).splits.train).toBe(1);

    await store.close();
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    const project = await projectJson();
    expect(project.images.map((image) => [image.id, image.split])).toEqual([
      [imageId(0), 'train'],
      [imageId(1), 'test'],
      [imageId(2), 'pool'],
      [imageId(7), 'pool'],
    ]);
  });

  it('replays puts and removes on open, in order', async () => {
    await projectWithImages(4);
    await writeFile(
      journal,
      Buffer.concat([
        putLine(moved(2, 'train')),
        encodeJournalLine(PROJECT_SCHEMA_VERSION, [{ remove: imageId(1) }], 'edits'),
        putLine(imageRecord(9), moved(2, 'test')),
      ]),
    );
    const store = await ProjectStore.open(dir, { readOnly: true });
    expect(store.listImages().map((image) => image.id)).toEqual(
      [0, 2, 3, 9].map((n) => imageId(n)),
    );
    expect(store.getImage(imageId(2))?.split).toBe('test');
    expect(store.getImage(imageId(1))).toBeNull();
    expect(store.library.stats(null).total).toBe(4);
    await store.close();
  });

  it('journals a removal, so a reopen does not bring the image back', async () => {
    await projectWithImages(3);
    const store = await ProjectStore.open(dir);
    await store.putImages([moved(1, 'train')]);
    expect(await store.removeImages([imageId(1), imageId(5)])).toBe(1);
    // A second store, read-only, sees what the first made durable.
    const reader = await ProjectStore.open(dir, { readOnly: true });
    expect(reader.listImages().map((image) => image.id)).toEqual([imageId(0), imageId(2)]);
    await reader.close();
    await store.close();
    expect((await projectJson()).images.map((image) => image.id)).toEqual([imageId(0), imageId(2)]);
  });

  it('compacts into project.json in the background once the journal passes its threshold', async () => {
    await projectWithImages(10);
    const store = await ProjectStore.open(dir, { compactAfterImageEdits: 3 });
    for (let i = 0; i < 7; i += 1) {
      await store.putImages([moved(i, 'train')]);
      await store.flush(); // lets the compaction a put started end, so each folds exactly 3
    }
    // Compactions after the 3rd and 6th edit; the 7th is still only in the journal.
    expect((await projectJson()).images.filter((image) => image.split === 'train')).toHaveLength(6);
    expect((await readJournal(journal, 'edits'))?.lines).toHaveLength(1);
    await expect(stat(compacting)).rejects.toMatchObject({ code: 'ENOENT' });
    const index = await imagesOnDisk(dir);
    expect(index.images.filter((image) => image.split === 'train')).toHaveLength(7);
    await store.close();
  });

  it('ignores a torn last line and cuts it off before the next append', async () => {
    await projectWithImages(2);
    const good = putLine(moved(0, 'train'));
    await writeFile(journal, Buffer.concat([good, putLine(moved(1, 'test')).subarray(0, 40)]));
    const store = await ProjectStore.open(dir);
    expect(store.getImage(imageId(0))?.split).toBe('train');
    expect(store.getImage(imageId(1))?.split).toBe('pool');
    await store.putImages([moved(1, 'train')]);
    const lines = await readJournal(journal, 'edits');
    expect(lines?.lines).toHaveLength(2);
    expect(lines?.validBytes).toBe(lines?.size);
    await store.close();
  });

  it('folds a compaction cut short (compacting file left) with the journal after it', async () => {
    await projectWithImages(3);
    // A crash after the rotation: the older edit in the compacting file, a newer in the journal.
    await writeFile(compacting, putLine(moved(0, 'train'), moved(1, 'train')));
    await writeFile(journal, putLine(moved(0, 'test')));
    const store = await ProjectStore.open(dir);
    expect(store.getImage(imageId(0))?.split).toBe('test');
    expect(store.getImage(imageId(1))?.split).toBe('train');
    await store.compact();
    await expect(stat(compacting)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(journal)).rejects.toMatchObject({ code: 'ENOENT' });
    const splits = (await projectJson()).images.map((image) => image.split);
    expect(splits).toEqual(['test', 'train', 'pool']);
    await store.close();
  });

  it('replaying lines project.json already holds changes nothing', async () => {
    await projectWithImages(2);
    const store = await ProjectStore.open(dir);
    await store.putImages([moved(1, 'train'), imageRecord(5)]);
    const lines = await readFile(journal);
    await store.close();
    // A crash after project.json was rewritten but before the rotated file was removed.
    await writeFile(compacting, lines);
    const reopened = await ProjectStore.open(dir, { readOnly: true });
    expect(reopened.listImages()).toEqual((await projectJson()).images);
    await reopened.close();
  });

  it('names the journal and line of an intact edit that is neither a put nor a remove', async () => {
    await projectWithImages(1);
    await writeFile(journal, putLine(moved(0, 'train')));
    await appendFile(journal, encodeJournalLine(PROJECT_SCHEMA_VERSION, [{ move: 1 }], 'edits'));
    await expect(ProjectStore.open(dir)).rejects.toThrow(
      `${journal} is invalid: line 2: an edit is neither a put nor a remove`,
    );
    expect(() =>
      applyImageEdits([], PROJECT_SCHEMA_VERSION, [
        {
          file: journal,
          size: 0,
          validBytes: 0,
          lines: [{ version: PROJECT_SCHEMA_VERSION, entries: [{ put: { path: 'x' } }], line: 3 }],
        },
      ]),
    ).toThrow(`${journal} is invalid: line 3: a record without an image id`);
  });
});
