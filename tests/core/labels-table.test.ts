import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { crc32 } from 'node:zlib';
import { crcInSlices, FaceTable, LABELS_SUMMARY_FILE } from '../../src-main/core/labels-table';
import { identityOf } from '../../src-main/core/stable-read';
import type { StaleSummaryFallback } from '../../src-main/core/labels-table';
import { LABELS_FILE, ProjectStore } from '../../src-main/core/project-store';
import type { NewProject } from '../../src-main/core/project-store';
import { PROJECT_SCHEMA_VERSION } from '../../src-main/shared/domain';
import type { FaceAnnotation } from '../../src-main/shared/domain';
import { faceWithCounter, imageId, imageRecord } from '../support/project-data';

const init: NewProject = { name: 'Summary', landmarkSchema: 'ibug68', attributeSchema: null };
const FILE = '/project/labels.json';

/** A face a model placed: every point unconfirmed, so it is to review. */
function toReview(id: string, counter: number): FaceAnnotation {
  const face = faceWithCounter(id, counter);
  return { ...face, points: face.points.map((point) => ({ ...point, confirmed: false })) };
}

/** A summary as JSON, for tests that edit one field. */
type Summary0 = Record<string, unknown> & { faces: unknown[][] };
const row = (s: Summary0): unknown[] => s.faces[0]!;
const at = (r: unknown[], index: number, value: unknown): unknown[] =>
  r.map((item, i) => (i === index ? value : item));

function encoded(faces: FaceAnnotation[]): { labels: Buffer; summary: Buffer } {
  const overlay = new Map(faces.map((face) => [face.imageId, face]));
  return FaceTable.fromFaces(FILE, {}).encode(PROJECT_SCHEMA_VERSION, overlay);
}

describe('FaceTable', () => {
  const faces = [
    faceWithCounter(imageId(0), 1),
    toReview(imageId(1), 2),
    { ...faceWithCounter(imageId(2), 3), expression: 'happy' },
  ];

  it('reads faces back from their lines when the summary vouches for the bytes', () => {
    const { labels, summary } = encoded(faces);
    // The bytes are labels.json as the line layout writes it: valid JSON of the faces.
    expect(JSON.parse(labels.toString('utf8'))).toEqual({
      schemaVersion: PROJECT_SCHEMA_VERSION,
      faces: Object.fromEntries(faces.map((face) => [face.imageId, face])),
    });
    const table = FaceTable.fromSummary(FILE, labels, summary.toString('utf8'), 2);
    expect(table).not.toBeNull();
    expect([...table!.ids()]).toEqual(faces.map((face) => face.imageId));
    for (const face of faces) expect(table!.get(face.imageId)).toEqual(face);
    expect(table!.get(imageId(9))).toBeUndefined();
    expect(table!.summary(imageId(0))?.state).toBe('labelled');
    expect(table!.summary(imageId(1))?.state).toBe('needs-review');
    expect(table!.summary(imageId(2))?.expression).toBe('happy');
    expect(table!.summary(imageId(0))?.attributes).toEqual({ smiling: false });
  });

  it('hands out a fresh face on every read', () => {
    const { labels, summary } = encoded(faces);
    const table = FaceTable.fromSummary(FILE, labels, summary.toString('utf8'), 2)!;
    const face = table.get(imageId(0))!;
    face.note = 'changed';
    expect(table.get(imageId(0))!.note).toBe('1');
  });

  it('refuses a summary that does not describe the bytes', () => {
    const { labels, summary } = encoded(faces);
    const text = summary.toString('utf8');
    // One byte of a note changed: same length, another CRC.
    const edited = Buffer.from(labels.toString('utf8').replace('"note":"2"', '"note":"7"'));
    expect(edited.length).toBe(labels.length);
    expect(FaceTable.fromSummary(FILE, edited, text, 2)).toBeNull();
    expect(FaceTable.fromSummary(FILE, labels, undefined, 2)).toBeNull();
    expect(FaceTable.fromSummary(FILE, labels, 'not json', 2)).toBeNull();
    expect(FaceTable.fromSummary(FILE, labels, text, 1)).toBeNull();
    // The same faces pretty-printed: another layout, never read line by line.
    const pretty = Buffer.from(JSON.stringify(JSON.parse(labels.toString('utf8')), null, 2));
    const { summary: prettySummary } = encoded(faces);
    expect(FaceTable.fromSummary(FILE, pretty, prettySummary.toString('utf8'), 2)).toBeNull();
  });

  it('names labels.json and the image when a face read from its line is invalid', () => {
    const bad = { ...faces[0]!, revision: -1 };
    const { labels } = encoded([bad, faces[1]!]);
    // A summary that vouches for these bytes (as if a bad face had been written).
    const vouching = FaceTable.fromFaces(FILE, {
      [bad.imageId]: bad,
      [faces[1]!.imageId]: faces[1]!,
    }).summaryOf(2, labels);
    const table = FaceTable.fromSummary(FILE, labels, vouching.toString('utf8'), 2)!;
    expect(table).not.toBeNull();
    expect(() => table.get(bad.imageId)).toThrow(
      new RegExp(`${FILE} is invalid: faces\\.${bad.imageId}: revision`),
    );
    expect(table.get(faces[1]!.imageId)).toEqual(faces[1]);
  });

  it('writes an empty table as labels.json with no faces', () => {
    const { labels, summary } = encoded([]);
    expect(labels.toString('utf8')).toBe(`{\n"schemaVersion":2,\n"faces":{}\n}\n`);
    expect(FaceTable.fromSummary(FILE, labels, summary.toString('utf8'), 2)?.size).toBe(0);
  });
});

describe('FaceTable: what a summary must match', () => {
  const faces = [faceWithCounter(imageId(0), 1), toReview(imageId(1), 2)];

  it('refuses labels.json of another length even when its CRC is the same', () => {
    // crc32(P ‖ le32(crc32(P))) is one constant for every P: two such prefixes of different
    // lengths, followed by the same bytes, give two files with one CRC.
    const labels = encoded(faces).labels;
    const text = labels.toString('latin1');
    const cut = text.indexOf('"note":"2') + '"note":"2'.length;
    const forged = (extra: string): Buffer => {
      const prefix = Buffer.from(text.slice(0, cut) + extra, 'latin1');
      const sum = Buffer.alloc(4);
      sum.writeUInt32LE(crc32(prefix));
      return Buffer.concat([prefix, sum, Buffer.from(text.slice(cut), 'latin1')]);
    };
    const [short, long] = [forged(''), forged('x')];
    expect(short.includes(0x0a, labels.indexOf('"note":"2'))).toBe(true);
    expect(long.length).toBe(short.length + 1);
    expect(crc32(long)).toBe(crc32(short));
    const twoFaces = FaceTable.fromFaces(
      FILE,
      Object.fromEntries(faces.map((f) => [f.imageId, f])),
    );
    const summary = twoFaces.summaryOf(2, short).toString('utf8');
    // The summary vouches for `short`, laid out as labels.json: only the length tells `long`.
    expect(FaceTable.fromSummary(FILE, short, summary, 2)?.size).toBe(2);
    expect(FaceTable.fromSummary(FILE, long, summary, 2)).toBeNull();
  });

  it('refuses a summary that lists the faces in another order than the file', () => {
    const { labels, summary } = encoded(faces);
    const rows = summary.toString('utf8').split('\n');
    const first = rows.findIndex((row) => row.startsWith(`["${imageId(0)}"`));
    expect(rows[first + 1]!.startsWith(`["${imageId(1)}"`)).toBe(true);
    // Swap the two rows (keeping the comma where it was): same bytes, same CRC, keys swapped.
    const [a, b] = [rows[first]!.replace(/,$/, ''), rows[first + 1]!];
    rows[first] = `${b},`;
    rows[first + 1] = a;
    expect(FaceTable.fromSummary(FILE, labels, rows.join('\n'), 2)).toBeNull();
  });

  it('refuses a file and summary that hold one image twice', () => {
    const face = faces[0]!;
    const line = `${JSON.stringify(face.imageId)}:${JSON.stringify(face)}`;
    const labels = Buffer.from(`{\n"schemaVersion":2,\n"faces":{\n${line},\n${line}\n}\n}\n`);
    const once = FaceTable.fromFaces(FILE, { [face.imageId]: face }).summaryOf(2, labels);
    const rows = once.toString('utf8').split('\n');
    const row = rows.findIndex((r) => r.startsWith(`["${face.imageId}"`));
    rows.splice(row, 1, `${rows[row]!},`, rows[row]!);
    const twice = rows.join('\n');
    expect(FaceTable.readSummary(twice)?.faces).toHaveLength(2);
    expect(FaceTable.fromSummary(FILE, labels, twice, 2)).toBeNull();
  });

  it.each([
    ['another format', (s: Summary0) => ({ ...s, format: 2 })],
    ['an identity that is not text', (s: Summary0) => ({ ...s, labelsIdentity: 7 })],
    ['a schema version that is not a number', (s: Summary0) => ({ ...s, schemaVersion: '2' })],
    ['a byte count that is not a number', (s: Summary0) => ({ ...s, labelsBytes: '1' })],
    ['a CRC that is not a number', (s: Summary0) => ({ ...s, labelsCrc: null })],
    ['faces that are not a list', (s: Summary0) => ({ ...s, faces: {} })],
    ['a row that is not a list', (s: Summary0) => ({ ...s, faces: [{}] })],
    ['a row of three', (s: Summary0) => ({ ...s, faces: [row(s).slice(0, 3)] })],
    ['a row of five', (s: Summary0) => ({ ...s, faces: [[...row(s), 1]] })],
    ['an id that is not one', (s: Summary0) => ({ ...s, faces: [at(row(s), 0, 'abc')] })],
    ['an id as a number', (s: Summary0) => ({ ...s, faces: [at(row(s), 0, 1)] })],
    [
      'an upper-case id',
      (s: Summary0) => ({ ...s, faces: [at(row(s), 0, imageId(0).toUpperCase())] }),
    ],
    ['an unknown state', (s: Summary0) => ({ ...s, faces: [at(row(s), 1, 'done')] })],
    ['an expression as a number', (s: Summary0) => ({ ...s, faces: [at(row(s), 2, 1)] })],
    ['attributes as null', (s: Summary0) => ({ ...s, faces: [at(row(s), 3, null)] })],
    ['attributes as a list', (s: Summary0) => ({ ...s, faces: [at(row(s), 3, [])] })],
    ['attributes as text', (s: Summary0) => ({ ...s, faces: [at(row(s), 3, 'x')] })],
    [
      'an attribute that is not a flag',
      (s: Summary0) => ({ ...s, faces: [at(row(s), 3, { a: 1 })] }),
    ],
    ['a summary that is not an object', () => 'x'],
    ['a summary that is null', () => null],
  ])('does not read a summary with %s', (_what, edit) => {
    const { labels, summary } = encoded([faces[0]!]);
    const parsed = JSON.parse(summary.toString('utf8')) as Summary0;
    expect(FaceTable.fromSummary(FILE, labels, JSON.stringify(parsed), 2)?.size).toBe(1);
    const text = JSON.stringify(edit(parsed));
    expect(FaceTable.readSummary(text)).toBeNull();
    expect(FaceTable.fromSummary(FILE, labels, text, 2)).toBeNull();
  });

  it('reads a summary with every state, a null expression and no identity', () => {
    const all = [
      { ...faceWithCounter(imageId(0), 1), expression: 'sad' },
      toReview(imageId(1), 3),
      { ...faceWithCounter(imageId(2), 5), points: [], attributes: {} },
    ];
    const { labels, summary } = encoded(all);
    const read = FaceTable.readSummary(summary.toString('utf8'))!;
    expect(read).toEqual({
      schemaVersion: 2,
      labelsBytes: labels.length,
      labelsCrc: crc32(labels),
      labelsIdentity: undefined,
      faces: [
        {
          imageId: imageId(0),
          state: 'labelled',
          expression: 'sad',
          attributes: { smiling: false },
        },
        {
          imageId: imageId(1),
          state: 'needs-review',
          expression: null,
          attributes: { smiling: false },
        },
        {
          imageId: imageId(2),
          state: 'unlabelled',
          expression: null,
          attributes: {},
        },
      ],
    });
    expect(FaceTable.readSummary(undefined)).toBeNull();
    const table = FaceTable.fromSummary(FILE, labels, summary.toString('utf8'), 2)!;
    expect(table.summaryIdentity).toBeUndefined();
    expect(table.isDeferred).toBe(false);
  });

  it('records the identity a summary was written with', () => {
    const { labels, summaryFor } = FaceTable.fromFaces(FILE, {}).encode(
      2,
      new Map([[faces[0]!.imageId, faces[0]!]]),
    );
    const text = summaryFor('1:2:3:4').toString('utf8');
    expect(FaceTable.readSummary(text)?.labelsIdentity).toBe('1:2:3:4');
    expect(FaceTable.fromSummary(FILE, labels, text, 2)?.summaryIdentity).toBe('1:2:3:4');
  });

  it.each([
    ['no opening brace line', (t: string) => t.replace('{\n', '[\n')],
    [
      'a schema version line that is not one',
      (t: string) => t.replace('"schemaVersion":2,', '"schemaVersion":"2",'),
    ],
    ['the faces line spaced', (t: string) => t.replace('"faces":{', '"faces": {')],
    ['a key without its quote', (t: string) => t.replace(`"${imageId(1)}":`, `'${imageId(1)}':`)],
    [
      'a key with a space before its colon',
      (t: string) => t.replace(`"${imageId(1)}":{`, `"${imageId(1)}" :`),
    ],
    ['a face line that does not close', (t: string) => t.replace(/},\n/, ',\n')],
    ['bytes after the last brace', (t: string) => `${t}\n`],
    ['no last newline', (t: string) => t.slice(0, -1)],
    ['no closing brace of the faces', (t: string) => t.replace('\n}\n}\n', '\n}\n')],
  ])('reads labels.json whole when it is laid out with %s', (_what, edit) => {
    const { labels } = encoded(faces);
    const text = edit(labels.toString('utf8'));
    expect(text).not.toBe(labels.toString('utf8'));
    const bytes = Buffer.from(text);
    const summary = FaceTable.fromFaces(FILE, Object.fromEntries(faces.map((f) => [f.imageId, f])))
      .summaryOf(2, bytes)
      .toString('utf8');
    expect(FaceTable.fromSummary(FILE, bytes, summary, 2)).toBeNull();
  });

  it('refuses a summary of no faces over a file with faces, and the reverse', () => {
    const empty = encoded([]);
    const one = encoded([faces[0]!]);
    const none = FaceTable.fromFaces(FILE, {});
    expect(
      FaceTable.fromSummary(FILE, one.labels, none.summaryOf(2, one.labels).toString(), 2),
    ).toBeNull();
    const withOne = FaceTable.fromFaces(FILE, { [faces[0]!.imageId]: faces[0]! });
    expect(
      FaceTable.fromSummary(FILE, empty.labels, withOne.summaryOf(2, empty.labels).toString(), 2),
    ).toBeNull();
    // `"faces":{}` must be the file's last lines.
    const trailing = Buffer.concat([empty.labels, Buffer.from('\n')]);
    expect(
      FaceTable.fromSummary(FILE, trailing, none.summaryOf(2, trailing).toString(), 2),
    ).toBeNull();
  });
});

describe('FaceTable: reading a face', () => {
  const face = faceWithCounter(imageId(0), 1);

  /** labels.json with `value` as the text of image 0's face, and a summary vouching for it. */
  function vouched(value: string): FaceTable {
    const labels = Buffer.from(
      `{\n"schemaVersion":2,\n"faces":{\n${JSON.stringify(imageId(0))}:${value}\n}\n}\n`,
    );
    const summary = FaceTable.fromFaces(FILE, { [face.imageId]: face }).summaryOf(2, labels);
    return FaceTable.fromSummary(FILE, labels, summary.toString('utf8'), 2)!;
  }

  it('names labels.json and the image when a face is not JSON', () => {
    const table = vouched('{"imageId":1,}');
    expect(() => table.get(imageId(0))).toThrow(
      `${FILE} is corrupt: the face of image ${imageId(0)} is not valid JSON`,
    );
    // The parser's own error rides along as the cause.
    expect(() => table.get(imageId(0))).toThrow(
      expect.objectContaining({ code: 'io', cause: expect.any(SyntaxError) as unknown }),
    );
  });

  it('names the image a face stored under another id names', () => {
    const table = vouched(JSON.stringify({ ...face, imageId: imageId(5) }));
    expect(() => table.get(imageId(0))).toThrow(
      `${FILE} is invalid: the face stored under ${imageId(0)} names image ${imageId(5)}`,
    );
  });

  it('reads a face zod must clean (an unknown key) as zod returns it', () => {
    const table = vouched(JSON.stringify({ ...face, extra: true }));
    expect(table.get(imageId(0))).toStrictEqual(face);
  });

  it('overwrites a face in place and puts a new one last, each once', () => {
    const first = faceWithCounter(imageId(0), 1);
    const second = faceWithCounter(imageId(1), 2);
    const table = FaceTable.fromFaces(FILE, { [first.imageId]: first, [second.imageId]: second });
    const changed = { ...first, note: 'changed' };
    const added = faceWithCounter(imageId(2), 3);
    const { labels, summary } = table.encode(
      2,
      new Map([
        [added.imageId, added],
        [changed.imageId, changed],
      ]),
    );
    const text = labels.toString('utf8');
    for (const id of [imageId(0), imageId(1), imageId(2)]) {
      expect(text.split(`"${id}":`)).toHaveLength(2);
    }
    expect(Object.keys(JSON.parse(text).faces)).toEqual([imageId(0), imageId(1), imageId(2)]);
    expect(JSON.parse(text).faces[imageId(0)].note).toBe('changed');
    expect(FaceTable.readSummary(summary.toString('utf8'))?.faces.map((f) => f.imageId)).toEqual([
      imageId(0),
      imageId(1),
      imageId(2),
    ]);
  });
});

describe('FaceTable.deferred', () => {
  let root: string;
  let file: string;
  const face = faceWithCounter(imageId(0), 1);
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-deferred-'));
    file = path.join(root, 'labels.json');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** labels.json written with `faces`, and a deferred table over its summary. */
  async function deferredOver(
    faces: FaceAnnotation[],
    fallback: StaleSummaryFallback,
  ): Promise<FaceTable> {
    const { labels, summaryFor } = FaceTable.fromFaces(file, {}).encode(
      2,
      new Map(faces.map((f) => [f.imageId, f])),
    );
    await writeFile(file, labels);
    const summary = FaceTable.readSummary(summaryFor('id').toString('utf8'))!;
    return FaceTable.deferred(file, summary, fallback);
  }

  const never: StaleSummaryFallback = {
    parse: () => {
      throw new Error('parsed');
    },
    replaced: () => {
      throw new Error('replaced');
    },
  };

  it('answers from the summary, then reads the bytes on the first face read', async () => {
    const table = await deferredOver([face], never);
    expect(table.isDeferred).toBe(true);
    expect(table.summaryIdentity).toBe('id');
    expect(table.size).toBe(1);
    expect(table.summary(imageId(0))?.state).toBe('labelled');
    expect(table.get(imageId(3))).toBeUndefined();
    expect(table.isDeferred).toBe(true);
    expect(table.get(imageId(0))).toEqual(face);
    expect(table.isDeferred).toBe(false);
  });

  it('closes labels.json after reading it at once', async () => {
    const table = await deferredOver([face], never);
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    expect(table.get(imageId(0))).toEqual(face);
    expect(open()).toBe(before);
  });

  it('lets a face read overtake the background read, which then leaves the table be', async () => {
    const table = await deferredOver([face], never);
    const background = table.preload();
    expect(table.get(imageId(0))).toEqual(face);
    await expect(background).resolves.toBeUndefined();
    expect(table.get(imageId(0))).toEqual(face);
  });

  it('keeps the failure of the background read and throws it on each later read', async () => {
    const table = await deferredOver([face], never);
    const { labels } = encoded([face]);
    await unlink(file);
    await table.preload();
    // The file back: the failure stands, as the store was told.
    await writeFile(file, labels);
    const message = `Cannot read ${file}: ENOENT`;
    expect(() => table.get(imageId(0))).toThrow(message);
    expect(() => table.get(imageId(0))).toThrow(message);
    expect(table.isDeferred).toBe(true);
  });

  it('keeps the failure of a face read and throws it again', async () => {
    const table = await deferredOver([face], never);
    const { labels } = encoded([face]);
    await unlink(file);
    expect(() => table.get(imageId(0))).toThrow(`Cannot read ${file}: ENOENT`);
    await writeFile(file, labels);
    expect(() => table.get(imageId(0))).toThrow(`Cannot read ${file}: ENOENT`);
    // The background read has nothing more to do.
    await table.preload();
    expect(() => table.get(imageId(0))).toThrow(`Cannot read ${file}: ENOENT`);
  });

  it("parses a file that is not the summary's whole and says it replaced the summary", async () => {
    const replaced = vi.fn();
    const other = faceWithCounter(imageId(1), 2);
    const table = await deferredOver([face], {
      parse: (bytes) => JSON.parse(bytes.toString('utf8')).faces,
      replaced,
    });
    const { labels } = encoded([face, other]);
    await writeFile(file, labels);
    // Image 1 is not in the summary: only a read of image 0 reads the file.
    expect(table.get(imageId(1))).toBeUndefined();
    expect(table.get(imageId(0))).toEqual(face);
    expect(table.get(imageId(1))).toEqual(other);
    expect(table.size).toBe(2);
    expect(table.summary(imageId(1))?.state).toBe('labelled');
    expect(replaced).toHaveBeenCalledTimes(1);
    expect(replaced.mock.calls[0]![0]).toEqual(labels);
    expect(replaced.mock.calls[0]![1]).toBe(identityOf(await stat(file, { bigint: true })));
  });

  it('keeps the error of a stale file that fails to parse', async () => {
    let parses = 0;
    const table = await deferredOver([face], {
      parse: () => {
        parses += 1;
        throw new Error(`bad labels ${parses}`);
      },
      replaced: () => undefined,
    });
    await writeFile(file, encoded([]).labels);
    expect(() => table.get(imageId(0))).toThrow('bad labels 1');
    expect(() => table.get(imageId(0))).toThrow('bad labels 1');
    expect(parses).toBe(1);
  });
});

describe('crcInSlices', () => {
  it("gives zlib's CRC of the whole, letting other work run between slices", async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
    let otherWorkRan = false;
    const done = crcInSlices(bytes, 64).then((crc) => ({ crc, otherWorkRan }));
    // Work that comes in meanwhile: a CRC taken in one go would be done before it runs.
    setImmediate(() => (otherWorkRan = true));
    const result = await done;
    expect(result).toEqual({ crc: crc32(bytes), otherWorkRan: true });
    expect(await crcInSlices(bytes)).toBe(crc32(bytes));
    expect(await crcInSlices(Buffer.alloc(0))).toBe(crc32(Buffer.alloc(0)));
  });
});

describe('ProjectStore with labels.summary.json', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-summary-'));
    dir = path.join(root, 'project');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A project of 4 images, image 0 labelled and image 1 to review, compacted on close. */
  async function project(): Promise<void> {
    const store = await ProjectStore.create(dir, init);
    await store.putImages([0, 1, 2, 3].map((n) => imageRecord(n)));
    await store.saveFace(faceWithCounter(imageId(0), 10));
    await store.saveFace(toReview(imageId(1), 11));
    await store.close();
  }

  it('writes the summary with labels.json and opens from it, journal edits on top', async () => {
    await project();
    const summary = JSON.parse(await readFile(path.join(dir, LABELS_SUMMARY_FILE), 'utf8')) as {
      labelsBytes: number;
      faces: unknown[];
    };
    expect(summary.labelsBytes).toBe((await stat(path.join(dir, LABELS_FILE))).size);
    expect(summary.faces).toEqual([
      [imageId(0), 'labelled', null, { smiling: true }],
      [imageId(1), 'needs-review', null, { smiling: false }],
    ]);

    // An edit left in the journal (the writer killed before compacting) is read over the lines.
    const writer = await ProjectStore.open(dir);
    await writer.saveFace(toReview(imageId(0), 12));
    const reader = await ProjectStore.open(dir, { readOnly: true });
    expect(reader.summary()).toMatchObject({ labelledCount: 0, needsReviewCount: 2 });
    expect(reader.getFace(imageId(0))?.note).toBe('12');
    expect(reader.getFace(imageId(1))?.note).toBe('11');
    expect(reader.library.query({ needsReview: true }, 0, 10).total).toBe(2);
    await reader.close();
    await writer.close();

    const reopened = await ProjectStore.open(dir);
    expect(reopened.getFace(imageId(0))).toMatchObject({ note: '12', revision: 2 });
    expect(reopened.library.stats(null)).toMatchObject({ labelled: 0, needsReview: 2 });
    await reopened.close();
  });

  it('reads labels.json itself when it changed behind the summary, and writes a new summary', async () => {
    await project();
    // As an older studio would: labels.json rewritten (image 1 now labelled), summary left.
    const labelsPath = path.join(dir, LABELS_FILE);
    const onDisk = JSON.parse(await readFile(labelsPath, 'utf8')) as {
      faces: Record<string, FaceAnnotation>;
    };
    onDisk.faces[imageId(1)] = faceWithCounter(imageId(1), 20);
    await writeFile(labelsPath, JSON.stringify(onDisk, null, 2));
    const stale = await readFile(path.join(dir, LABELS_SUMMARY_FILE), 'utf8');

    const store = await ProjectStore.open(dir);
    expect(store.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 0 });
    expect(store.getFace(imageId(1))?.note).toBe('20');
    await store.close();
    const fresh = await readFile(path.join(dir, LABELS_SUMMARY_FILE), 'utf8');
    expect(fresh).not.toBe(stale);
    expect(fresh).toContain(`["${imageId(1)}","labelled"`);

    // And with no summary at all.
    await unlink(path.join(dir, LABELS_SUMMARY_FILE));
    const again = await ProjectStore.open(dir, { readOnly: true });
    expect(again.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 0 });
    await again.close();
  });

  it('opens without parsing the faces a summary vouches for, and names a bad one when read', async () => {
    await project();
    // A bad face, with a summary written for exactly these bytes: open does not look at it.
    const labelsPath = path.join(dir, LABELS_FILE);
    const bytes = Buffer.from(
      (await readFile(labelsPath, 'utf8')).replace('"revision":1', '"revision":-1'),
    );
    await writeFile(labelsPath, bytes);
    const parsed = JSON.parse(bytes.toString('utf8')) as {
      faces: Record<string, FaceAnnotation>;
    };
    const vouching = FaceTable.fromFaces(labelsPath, parsed.faces).summaryOf(2, bytes);
    await writeFile(path.join(dir, LABELS_SUMMARY_FILE), vouching);

    const store = await ProjectStore.open(dir, { readOnly: true });
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    expect(() => store.getFace(imageId(0))).toThrow(
      /labels\.json is invalid: faces\.[0-9a-f]+: revision/,
    );
    expect(store.getFace(imageId(1))?.note).toBe('11');
    await store.close();
  });

  /**
   * labels.json replaced behind the summary, and the summary's recorded identity made that of
   * the new file: as if the summary were stale in a way its identity check cannot see, so open
   * trusts it and only the CRC, when the faces are read, finds out.
   */
  async function forgeIdentity(labels: string): Promise<void> {
    const labelsPath = path.join(dir, LABELS_FILE);
    await writeFile(labelsPath, labels);
    const info = await stat(labelsPath, { bigint: true });
    const summaryPath = path.join(dir, LABELS_SUMMARY_FILE);
    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as Record<string, unknown>;
    expect(summary.labelsIdentity).toMatch(/^\d+:\d+:\d+:\d+$/);
    summary.labelsIdentity = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
    await writeFile(summaryPath, JSON.stringify(summary));
  }

  it('opens from a summary whose identity matches without reading labels.json; a stale one falls back when faces are read', async () => {
    await project();
    const labelsPath = path.join(dir, LABELS_FILE);
    const onDisk = JSON.parse(await readFile(labelsPath, 'utf8')) as {
      faces: Record<string, FaceAnnotation>;
    };
    // Image 1 labelled, image 2 now to review: the summary still says image 1 is to review.
    onDisk.faces[imageId(1)] = faceWithCounter(imageId(1), 20);
    onDisk.faces[imageId(2)] = toReview(imageId(2), 21);
    await forgeIdentity(JSON.stringify(onDisk, null, 2));

    const store = await ProjectStore.open(dir);
    // The summary's word, not the file's: open did not read labels.json.
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    expect(store.library.query({ needsReview: true }, 0, 10).items.map((item) => item.id)).toEqual([
      imageId(1),
    ]);
    // The first face read checks the bytes, finds them not the summary's, and parses them.
    expect(store.getFace(imageId(1))?.note).toBe('20');
    expect(store.getFace(imageId(2))?.note).toBe('21');
    expect(store.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 1 });
    expect(store.library.query({ needsReview: true }, 0, 10).items.map((item) => item.id)).toEqual([
      imageId(2),
    ]);
    // An edit after the fallback is written over the file's faces at compaction (close).
    await store.saveFace(toReview(imageId(3), 22));
    await store.close();

    const summary = await readFile(path.join(dir, LABELS_SUMMARY_FILE), 'utf8');
    expect(summary).toContain(`["${imageId(1)}","labelled"`);
    expect(summary).toContain(`["${imageId(3)}","needs-review"`);
    const reopened = await ProjectStore.open(dir);
    expect(reopened.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 2 });
    expect(reopened.getFace(imageId(2))?.note).toBe('21');
    expect(reopened.getFace(imageId(3))?.note).toBe('22');
    await reopened.close();
  });

  /**
   * The project, then labels.json changed behind the summary (image 1's face now labelled) with
   * the identity the summary records kept: only a read of the bytes finds the change.
   */
  async function projectWithUnsummarisedFace(): Promise<void> {
    await project();
    const labelsPath = path.join(dir, LABELS_FILE);
    const onDisk = JSON.parse(await readFile(labelsPath, 'utf8')) as {
      faces: Record<string, FaceAnnotation>;
    };
    onDisk.faces[imageId(1)] = faceWithCounter(imageId(1), 20);
    await forgeIdentity(JSON.stringify(onDisk, null, 2));
  }

  it('reads labels.json in the background after open and re-indexes a stale summary then', async () => {
    await projectWithUnsummarisedFace();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = await ProjectStore.open(dir);
      expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
      vi.advanceTimersByTime(250);
      // The background read is queued between compactions, which flush waits for.
      await store.flush();
      expect(store.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 0 });
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads labels.json when a caller asks for the faces, without waiting for the quiet spell', async () => {
    await projectWithUnsummarisedFace();
    // The background read is held back for good: only the caller's ask reads the file.
    const store = await ProjectStore.open(dir, {
      beforeLabelsPreload: () => new Promise(() => {}),
    });
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    const asks = [store.whenFacesRead(), store.whenFacesRead()];
    await Promise.all(asks);
    // Read, found not the summary's and re-indexed, before any face was read by getFace.
    expect(store.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 0 });
    expect(store.getFace(imageId(1))?.note).toBe('20');
    await store.whenFacesRead();
    await store.close();
  });

  it('reads a face of labels.json after the file is read off the event loop, others at once', async () => {
    await projectWithUnsummarisedFace();
    const store = await ProjectStore.open(dir, {
      beforeLabelsPreload: () => new Promise(() => {}),
    });
    // Image 3 has no face: answered without reading labels.json (the summary's counts stand).
    expect(await store.readFace(imageId(3))).toBeNull();
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    const reading = store.readFace(imageId(1));
    // Not read in one synchronous go: the counts change only once the read is done.
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    expect((await reading)?.note).toBe('20');
    expect(store.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 0 });
    await store.close();
  });

  it('waits for beforeLabelsPreload before the background read', async () => {
    await projectWithUnsummarisedFace();
    let release: () => void = () => undefined;
    const asked = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = await ProjectStore.open(dir, { beforeLabelsPreload: asked });
      vi.advanceTimersByTime(250);
      expect(asked).toHaveBeenCalledTimes(1);
      await store.flush();
      // Not read yet: the summary's counts stand.
      expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
      release();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      await store.flush();
      expect(store.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 0 });
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("records labels.json's identity in a summary that vouched for it by its CRC alone", async () => {
    await project();
    const summaryPath = path.join(dir, LABELS_SUMMARY_FILE);
    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as Record<string, unknown>;
    // As a summary written before identities were recorded, or a project copied elsewhere.
    delete summary.labelsIdentity;
    await writeFile(summaryPath, JSON.stringify(summary));
    const store = await ProjectStore.open(dir);
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    await store.close();
    const info = await stat(path.join(dir, LABELS_FILE), { bigint: true });
    const rewritten = JSON.parse(await readFile(summaryPath, 'utf8')) as Record<string, unknown>;
    expect(rewritten.labelsIdentity).toBe(`${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`);
  });

  it('compacts a store opened from the summary alone, copying the faces it never read', async () => {
    await project();
    const store = await ProjectStore.open(dir);
    await store.saveFace(faceWithCounter(imageId(2), 30));
    await store.close();
    const reopened = await ProjectStore.open(dir);
    expect(reopened.summary()).toMatchObject({ labelledCount: 2, needsReviewCount: 1 });
    expect(reopened.getFace(imageId(0))?.note).toBe('10');
    expect(reopened.getFace(imageId(1))?.note).toBe('11');
    expect(reopened.getFace(imageId(2))?.note).toBe('30');
    await reopened.close();
  });

  it('names labels.json when a summary vouched for it at open but its bytes turn out invalid', async () => {
    await project();
    const text = await readFile(path.join(dir, LABELS_FILE), 'utf8');
    await forgeIdentity(text.replace('"revision":1', '"revision":-1'));
    const store = await ProjectStore.open(dir);
    expect(store.summary()).toMatchObject({ labelledCount: 1, needsReviewCount: 1 });
    expect(() => store.getFace(imageId(0))).toThrow(/labels\.json is invalid/);
    // And again on the next read, not a face from the bad file.
    expect(() => store.getFace(imageId(1))).toThrow(/labels\.json is invalid/);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('still refuses an invalid labels.json that a summary described before it was edited', async () => {
    await project();
    const labelsPath = path.join(dir, LABELS_FILE);
    const text = await readFile(labelsPath, 'utf8');
    await writeFile(labelsPath, text.replace('"revision":1', '"revision":-1'));
    await expect(ProjectStore.open(dir)).rejects.toThrow(/labels\.json is invalid/);
  });
});
