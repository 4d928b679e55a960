/**
 * Thumbnails made ahead: after a lazy import (records only, no thumbnail decoded), the open
 * project's thumbnails appear in the background without a single media request, and an image
 * whose file is gone is skipped rather than stopping the others. Nothing is looked at before a
 * quiet spell from the opening (the page's first screen comes first), and a stop ends that wait.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importIntoProject, thumbnailDirOf } from '../../../src-main/core/library/library-service';
import { ThumbnailsAhead } from '../../../src-main/core/library/thumbnails-ahead';
import { THUMBNAIL_SIZE, thumbnailPath } from '../../../src-main/core/library/thumbnails';
import { ProjectSession } from '../../../src-main/core/project-session';
import { ProjectStore } from '../../../src-main/core/project-store';
import { DATA } from './test-images';

const HELEN_TEST = path.join(DATA, '300w-helen', 'test');
const init = { name: 'Ahead', landmarkSchema: 'ibug68', attributeSchema: null } as const;

let root: string;
let source: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-thumbs-ahead-'));
  source = path.join(root, 'photos');
  dir = path.join(root, 'project');
  await mkdir(source);
  const names = (await readdir(HELEN_TEST)).filter((name) => name.endsWith('.jpg')).slice(0, 4);
  for (const name of names) await copyFile(path.join(HELEN_TEST, name), path.join(source, name));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(root, { recursive: true, force: true });
});

async function thumbnails(store: ProjectStore): Promise<string[]> {
  return (await readdir(thumbnailDirOf(store)).catch(() => [])).filter((n) => n.endsWith('.webp'));
}

describe('thumbnails made ahead', () => {
  it('makes every thumbnail a lazy import left, without being asked', async () => {
    const store = await ProjectStore.create(dir, init);
    await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
    expect(store.listImages()).toHaveLength(4);
    expect(await thumbnails(store)).toEqual([]);

    const ahead = new ThumbnailsAhead(store);
    ahead.poke();
    await ahead.idle();
    expect(ahead.made).toBe(4);
    const ids = store.listImages().map((image) => image.id);
    expect((await thumbnails(store)).sort()).toEqual(ids.map((id) => `${id}.webp`).sort());
    const first = await sharp(thumbnailPath(thumbnailDirOf(store), ids[0]!)).metadata();
    expect(Math.max(first.width, first.height)).toBeLessThanOrEqual(THUMBNAIL_SIZE);

    // A second look finds nothing left to make.
    ahead.poke();
    await ahead.idle();
    expect(ahead.made).toBe(4);
    await store.close();
  });

  it('skips an image whose file is gone and makes the others', async () => {
    const store = await ProjectStore.create(dir, init);
    await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
    const [gone] = await readdir(source);
    await rm(path.join(source, gone!));
    const ahead = new ThumbnailsAhead(store);
    ahead.poke();
    await ahead.idle();
    expect(ahead.made).toBe(3);
    expect(await thumbnails(store)).toHaveLength(3);
    await store.close();
  });

  it('starts with the session: a project opened after a lazy import gets its thumbnails', async () => {
    const store = await ProjectStore.create(dir, init);
    await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
    await store.close();

    const session = new ProjectSession();
    await session.open(dir);
    await session.makeThumbnailsAhead();
    expect(await thumbnails(session.require())).toHaveLength(4);
    await session.close();
  });

  it('looks for nothing until a quiet spell has passed since the opening', async () => {
    const store = await ProjectStore.create(dir, init);
    await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
    // Only the spell's clock is faked; the reads and the decoding run for real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const looked = vi.spyOn(store, 'imageIds');
    const ahead = new ThumbnailsAhead(store, { quietMs: 1000 });
    ahead.poke();
    for (let turn = 0; turn < 50; turn += 1) await nextTurn();
    expect(looked).not.toHaveBeenCalled();
    expect(ahead.made).toBe(0);
    expect(await thumbnails(store)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    vi.useRealTimers();
    await ahead.idle();
    expect(looked).toHaveBeenCalledTimes(1);
    expect(ahead.made).toBe(4);
    await store.close();
  });

  it('stops at once while it waits for the quiet spell', async () => {
    const store = await ProjectStore.create(dir, init);
    await importIntoProject(store, { dir: source, format: 'images', thumbnails: 'lazy' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const ahead = new ThumbnailsAhead(store, { quietMs: 60_000 });
    ahead.poke();
    await ahead.stop();
    expect(ahead.made).toBe(0);
    vi.useRealTimers();
    await store.close();
  });
});
