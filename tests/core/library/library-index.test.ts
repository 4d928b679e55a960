/**
 * The library's index answers exactly as the scan does (library-query.ts): over random sequences
 * of edits (images added, replaced, removed; faces saved, also for images not in the index yet)
 * every filter, page and count equals a brute-force scan of the same records and faces. Plus its
 * exact counts on a small library, its boundaries, and that what it hands out cannot change it.
 */
import { describe, expect, it } from 'vitest';
import { ImageTable } from '../../../src-main/core/image-table';
import { LibraryIndex } from '../../../src-main/core/library/library-index';
import type { IndexedFace, IndexedImages } from '../../../src-main/core/library/library-index';
import { queryLibrary, scanLibraryStats } from '../../../src-main/core/library/library-query';
import type { FaceAnnotation, ImageRecord, Landmark, Split } from '../../../src-main/shared/domain';
import type { LibraryFilter } from '../../../src-main/shared/library';
import { imageId, imageRecord, seededRandom } from '../../support/project-data';

type Random = () => number;

const SPLITS: readonly Split[] = ['pool', 'train', 'val', 'test'];
const EXPRESSIONS = [null, 'happy', 'sad', ''] as const;
const ATTRIBUTES = ['smiling', 'glasses', 'toString'] as const;
const TEXTS = ['', 'face-1', 'BATCH-0/FACE-2', '/face-3.', 'source-', 'Z', 'face-'] as const;

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;

function randomRecord(random: Random, n: number): ImageRecord {
  const base = imageRecord(n);
  const detection = random();
  const flags = [
    ...(random() < 0.2 ? (['no-face'] as const) : []),
    ...(random() < 0.2 ? (['tiny-face'] as const) : []),
    ...(random() < 0.2 ? (['near-duplicate'] as const) : []),
  ];
  return {
    id: base.id,
    path: base.path,
    width: base.width,
    height: base.height,
    split: pick(random, SPLITS),
    ...(random() < 0.3 ? { source: `/Photos/Source-${n}/IMG_${n}.JPG` } : {}),
    ...(detection < 0.3 ? {} : detection < 0.5 ? { face: null } : { face: base.face! }),
    ...(flags.length > 0 || random() < 0.1 ? { flags } : {}),
  };
}

function point(random: Random): Landmark {
  const kind = random();
  const v = kind < 0.2 ? 0 : 2;
  return kind < 0.6
    ? { x: 10, y: 10, v, source: 'human', confirmed: true }
    : { x: 10, y: 10, v, source: 'model', confirmed: random() < 0.3 };
}

function randomFace(random: Random, n: number): FaceAnnotation {
  const attributes: Record<string, boolean> = {};
  for (const name of ATTRIBUTES.slice(0, 2)) {
    if (random() < 0.4) attributes[name] = random() < 0.5;
  }
  return {
    imageId: imageId(n),
    points: Array.from({ length: Math.floor(random() * 3) }, () => point(random)),
    attributes,
    expression: pick(random, EXPRESSIONS),
    note: '',
    updatedAt: '2026-01-01T00:00:00.000Z',
    revision: 0,
  };
}

function randomFilter(random: Random): LibraryFilter {
  const filter: LibraryFilter = {};
  // Few constraints at a time, so most filters match something.
  const chosen = Math.floor(random() * 3);
  for (let i = 0; i < chosen; i += 1) {
    switch (Math.floor(random() * 9)) {
      case 0:
        filter.split = pick(random, SPLITS);
        break;
      case 1:
        filter.labelled = random() < 0.5;
        break;
      case 2:
        filter.needsReview = random() < 0.5;
        break;
      case 3:
        filter.hasFace = random() < 0.5;
        break;
      case 4:
        filter.flagged = random() < 0.5;
        break;
      case 5:
        filter.expression = pick(random, ['happy', 'sad', '', 'angry']);
        break;
      case 6:
        filter.attribute = { name: pick(random, ATTRIBUTES), value: random() < 0.5 };
        break;
      case 7:
        filter.missing = random() < 0.5;
        break;
      default:
        filter.text = pick(random, TEXTS);
    }
  }
  return filter;
}

/**
 * The images and faces as the store keeps them, changed the way the store changes them: the index
 * over the array of records, or over an ImageTable (ids, codes and lookups from the table, as the
 * store's index is), with `images` the same records in order for the scan.
 */
class Model {
  images: ImageRecord[] = [];
  readonly faces = new Map<string, FaceAnnotation>();
  readonly table: ImageTable | null;
  readonly index: LibraryIndex;

  constructor(kind: 'array' | 'table' = 'array') {
    this.table = kind === 'table' ? ImageTable.fromRecords([]) : null;
    this.index = new LibraryIndex(this.indexed(), {
      get: (id) => this.faces.get(id),
      all: () => this.faces.values(),
    });
  }

  private indexed(): IndexedImages {
    return this.table ?? this.images;
  }

  put(records: readonly ImageRecord[]): void {
    for (const record of records) {
      // Frozen deep, as the store keeps its records.
      if (record.face) Object.freeze(Object.freeze(record.face).box);
      if (record.flags) Object.freeze(record.flags);
      Object.freeze(record);
      const position = this.images.findIndex((image) => image.id === record.id);
      if (position < 0) this.images.push(record);
      else this.images[position] = record;
      const at = this.table === null ? this.images.indexOf(record) : this.table.put(record);
      this.index.putImage(this.indexed(), at, record);
    }
  }

  remove(ids: ReadonlySet<string>): void {
    this.images = this.images.filter((image) => !ids.has(image.id));
    this.table?.remove(ids);
    this.index.rebuild(this.indexed());
  }

  save(face: FaceAnnotation): void {
    this.faces.set(face.imageId, face);
    this.index.setFace(face.imageId, face);
  }

  faceOf = (id: string): FaceAnnotation | null => this.faces.get(id) ?? null;
}

function randomEdit(random: Random, model: Model, numbers: number): void {
  const roll = random();
  const n = Math.floor(random() * numbers);
  if (roll < 0.4) {
    const count = 1 + Math.floor(random() * 4);
    model.put(Array.from({ length: count }, (_, i) => randomRecord(random, (n + i * 7) % numbers)));
  } else if (roll < 0.8) {
    model.save(randomFace(random, n));
  } else if (roll < 0.9) {
    const ids = new Set(
      Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        imageId(Math.floor(random() * numbers)),
      ),
    );
    model.remove(ids);
  } else if (model.images.length > 0) {
    // A record replaced by itself changes nothing, and must count as nothing.
    const same = model.images[Math.floor(random() * model.images.length)]!;
    model.put([same]);
  }
}

function expectSameAnswers(random: Random, model: Model, missing: ReadonlySet<string>): void {
  const filter = randomFilter(random);
  const reference = queryLibrary(model.images, model.faceOf, filter, 0, 1e9, missing);
  const total = reference.total;
  const offsets = [0, Math.max(0, total - 1), total, total + 5, Math.floor(random() * (total + 1))];
  for (const offset of offsets) {
    const limit = 1 + Math.floor(random() * 4);
    expect(model.index.query(filter, offset, limit, missing)).toEqual(
      queryLibrary(model.images, model.faceOf, filter, offset, limit, missing),
    );
  }
  const known = random() < 0.3 ? null : missing;
  expect(model.index.stats(known)).toEqual(scanLibraryStats(model.images, model.faceOf, known));
}

describe('the library index equals a scan', () => {
  // Over a table fewer seeds: the array's 40 cover the index's logic, these its table branches.
  it.each([
    ['array', 40],
    ['table', 15],
  ] as const)(
    'over random edit sequences, for every filter, page and count (%s)',
    (kind, seeds) => {
      for (let seed = 1; seed <= seeds; seed += 1) {
        const random = seededRandom(seed);
        const numbers = 6 + Math.floor(random() * 30);
        const model = new Model(kind);
        // Ids the last file check did not find: some in the index, some never or no longer.
        let missing: ReadonlySet<string> = new Set();
        for (let step = 0; step < 50; step += 1) {
          randomEdit(random, model, numbers);
          if (random() < 0.1) {
            missing = new Set(
              Array.from({ length: Math.floor(random() * 5) }, () =>
                imageId(Math.floor(random() * numbers)),
              ),
            );
          }
          // Twice: the second answer may come from the filter's kept positions.
          expectSameAnswers(seededRandom(seed * 1000 + step), model, missing);
          expectSameAnswers(seededRandom(seed * 1000 + step), model, missing);
          expectSameAnswers(random, model, missing);
        }
        const rebuilt = new LibraryIndex(model.images, {
          get: (id) => model.faces.get(id),
          all: () => model.faces.values(),
        });
        expect(rebuilt.stats(missing)).toEqual(model.index.stats(missing));
        expect(rebuilt.faceCounts()).toEqual(model.index.faceCounts());
      }
    },
  );
});

describe('the library index', () => {
  const human = { x: 1, y: 1, v: 2, source: 'human', confirmed: true } as const;
  const guess = { x: 1, y: 1, v: 2, source: 'model', confirmed: false } as const;
  const face = (n: number, extra: Partial<FaceAnnotation> = {}): FaceAnnotation => ({
    imageId: imageId(n),
    points: [human],
    attributes: {},
    expression: null,
    note: '',
    updatedAt: '2026-01-01T00:00:00.000Z',
    revision: 0,
    ...extra,
  });

  function small(): Model {
    const model = new Model();
    model.put([
      { ...imageRecord(0), split: 'train' },
      { ...imageRecord(1), split: 'train', face: null, flags: ['no-face'] },
      { ...imageRecord(2), split: 'val', flags: ['near-duplicate'] },
      { ...imageRecord(3), split: 'test', face: undefined },
      { ...imageRecord(4), split: 'pool', flags: [] },
    ]);
    model.save(face(0, { expression: 'happy' }));
    model.save(face(2, { points: [guess], expression: 'happy' }));
    model.save(face(4, { points: [], attributes: { smiling: true }, expression: 'sad' }));
    return model;
  }

  it('counts exactly what the header shows', () => {
    const model = small();
    expect(model.index.stats(null)).toEqual({
      total: 5,
      splits: { pool: 1, train: 2, val: 1, test: 1 },
      labelled: 2,
      needsReview: 1,
      flagged: 2,
      noFace: 1,
      curated: 4,
      expressions: { happy: 2, sad: 1 },
      missing: null,
    });
    expect(model.index.faceCounts()).toEqual({ labelled: 2, needsReview: 1 });
    expect(model.index.size).toBe(5);
  });

  it('keeps counts up to date as records and faces change, down to zero', () => {
    const model = small();
    model.save(face(0));
    model.save(face(2, { points: [human] }));
    model.put([{ ...imageRecord(1), split: 'pool' }]);
    expect(model.index.stats(new Set([imageId(3), imageId(9)]))).toEqual({
      total: 5,
      splits: { pool: 2, train: 1, val: 1, test: 1 },
      labelled: 3,
      needsReview: 0,
      flagged: 1,
      noFace: 0,
      curated: 4,
      expressions: { sad: 1 },
      missing: 1,
    });
    model.remove(new Set([imageId(0), imageId(4)]));
    expect(model.index.stats(null)).toMatchObject({
      total: 3,
      labelled: 1,
      expressions: {},
      splits: { pool: 1, train: 0, val: 1, test: 1 },
    });
    expect(model.index.positionOf(imageId(2))).toBe(1);
    expect(model.index.positionOf(imageId(0))).toBeUndefined();
  });

  it('gives a face saved before its image was added to the image when it comes', () => {
    const model = small();
    model.save(face(7, { expression: 'happy' }));
    expect(model.index.stats(null).expressions).toEqual({ happy: 2, sad: 1 });
    model.put([imageRecord(7)]);
    expect(model.index.stats(null)).toMatchObject({ total: 6, labelled: 3 });
    expect(model.index.query({ expression: 'happy' }, 0, 10).items.map((i) => i.id)).toEqual([
      imageId(0),
      imageId(2),
      imageId(7),
    ]);
  });

  it('pages at the boundaries: the last item, past the end, a zero-based offset', () => {
    const model = small();
    const ids = (offset: number, limit: number, filter: LibraryFilter = {}) =>
      model.index.query(filter, offset, limit).items.map((item) => item.id);
    expect(ids(0, 2)).toEqual([imageId(0), imageId(1)]);
    expect(ids(4, 2)).toEqual([imageId(4)]);
    expect(ids(5, 2)).toEqual([]);
    expect(ids(1, 1, { split: 'train' })).toEqual([imageId(1)]);
    expect(ids(2, 1, { split: 'train' })).toEqual([]);
    expect(model.index.query({ split: 'train' }, 9, 1).total).toBe(2);
    expect(model.index.query({ text: '' }, 0, 1).total).toBe(5);
  });

  it('answers a filter again after a write changed its answer', () => {
    const model = small();
    expect(model.index.query({ labelled: true }, 0, 10).total).toBe(2);
    model.save(face(3));
    expect(model.index.query({ labelled: true }, 0, 10).total).toBe(3);
    model.put([{ ...imageRecord(3), split: 'val' }]);
    expect(model.index.query({ split: 'val' }, 0, 10).total).toBe(2);
    const missing = new Set([imageId(1)]);
    expect(model.index.query({ missing: true }, 0, 10, missing).total).toBe(1);
    // Another check: another set, another answer.
    expect(model.index.query({ missing: true }, 0, 10, new Set<string>()).total).toBe(0);
  });

  it('hands out items a caller cannot change the index through', () => {
    const model = small();
    const [item] = model.index.query({}, 0, 1).items;
    item!.split = 'pool';
    item!.labelled = false;
    expect(() => {
      (item!.face!.box as { x: number }).x = 5;
    }).toThrow(TypeError);
    const [again] = model.index.query({}, 0, 1).items;
    expect(again).toMatchObject({ split: 'train', labelled: true });
    expect(model.index.query({ split: 'train' }, 0, 10).total).toBe(2);
    const stats = model.index.stats(null);
    stats.expressions.happy = 99;
    stats.splits.train = 99;
    expect(model.index.stats(null)).toMatchObject({
      expressions: { happy: 2 },
      splits: { train: 2 },
    });
  });

  it('refuses a record put at a position out of step with it', () => {
    const model = small();
    expect(() => model.index.putImage(model.images, 9, imageRecord(8))).toThrow(
      `the library index is out of step at ${imageId(8)} (position 9)`,
    );
    expect(() => model.index.putImage(model.images, 2, imageRecord(8))).toThrow(
      `the library index is out of step at ${imageId(8)} (position 2)`,
    );
    // A known id put at the next position: it is already in the index.
    expect(() => model.index.putImage(model.images, 5, imageRecord(3))).toThrow(
      `the library index is out of step at ${imageId(3)} (position 5)`,
    );
    const table = new Model('table');
    table.put(small().images);
    expect(() => table.index.putImage(table.table!, 2, imageRecord(8))).toThrow(
      `the library index is out of step at ${imageId(8)} (position 2)`,
    );
  });

  it('counts the flagged images of some splits, reading only their records', () => {
    const model = small();
    model.put([{ ...imageRecord(5), split: 'val', flags: ['tiny-face'] }]);
    const read: string[] = [];
    const all = (image: ImageRecord) => {
      read.push(image.id);
      return true;
    };
    expect(model.index.countFlagged(['train', 'val'], all)).toBe(3);
    // Image 4's empty flags are none; images 0 and 3 have no flags.
    expect(read).toEqual([imageId(1), imageId(2), imageId(5)]);
    expect(model.index.countFlagged(['train'], all)).toBe(1);
    expect(model.index.countFlagged(['pool', 'test'], all)).toBe(0);
    expect(model.index.countFlagged([], all)).toBe(0);
    const noFace = (image: ImageRecord) => image.flags?.includes('no-face') === true;
    expect(model.index.countFlagged(['pool', 'train', 'val', 'test'], noFace)).toBe(1);
  });

  it('counts the faces of a split and lists the ids with a face in index order', () => {
    const model = small();
    expect(SPLITS.map((split) => model.index.facesInSplit(split))).toEqual([1, 1, 1, 0]);
    expect([...model.index.imageIdsWithFaces()]).toEqual([imageId(0), imageId(2), imageId(4)]);
    // Saved out of order, saved again, and for an image not in the index.
    model.save(face(3));
    model.save(face(1));
    model.save(face(3, { expression: 'sad' }));
    model.save(face(9));
    expect(SPLITS.map((split) => model.index.facesInSplit(split))).toEqual([1, 2, 1, 1]);
    expect([...model.index.imageIdsWithFaces()]).toEqual([0, 1, 2, 3, 4].map(imageId));
    expect(model.index.stats(null).expressions).toEqual({ happy: 2, sad: 2 });
    model.put([{ ...imageRecord(3), split: 'train' }]);
    expect(SPLITS.map((split) => model.index.facesInSplit(split))).toEqual([1, 3, 1, 0]);
    model.remove(new Set([imageId(1)]));
    expect([...model.index.imageIdsWithFaces()]).toEqual([0, 2, 3, 4].map(imageId));
  });

  it("counts faces by a summary's state as by their points", () => {
    const images = [0, 1, 2, 3].map(imageRecord);
    const summaries = new Map(
      [
        { imageId: imageId(0), state: 'labelled', expression: 'happy', attributes: {} },
        { imageId: imageId(1), state: 'needs-review', expression: null, attributes: {} },
        { imageId: imageId(2), state: 'unlabelled', expression: null, attributes: {} },
      ].map((summary) => [summary.imageId, summary as IndexedFace]),
    );
    const index = new LibraryIndex(images, {
      get: (id) => summaries.get(id),
      all: () => summaries.values(),
    });
    expect(index.faceCounts()).toEqual({ labelled: 1, needsReview: 1 });
    expect(index.query({ labelled: false }, 0, 9).items.map((item) => item.id)).toEqual(
      [1, 2, 3].map(imageId),
    );
    expect(index.query({ needsReview: true }, 0, 9).items.map((item) => item.id)).toEqual([
      imageId(1),
    ]);
    expect(index.query({ expression: 'happy' }, 0, 9).items[0]).toMatchObject({
      id: imageId(0),
      labelled: true,
      needsReview: false,
      expression: 'happy',
    });
  });
});

describe('the library index over a table', () => {
  /** A table of `count` records whose every call the index makes is counted. */
  function counted(count: number) {
    const table = ImageTable.fromRecords(
      Array.from({ length: count }, (_, n) => Object.freeze({ ...imageRecord(n) })),
    );
    const calls = { at: 0, idAt: 0, texts: [] as string[] };
    const images: IndexedImages = {
      get length() {
        return table.length;
      },
      at: (position) => {
        calls.at += 1;
        return table.at(position);
      },
      idAt: (position) => {
        calls.idAt += 1;
        return table.idAt(position);
      },
      codeAt: (position) => table.codeAt(position),
      positionOf: (id) => table.positionOf(id),
      textMatcher: (text) => {
        calls.texts.push(text);
        return table.textMatcher(text);
      },
    };
    const labelled: FaceAnnotation = {
      imageId: imageId(2),
      points: [{ x: 1, y: 1, v: 2, source: 'human', confirmed: true }],
      attributes: {},
      expression: 'happy',
      note: '',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 0,
    };
    const faces = new Map([[labelled.imageId, labelled]]);
    const index = new LibraryIndex(images, {
      get: (id) => faces.get(id),
      all: () => faces.values(),
    });
    return { table, images, calls, index };
  }

  it('is built from the codes and lookups alone: no record read, no id map of its own', () => {
    const { calls, index } = counted(30);
    expect(calls).toEqual({ at: 0, idAt: 0, texts: [] });
    expect(index.stats(null)).toMatchObject({
      total: 30,
      splits: { pool: 27, val: 3, train: 0, test: 0 },
      labelled: 1,
      curated: 30,
      expressions: { happy: 1 },
    });
    expect(index.positionOf(imageId(7))).toBe(7);
    // A page reads the records it shows, and only those.
    const page = index.query({ split: 'val' }, 1, 5);
    expect(page.items.map((item) => item.id)).toEqual([imageId(10), imageId(20)]);
    expect(calls.at).toBe(2);
  });

  it('searches text with the table, once per text until a record changes; an empty text is none', () => {
    const { table, images, calls, index } = counted(30);
    expect(index.query({ text: '' }, 0, 100).total).toBe(30);
    expect(calls.texts).toEqual([]);
    expect(index.query({ text: 'FACE-1' }, 0, 100).total).toBe(11);
    expect(calls.texts).toEqual(['face-1']);
    // Another filter with the same text: the same test.
    expect(index.query({ text: 'face-1', split: 'val' }, 0, 100).total).toBe(1);
    expect(calls.texts).toEqual(['face-1']);
    expect(index.query({ text: 'face-2' }, 0, 100).total).toBe(11);
    expect(index.query({ text: 'face-1', hasFace: true }, 0, 100).total).toBe(11);
    expect(calls.texts).toEqual(['face-1', 'face-2', 'face-1']);
    // A record changed: its path may hold the text now.
    const renamed = Object.freeze({ ...imageRecord(3), path: 'images/face-13-copy.jpg' });
    index.putImage(images, table.put(renamed), renamed);
    expect(index.query({ text: 'face-1', hasFace: true }, 0, 100).total).toBe(12);
    expect(calls.texts).toEqual(['face-1', 'face-2', 'face-1', 'face-1']);
  });
});
