import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IMAGE_LINES_FILE,
  ImageTable,
  columnsOf,
  decodeImageLines,
  encodeImageLines,
  joinProject,
  linesOfProject,
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

/**
 * `sidecar` with its JSON header changed by `edit` and its CRC made right again: the header is
 * padded with spaces to its old length, so every section stays where it was.
 */
function forged(sidecar: Buffer, edit: (header: Record<string, unknown>) => object): Buffer {
  const length = sidecar.readUInt32LE(8);
  const header = JSON.parse(sidecar.toString('utf8', 12, 12 + length)) as Record<string, unknown>;
  const text = JSON.stringify(edit(header));
  expect(text.length).toBeLessThanOrEqual(length);
  const out = Buffer.from(sidecar);
  out.write(text.padEnd(length, ' '), 12, 'latin1');
  out.writeUInt32LE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
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

describe('the records of project.json as bytes', () => {
  const records = Array.from({ length: 12 }, (_, n) => variedRecord(n));

  it('encodes whether every record is exact, and no columns when a text cannot be bytes', () => {
    expect(ImageTable.fromRecords(records).encodeImages()).toMatchObject({ exact: true });
    // A key zod would strip: not exact, so the lines are not vouched for as they are.
    const loose = { ...records[1]!, extra: 1 } as ImageRecord;
    const mixed = ImageTable.fromRecords([records[0]!, loose, records[2]!]).encodeImages();
    expect(mixed.exact).toBe(false);
    expect(mixed.columns).not.toBeNull();
    // A NUL (the texts' separator) or a lone surrogate: no columns, so no sidecar.
    for (const odd of [
      { ...records[0]!, path: 'images/a\0b.jpg' },
      { ...records[0]!, source: 'C:/\ud800.jpg' },
    ]) {
      const encoded = ImageTable.fromRecords([odd, records[1]!]).encodeImages();
      expect(encoded.columns, odd.path).toBeNull();
      expect(encoded.exact).toBe(true);
      expect(columnsOf([records[1]!, odd])).toBeNull();
    }
  });

  it("finds each record's line in project.json as it was written, for none too", () => {
    for (const some of [records, records.slice(0, 1), []]) {
      const { project } = written(some);
      expect(project.bytes[project.imagesStart]).toBe(0x5b); // '['
      expect(linesOfProject(project.bytes, some)).toEqual(project);
    }
    // No images: the starts past the `[]`, as if `,\n` followed a line.
    const empty = written([]).project;
    expect(empty.bytes.toString('latin1', empty.imagesStart, empty.imagesStart + 4)).toBe('[],\n');
    expect([...empty.starts]).toEqual([empty.imagesStart + 4]);
    expect(empty.imagesEnd).toBe(empty.imagesStart + 2);
  });

  it('finds no lines where the file does not have them as the records say', () => {
    const { project } = written(records.slice(0, 3));
    const empty = written([]).project.bytes;
    expect(linesOfProject(project.bytes, [])).toBeNull();
    expect(linesOfProject(empty, records.slice(0, 1))).toBeNull();
    expect(linesOfProject(project.bytes, records.slice(0, 2))).toBeNull();
    expect(linesOfProject(project.bytes, [records[1]!, records[0]!, records[2]!])).toBeNull();
    // The first record on the `[`'s line.
    const joined = Buffer.from(project.bytes);
    joined[project.imagesStart + 1] = 0x20;
    expect(linesOfProject(joined, records.slice(0, 3))).toBeNull();
    // "images" not at a line's start (no marker), though a `]` sits where one would be.
    expect(linesOfProject(Buffer.from('{"image":[]}'), [])).toBeNull();
    // The marker at the very start of the bytes is found.
    const bare = Buffer.from('\n"images":[],\n');
    expect(linesOfProject(bare, [])).toEqual({
      bytes: bare,
      starts: Float64Array.from([14]),
      imagesStart: 10,
      imagesEnd: 12,
    });
  });
});

describe('project.records.bin', () => {
  const records = Array.from({ length: 12 }, (_, n) => variedRecord(n));
  const identity = 'dev:ino:size:mtime of the project file';

  function sidecarOf(some: readonly ImageRecord[]) {
    const encoded = ImageTable.fromRecords(some).encodeImages();
    const head = serialiseByLine({ meta });
    const tail = serialiseByLine({ runs: [], models: [] });
    const project = joinProject(head.subarray(0, head.length - 3), encoded, tail.subarray(2));
    const columns = encoded.columns!;
    const { sidecar } = encodeImageLines(PROJECT_SCHEMA_VERSION, project, columns, identity);
    return { project, columns, sidecar };
  }

  it('lays out magic, header, 8-aligned sections and a CRC-32', () => {
    const { project, columns, sidecar } = sidecarOf(records);
    const n = records.length;
    expect(sidecar.toString('latin1', 0, 8)).toBe('FSRECS\n\0');
    const headerLength = sidecar.readUInt32LE(8);
    expect(JSON.parse(sidecar.toString('utf8', 12, 12 + headerLength))).toEqual({
      format: 2,
      schemaVersion: PROJECT_SCHEMA_VERSION,
      projectBytes: project.bytes.length,
      projectIdentity: identity,
      count: n,
      imagesStart: project.imagesStart,
      imagesEnd: project.imagesEnd,
      textBytes: columns.text.length,
    });
    const align = (size: number) => Math.ceil(size / 8) * 8;
    let at = align(12 + headerLength);
    const section = (size: number) => {
      const bytes = sidecar.subarray(at, at + size);
      // The padding up to the next multiple of 8 is zeros.
      expect([...sidecar.subarray(at + size, align(at + size))].every((b) => b === 0)).toBe(true);
      at = align(at + size);
      return bytes;
    };
    expect(section(8 * (n + 1)).equals(Buffer.from(project.starts.buffer))).toBe(true);
    expect(section(4 * (n + 1)).equals(Buffer.from(columns.textStarts.buffer))).toBe(true);
    expect(section(4 * n).equals(Buffer.from(columns.hashes.buffer))).toBe(true);
    expect([...section(n)]).toEqual(records.map(recordCode));
    expect(section(columns.text.length).equals(columns.text)).toBe(true);
    expect(sidecar.length).toBe(at + 4);
    expect(sidecar.readUInt32LE(at)).toBe(crc32(sidecar.subarray(0, at)));
  });

  it('reads back what it wrote, for no images too', () => {
    for (const some of [records, []]) {
      const { project, columns, sidecar } = sidecarOf(some);
      expect(decodeImageLines(sidecar)).toEqual({
        schemaVersion: PROJECT_SCHEMA_VERSION,
        projectBytes: project.bytes.length,
        projectIdentity: identity,
        imagesStart: project.imagesStart,
        imagesEnd: project.imagesEnd,
        starts: project.starts,
        codes: columns.codes,
        hashes: columns.hashes,
        textStarts: columns.textStarts,
        text: columns.text,
      });
    }
  });

  it('refuses a header of another format or with a field that is not a count', () => {
    const { sidecar } = sidecarOf(records);
    // The forging itself keeps a sidecar readable.
    expect(decodeImageLines(forged(sidecar, (header) => header))).not.toBeNull();
    const short = (header: Record<string, unknown>) => ({ ...header, projectIdentity: '' });
    expect(decodeImageLines(forged(sidecar, (h) => ({ ...short(h), format: 1 })))).toBeNull();
    expect(decodeImageLines(forged(sidecar, (h) => ({ ...short(h), format: '2' })))).toBeNull();
    expect(
      decodeImageLines(forged(sidecar, (h) => ({ ...short(h), projectIdentity: 7 }))),
    ).toBeNull();
    for (const field of [
      'schemaVersion',
      'projectBytes',
      'count',
      'imagesStart',
      'imagesEnd',
      'textBytes',
    ]) {
      for (const value of [-1, 1.5, '3', null]) {
        const bad = forged(sidecar, (h) => ({ ...short(h), [field]: value }));
        expect(decodeImageLines(bad), `${field}: ${String(value)}`).toBeNull();
      }
    }
  });

  it('refuses sections the file does not hold, or text of another length', () => {
    const none = sidecarOf([]).sidecar;
    // Five records' sections claimed, none there (no text either, so the text's end agrees).
    expect(decodeImageLines(forged(none, (h) => ({ ...h, count: 5 })))).toBeNull();
    const { sidecar, columns } = sidecarOf(records);
    // The text cut short (16 bytes of the body gone: more than its padding) under a right CRC.
    const body = sidecar.subarray(0, sidecar.length - 4 - 16);
    const cut = Buffer.concat([body, Buffer.alloc(4)]);
    cut.writeUInt32LE(crc32(body), body.length);
    expect(decodeImageLines(cut)).toBeNull();
    const textBytes = columns.text.length;
    expect(
      decodeImageLines(forged(sidecar, (h) => ({ ...h, textBytes: textBytes - 1 }))),
    ).toBeNull();
    expect(
      decodeImageLines(forged(sidecar, (h) => ({ ...h, textBytes: textBytes + 9 }))),
    ).toBeNull();
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

describe('ImageTable.fromLines, the edges', () => {
  it('reads an index of no images from its lines', () => {
    expect(linesTable([]).all()).toEqual([]);
  });

  it('checks the last line of a large index though the sample steps over it', () => {
    // 8,194 lines: every second one is sampled, up to line 8,192.
    const many = Array.from({ length: 8194 }, (_, n) => imageRecord(n + 1));
    const { project, sidecar } = written(many);
    const lines = decodeImageLines(sidecar)!;
    expect(ImageTable.fromLines(project.bytes, lines)).not.toBeNull();
    const torn = Buffer.from(project.bytes);
    const close = torn.indexOf('}\n]', lines.starts[8193]!);
    torn[close + 2] = 0x20; // the `]` after the last line
    expect(ImageTable.fromLines(torn, lines)).toBeNull();
  });

  it('names the line of a record that is no image record when it is read', () => {
    const { project, sidecar } = written([imageRecord(1), imageRecord(2)]);
    const bytes = Buffer.from(project.bytes);
    const at = bytes.indexOf('"split":"pool"', decodeImageLines(sidecar)!.starts[1]!);
    bytes.write('"split":"poox"', at, 'latin1');
    const table = ImageTable.fromLines(bytes, decodeImageLines(sidecar)!)!;
    expect(table.at(0)).toEqual(imageRecord(1));
    const error = (() => {
      try {
        table.at(1);
      } catch (e) {
        return e as Error;
      }
      throw new Error('no error');
    })();
    expect(error.message).toBe(
      'project.json is invalid: images.1: split: Invalid option: expected one of "pool"|"train"|"val"|"test"',
    );
  });

  it('refuses a sidecar with another magic, its CRC made right', () => {
    const { sidecar } = written([imageRecord(1)]);
    const other = Buffer.from(sidecar);
    other[0] = other[0]! ^ 1;
    other.writeUInt32LE(crc32(other.subarray(0, other.length - 4)), other.length - 4);
    expect(decodeImageLines(other)).toBeNull();
  });
});
