import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IMAGE_LINES_FILE,
  ImageTable,
  decodeImageLines,
  encodeImageLines,
  joinProject,
} from '../../src-main/core/image-table';
import { serialiseByLine } from '../../src-main/core/json-layout';
import { recordCode, recordHasText } from '../../src-main/core/library/library-index';
import { PROJECT_FILE, ProjectStore } from '../../src-main/core/project-store';
import type { NewProject } from '../../src-main/core/project-store';
import { PROJECT_SCHEMA_VERSION } from '../../src-main/shared/domain';
import type { ImageRecord, ProjectMeta } from '../../src-main/shared/domain';
import { faceWithCounter, imageId, imageRecord } from '../support/project-data';
import { projectCounts } from '../../src-main/app/training/one-click-config';
import { pretrainSourcesOf } from '../../src-main/app/training/pretrain-sources';
import { snapshotOf } from '../../src-main/app/training/project-snapshot';
import {
  labellingSchemas,
  labellingTemplate,
} from '../../src-main/core/labelling/labelling-schemas';
import { findMissingImages } from '../../src-main/core/library/missing-images';
import { splitCounts } from '../../src-main/core/library/split-counts';

const init: NewProject = { name: 'Lines', landmarkSchema: 'ibug68', attributeSchema: null };

/** Records of every shape the schema allows: source, subject, no face, no detection, flags, Unicode. */
function variedRecord(n: number): ImageRecord {
  const base = imageRecord(n);
  switch (n % 6) {
    case 0:
      return { ...base, source: `/Photos/Ünïcode Ω/IMG_${n}.JPG`, subject: `s${n % 4}` };
    case 1:
      return { ...base, face: null, flags: ['no-face'], split: 'train' };
    case 2: {
      const { face: _face, ...rest } = base;
      return { ...rest, path: `/abs/Folder ${n}/Face "${n}".png`, split: 'test' };
    }
    case 3:
      return { ...base, flags: ['tiny-face', 'near-duplicate'], path: `images/İstanbul-${n}.jpg` };
    case 4:
      return { ...base, path: `images/😀-${n}.webp`, source: `C:\\Users\\x\\😀 ${n}.webp` };
    default:
      return base;
  }
}

const meta: ProjectMeta = {
  schemaVersion: PROJECT_SCHEMA_VERSION,
  id: '00000000-0000-4000-8000-000000000000',
  name: 'Lines',
  createdAt: '2026-12-04T00:00:00.000Z',
  landmarkSchema: 'ibug68',
  attributeSchema: null,
};

/** project.json's bytes and sidecar for `records`, as the store writes them. */
function written(records: readonly ImageRecord[]) {
  const table = ImageTable.fromRecords(records);
  const encoded = table.encodeImages();
  const head = serialiseByLine({ meta });
  const tail = serialiseByLine({ runs: [], models: [] });
  const project = joinProject(head.subarray(0, head.length - 3), encoded, tail.subarray(2));
  const { sidecar } = encodeImageLines(PROJECT_SCHEMA_VERSION, project, encoded.columns!, 'id-1');
  return { project, sidecar };
}

function linesTable(records: readonly ImageRecord[]): ImageTable {
  const { project, sidecar } = written(records);
  const table = ImageTable.fromLines(project.bytes, decodeImageLines(sidecar)!);
  expect(table).not.toBeNull();
  return table!;
}

describe('ImageTable', () => {
  const records = Array.from({ length: 60 }, (_, n) => variedRecord(n));

  it('writes project.json byte for byte as the line layout does', () => {
    const { project } = written(records);
    expect(
      project.bytes.equals(serialiseByLine({ meta, images: records, runs: [], models: [] })),
    ).toBe(true);
    const empty = written([]).project.bytes;
    expect(empty.equals(serialiseByLine({ meta, images: [], runs: [], models: [] }))).toBe(true);
  });

  it('reads each record from its line exactly as JSON.parse of the whole file does', () => {
    const { project } = written(records);
    const parsed = (JSON.parse(project.bytes.toString('utf8')) as { images: ImageRecord[] }).images;
    const table = linesTable(records);
    expect(table.hasLines).toBe(true);
    expect(table.length).toBe(records.length);
    for (let position = 0; position < records.length; position += 1) {
      const record = table.at(position)!;
      expect(record).toEqual(parsed[position]);
      expect(Object.keys(record)).toEqual(Object.keys(parsed[position]!));
      expect(Object.isFrozen(record)).toBe(true);
      expect(table.idAt(position)).toBe(records[position]!.id);
      expect(table.codeAt(position)).toBe(recordCode(records[position]!));
      expect(table.positionOf(records[position]!.id)).toBe(position);
    }
    expect(table.positionOf(imageId(999))).toBeUndefined();
    expect(table.positionOf('not an id')).toBeUndefined();
    expect(table.all()).toEqual(parsed);
    expect([...table.ids()]).toEqual(records.map((record) => record.id));
  });

  it('finds text as the scan does, over lines and records put since', () => {
    const table = linesTable(records);
    table.put(variedRecord(100));
    table.put({ ...variedRecord(3), path: 'images/Replaced-ÜNÏCODE.jpg' });
    const all = table.all();
    for (const text of [
      'ünïcode',
      'img_1',
      '.jpg',
      'face "',
      '😀',
      'i̇stanbul',
      'batch-0/',
      'zzz',
      'ω/',
    ]) {
      const test = table.textMatcher(text);
      const expected = all.map((record) => recordHasText(record, text));
      expect(
        all.map((_, position) => test(position)),
        text,
      ).toEqual(expected);
      expect(expected.some(Boolean) || text === 'zzz', text).toBe(true);
    }
    // A needle the bytes cannot stand for is answered by the records.
    expect(table.textMatcher('a\0b')(0)).toBe(false);
  });

  it('finds the empty text in every record, over lines too', () => {
    const table = linesTable(records.slice(0, 5));
    const test = table.textMatcher('');
    expect([0, 1, 2, 3, 4].map(test)).toEqual([true, true, true, true, true]);
  });

  it('puts, replaces and removes by id, and a snapshot keeps what it saw', () => {
    const table = linesTable(records.slice(0, 10));
    const snapshot = table.snapshot();
    const replaced = { ...records[4]!, split: 'val' as const };
    expect(table.put(replaced)).toBe(4);
    expect(table.put(records[20]!)).toBe(10);
    expect(table.remove(new Set([records[0]!.id, imageId(999)]))).toBe(1);
    expect(table.length).toBe(10);
    expect(table.at(3)).toEqual(replaced);
    expect(table.positionOf(records[20]!.id)).toBe(9);
    expect(table.positionOf(records[0]!.id)).toBeUndefined();
    expect(snapshot.length).toBe(10);
    expect(snapshot.at(4)).toEqual(records[4]);
    expect(snapshot.positionOf(records[0]!.id)).toBe(0);
  });

  it('reads the lines of the file written from a snapshot after rebase, edits since kept', () => {
    const table = linesTable(records.slice(0, 10));
    table.put({ ...records[2]!, split: 'train' });
    const snapshot = table.snapshot();
    const later = { ...records[5]!, split: 'test' as const };
    table.put(later);
    table.remove(new Set([records[7]!.id]));
    const encoded = snapshot.encodeImages();
    const head = serialiseByLine({ meta });
    const tail = serialiseByLine({ runs: [], models: [] });
    const project = joinProject(head.subarray(0, head.length - 3), encoded, tail.subarray(2));
    const { base } = encodeImageLines(PROJECT_SCHEMA_VERSION, project, encoded.columns!, 'id-2');
    const before = table.all();
    table.rebase(snapshot, base);
    expect(table.all()).toEqual(before);
    expect(table.at(5)).toEqual(later);
    expect(table.at(2)!.split).toBe('train');
  });

  it('refuses a torn, corrupt or foreign sidecar, and lines that are not where it says', () => {
    const { project, sidecar } = written(records);
    expect(decodeImageLines(sidecar)).not.toBeNull();
    expect(decodeImageLines(sidecar.subarray(0, sidecar.length - 100))).toBeNull();
    const flipped = Buffer.from(sidecar);
    flipped[200] = flipped[200]! ^ 1;
    expect(decodeImageLines(flipped)).toBeNull();
    expect(decodeImageLines(Buffer.from('not a sidecar at all, just text'))).toBeNull();
    expect(decodeImageLines(undefined)).toBeNull();
    const lines = decodeImageLines(sidecar)!;
    // Another project.json of the same records but one path longer: its lines moved.
    const other = written([{ ...records[0]!, path: `${records[0]!.path}x` }, ...records.slice(1)]);
    expect(ImageTable.fromLines(other.project.bytes, lines)).toBeNull();
    // Same size, a line boundary elsewhere.
    const shifted = Buffer.from(project.bytes);
    const at = shifted.indexOf('},\n{"id"');
    shifted.write('}\n,', at, 'latin1');
    expect(ImageTable.fromLines(shifted, lines)).toBeNull();
  });
});

describe('project.records.bin in the store', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-lines-'));
    dir = path.join(root, 'project');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const records = Array.from({ length: 40 }, (_, n) => variedRecord(n));

  async function project(): Promise<void> {
    const store = await ProjectStore.create(dir, init);
    await store.putImages(records);
    await store.close();
  }

  /** What a store shows of its images: records, ids, lookups and library pages. */
  function view(store: ProjectStore) {
    return {
      records: store.listImages(),
      ids: [...store.imageIds()],
      lookups: records.map((record) => store.getImage(record.id)),
      pages: [
        {},
        { split: 'pool' as const },
        { text: 'ÜNÏ' },
        { hasFace: false },
        { flagged: true },
      ].map((filter) => store.library.query(filter, 0, 100)),
      stats: store.library.stats(null),
    };
  }

  it('is written with project.json, and a reopen reads the records from their lines', async () => {
    await project();
    const sidecar = await readFile(path.join(dir, IMAGE_LINES_FILE));
    expect(decodeImageLines(sidecar)).not.toBeNull();
    const store = await ProjectStore.open(dir);
    expect(store.recordsAsLines).toBe(true);
    const fast = view(store);
    await store.close();
    const readOnly = await ProjectStore.open(dir, { readOnly: true });
    expect(readOnly.recordsAsLines).toBe(false);
    expect(fast).toEqual(view(readOnly));
    expect(fast.records).toEqual(records);
    await readOnly.close();
    // The close compacted nothing and wrote no new sidecar: the same bytes vouch.
    expect((await readFile(path.join(dir, IMAGE_LINES_FILE))).equals(sidecar)).toBe(true);
  });

  for (const [name, spoil] of [
    ['missing', (file: string) => rm(file)],
    ['torn', async (file: string) => writeFile(file, (await readFile(file)).subarray(0, 100))],
    [
      'corrupt',
      async (file: string) => {
        const bytes = await readFile(file);
        bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
        await writeFile(file, bytes);
      },
    ],
  ] as const) {
    it(`falls back to parsing project.json when the sidecar is ${name}, and writes it again`, async () => {
      await project();
      const file = path.join(dir, IMAGE_LINES_FILE);
      await spoil(file);
      const store = await ProjectStore.open(dir);
      expect(store.recordsAsLines).toBe(false);
      expect(store.listImages()).toEqual(records);
      await store.flush();
      // Written in the background for the bytes read: the records are lines from then on.
      expect(store.recordsAsLines).toBe(true);
      expect(view(store).records).toEqual(records);
      await store.close();
      const again = await ProjectStore.open(dir);
      expect(again.recordsAsLines).toBe(true);
      expect(again.listImages()).toEqual(records);
      await again.close();
    });
  }

  it('is stale once project.json is written by another hand, and the records are those of the file', async () => {
    await project();
    const file = path.join(dir, PROJECT_FILE);
    const text = await readFile(file, 'utf8');
    // Same length, one record's split changed: the sidecar's offsets and codes still fit.
    const edited = text.replace('"split":"test"', '"split":"val" ');
    expect(edited.length).toBe(text.length);
    await writeFile(file, edited);
    const tests = records.filter((record) => record.split === 'test').length;
    const store = await ProjectStore.open(dir);
    expect(store.recordsAsLines).toBe(false);
    expect(store.getImage(records[2]!.id)!.split).toBe('val');
    expect(store.library.stats(null).splits.test).toBe(tests - 1);
    await store.close();
    const again = await ProjectStore.open(dir);
    expect(again.recordsAsLines).toBe(true);
    expect(again.getImage(records[2]!.id)!.split).toBe('val');
    expect(again.library.stats(null).splits.test).toBe(tests - 1);
    await again.close();
  });

  it("is not trusted when it describes other lines under project.json's identity", async () => {
    await project();
    const lines = decodeImageLines(await readFile(path.join(dir, IMAGE_LINES_FILE)))!;
    // A sidecar vouching for this project.json (its identity and size) with every line moved.
    const moved = { ...lines, starts: lines.starts.map((start) => start + 1) };
    const bytes = await readFile(path.join(dir, PROJECT_FILE));
    const { sidecar } = encodeImageLines(
      PROJECT_SCHEMA_VERSION,
      { bytes, starts: moved.starts, imagesStart: lines.imagesStart, imagesEnd: lines.imagesEnd },
      { codes: lines.codes, hashes: lines.hashes, text: lines.text, textStarts: lines.textStarts },
      lines.projectIdentity,
    );
    await writeFile(path.join(dir, IMAGE_LINES_FILE), sidecar);
    const store = await ProjectStore.open(dir);
    expect(store.recordsAsLines).toBe(false);
    expect(store.listImages()).toEqual(records);
    await store.close();
  });

  it('keeps every edit across compactions while records are read from lines', async () => {
    await project();
    const store = await ProjectStore.open(dir, { compactAfterImageEdits: 3 });
    expect(store.recordsAsLines).toBe(true);
    const expected = new Map(records.map((record) => [record.id, record]));
    for (let n = 0; n < 12; n += 1) {
      const changed = { ...records[n]!, split: 'train' as const };
      await store.putImages([changed, variedRecord(100 + n)]);
      expected.set(changed.id, changed);
      expected.set(imageId(100 + n), variedRecord(100 + n));
      if (n % 4 === 3) {
        await store.removeImages([records[n + 20]!.id]);
        expected.delete(records[n + 20]!.id);
      }
    }
    await store.flush();
    expect(store.recordsAsLines).toBe(true);
    expect(store.listImages()).toEqual([...expected.values()]);
    const page = store.library.query({ split: 'train' }, 0, 100);
    expect(page.total).toBe([...expected.values()].filter((r) => r.split === 'train').length);
    await store.close();
    const again = await ProjectStore.open(dir);
    expect(again.recordsAsLines).toBe(true);
    expect(again.listImages()).toEqual([...expected.values()]);
    await again.close();
  });

  it('gives every caller of the whole index the same answer from lines as from parsed records', async () => {
    const store = await ProjectStore.create(dir, init);
    await store.putImages(records);
    // Faces on a few images of each split, for the template, counts and snapshot.
    for (const n of [0, 1, 2, 5, 7, 11, 13, 17, 19, 23, 29]) {
      await store.saveFace(faceWithCounter(records[n]!.id, n, 68));
    }
    await store.close();
    const answers = async (fast: boolean) => {
      const opened = await ProjectStore.open(dir, { readOnly: !fast });
      expect(opened.recordsAsLines).toBe(fast);
      const missing = await findMissingImages(opened, { concurrency: 1 });
      const answer = {
        splits: splitCounts(opened),
        missing: { ...missing, missing: [...missing.missing] },
        schemas: labellingSchemas(opened),
        template: await labellingTemplate(opened),
        counts: projectCounts(opened),
        sources: pretrainSourcesOf(opened),
        snapshot: { ...snapshotOf(opened), faces: [...snapshotOf(opened).faces] },
      };
      await opened.close();
      return answer;
    };
    const fromLines = await answers(true);
    expect(fromLines.snapshot.images).toEqual(records);
    expect(fromLines.missing.total).toBe(records.length);
    expect(fromLines.template.templateSource).toBe('labelled');
    expect(fromLines).toEqual(await answers(false));
  });
});
