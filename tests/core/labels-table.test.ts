import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { crc32 } from 'node:zlib';
import { crcInSlices, FaceTable, LABELS_SUMMARY_FILE } from '../../src-main/core/labels-table';
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
