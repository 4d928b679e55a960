/**
 * The media resolver's quiet spell: background work (thumbnails made ahead, the file check) waits
 * until the page has asked for no image for a while, not merely until none is being answered, so
 * it does not slip into the gaps between the thumbnails the page loads one after another; and
 * until it has sent no other request for as long (a Label opening's lists and face).
 */
import { copyFile, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseMediaRequest, resolveMedia } from '../../../src-main/core/library/media';
import { dispatch, type HandlerTable } from '../../../src-main/app/dispatch';
import { notePageRequest, whenMediaQuiet } from '../../../src-main/core/library/media-quiet';
import { findMissingImages } from '../../../src-main/core/library/missing-images';
import type { ProjectStore } from '../../../src-main/core/project-store';
import type { ImageRecord } from '../../../src-main/shared/domain';
import { imageId, imageRecord } from '../../support/project-data';
import { DATA } from './test-images';

const QUIET_MS = 500;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => vi.useRealTimers());

/** A request the resolver answers at once (no project open): it still counts as one. */
const ask = () => resolveMedia(null, 'thumb', imageId(1));

describe('whenMediaQuiet', () => {
  it('waits until no media request has been answered for the quiet time', async () => {
    await ask();
    let quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    // Another request just before the spell ends starts it again.
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(quiet).toBe(true);
  });

  it('resolves at once when the last request ended longer ago than the quiet time', async () => {
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    let quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(quiet).toBe(true);
  });

  it('waits the quiet time from `since` too (a project just opened), requests or not', async () => {
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    const opened = performance.now();
    let quiet = false;
    void whenMediaQuiet(QUIET_MS, opened).then(() => (quiet = true));
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(quiet).toBe(true);
  });
});

describe('notePageRequest', () => {
  it('starts the quiet spell again for a request of another kind, as a media request does', async () => {
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 100);
    let quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    notePageRequest();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(quiet).toBe(true);
  });

  it('is noted by every request dispatched to a handler, as it comes and as it is answered', async () => {
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    let answer: () => void = () => undefined;
    const table = {
      'system:info': () => new Promise((resolve) => (answer = () => resolve({}))),
    } as unknown as HandlerTable;
    const answered = dispatch(table, 'system:info', {});
    let quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    // A long request (the file check is one) is not waited for while it runs...
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    expect(quiet).toBe(true);
    // ...but its answer starts the spell again.
    answer();
    await answered;
    quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(quiet).toBe(true);
  });
});

/**
 * Only what the file check reads of a store: its folder, its ids (`onIds` told each time they are
 * read) and each record (none of these files exist).
 */
function storeOf(records: ImageRecord[], onIds = () => {}): ProjectStore {
  return {
    dir: os.tmpdir(),
    imageIds: () => {
      onIds();
      return records.map((record) => record.id).values();
    },
    getImage: (id: string) => records.find((record) => record.id === id) ?? null,
  } as unknown as ProjectStore;
}

describe('the file check', () => {
  it('waits for a quiet spell between its batches while the page asks for images', async () => {
    const records = [0, 1, 2].map(imageRecord);
    const store = storeOf(records);
    await ask();
    let done = false;
    const check = findMissingImages(store, { batchSize: 1, quietMs: QUIET_MS }).finally(
      () => (done = true),
    );
    for (let turn = 0; turn < 50; turn += 1) await nextTurn();
    // The first batch is looked at; the second waits for the spell.
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    const result = await check;
    expect(result.total).toBe(3);
    expect(result.missing.size).toBe(3);
  });

  it('in the background, waits for a quiet spell before it reads an id or stats a file', async () => {
    const records = [0, 1].map(imageRecord);
    let idsRead = 0;
    const store = storeOf(records, () => (idsRead += 1));
    await ask();
    let done = false;
    const check = findMissingImages(store, { quietMs: QUIET_MS, inBackground: true }).finally(
      () => (done = true),
    );
    for (let turn = 0; turn < 50; turn += 1) await nextTurn();
    expect(idsRead).toBe(0);
    // A thumbnail asked meanwhile starts the spell again.
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(idsRead).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    const result = await check;
    expect(idsRead).toBe(1);
    expect(done).toBe(true);
    expect(result.missing.size).toBe(2);
  });

  it('asked by a person (a filter on missing files), starts at once', async () => {
    const records = [0, 1].map(imageRecord);
    const store = storeOf(records);
    await ask();
    // One batch holds both: no quiet spell is awaited at all.
    const result = await findMissingImages(store, { quietMs: QUIET_MS });
    expect(result.total).toBe(2);
    expect(result.missing.size).toBe(2);
  });
});

describe('parseMediaRequest', () => {
  it('takes a thumbnail or image request for a 64-digit hex id, and nothing else', () => {
    const id = imageId(3);
    expect(parseMediaRequest('thumb', id)).toEqual({ kind: 'thumb', imageId: id });
    expect(parseMediaRequest('image', id)).toEqual({ kind: 'image', imageId: id });
    expect(parseMediaRequest('file', id)).toBeNull();
    expect(parseMediaRequest('thumb', id.toUpperCase())).toBeNull();
    expect(parseMediaRequest('image', `${id}0`)).toBeNull();
    expect(parseMediaRequest('image', `../${id.slice(3)}`)).toBeNull();
  });
});

describe('resolveMedia', () => {
  const HELEN = path.join(DATA, '300w-helen', 'test', '296814969_3.jpg');
  const record = { ...imageRecord(5), path: HELEN };
  /** Only what the resolver reads of a store: whether it is closed, its folder and its records. */
  const storeOf = (closed = false): ProjectStore =>
    ({
      closed,
      dir: os.tmpdir(),
      getImage: (id: string) => (id === record.id ? record : null),
    }) as unknown as ProjectStore;

  it('serves a JPEG listed by the project from where it really is', async () => {
    const real = await realpath(HELEN);
    expect(await resolveMedia(storeOf(), 'image', record.id)).toEqual({
      kind: 'file',
      file: real,
      size: (await stat(real)).size,
      contentType: 'image/jpeg',
    });
  });

  it('serves nothing without an open project, for an id it does not list, or a bad id', async () => {
    expect(await resolveMedia(storeOf(true), 'image', record.id)).toBeNull();
    expect(await resolveMedia(storeOf(), 'image', imageId(6))).toBeNull();
    expect(await resolveMedia(storeOf(), 'image', 'x')).toBeNull();
  });

  it('serves an image only from inside the folder it is confined to', async () => {
    const served = await resolveMedia(storeOf(), 'image', record.id, { confineTo: DATA });
    expect(served).toMatchObject({ kind: 'file', contentType: 'image/jpeg' });
    expect(
      await resolveMedia(storeOf(), 'image', record.id, { confineTo: os.tmpdir() }),
    ).toBeNull();
    expect(
      await resolveMedia(storeOf(), 'image', record.id, {
        confineTo: path.join(os.tmpdir(), 'no-such-folder-here'),
      }),
    ).toBeNull();
  });
});

describe('resolveMedia, converted and thumbnails', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'media-resolve-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const storeIn = (record: ReturnType<typeof imageRecord>): ProjectStore =>
    ({
      closed: false,
      dir,
      getImage: (id: string) => (id === record.id ? record : null),
    }) as unknown as ProjectStore;

  it('serves a PPM as PNG bytes', async () => {
    const file = path.join(dir, 'takeo.ppm');
    await copyFile(path.join(DATA, 'fixtures', 'takeo.ppm'), file);
    const record = { ...imageRecord(7), path: file };
    expect(await resolveMedia(storeIn(record), 'image', record.id)).toMatchObject({
      kind: 'bytes',
      contentType: 'image/png',
    });
  });

  it('serves a thumbnail made already as it is, even when its image no longer decodes', async () => {
    const file = path.join(dir, 'takeo.ppm');
    await copyFile(path.join(DATA, 'fixtures', 'takeo.ppm'), file);
    const record = { ...imageRecord(7), path: file };
    const first = await resolveMedia(storeIn(record), 'thumb', record.id);
    expect(first).toMatchObject({ kind: 'file', contentType: 'image/webp' });
    await writeFile(file, 'no longer an image');
    expect(await resolveMedia(storeIn(record), 'thumb', record.id)).toEqual(first);
  });
});
