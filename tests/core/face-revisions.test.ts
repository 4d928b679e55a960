/**
 * Face revisions in the project store: every save gives the face the next revision, and a save
 * that names the revision it edited is refused when the face has moved on since. Two windows of
 * the studio each read a face and save it back; without this the one holding an older view (a
 * face with no points) overwrote the other's 68 points and both said "Saved".
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../src-main/core/project-store';
import type { FaceRevision, NewProject } from '../../src-main/core/project-store';
import type { FaceAnnotation } from '../../src-main/shared/domain';
import { StudioError } from '../../src-main/shared/errors';
import { labelsOnDisk } from './fixtures/labels-on-disk';
import { counterOf, faceWithCounter, imageId, imageRecord } from '../support/project-data';
import { fileTexts } from '../support/folder-snapshot';

const init: NewProject = { name: 'Revisions', landmarkSchema: 'ibug68', attributeSchema: null };

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-revisions-'));
  dir = path.join(root, 'project');
  const store = await ProjectStore.create(dir, init);
  await store.putImages([imageRecord(1), imageRecord(2)]);
  await store.close();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A face with no point placed: what a window that opened an unlabelled image shows. */
function emptyFace(id: string): FaceAnnotation {
  const face = faceWithCounter(id, 0);
  return { ...face, points: face.points.map((p) => ({ ...p, v: 0 as const })) };
}

describe('face revisions', () => {
  it('refuses a save over a face changed since it was read, and changes nothing on disk', async () => {
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    // Window A and window B both read image 1: no face yet.
    expect(store.getFace(imageId(1))).toBeNull();
    // A places its 68 points and saves.
    expect(await store.saveFace(faceWithCounter(imageId(1), 68), { baseRevision: null })).toBe(1);
    await store.flush();
    const before = await fileTexts(dir);

    // B, still holding "no face", adds one point and saves.
    const stale = { ...emptyFace(imageId(1)), note: 'one point' };
    stale.points[0] = { x: 5, y: 5, v: 2, source: 'human', confirmed: true };
    const refused = store.saveFace(stale, { baseRevision: null });
    await expect(refused).rejects.toBeInstanceOf(StudioError);
    await expect(refused).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        new RegExp(`image ${imageId(1)}: it was changed elsewhere .*holds revision 1`),
      ) as unknown,
    });
    // So is a save over an older revision than the stored one.
    await expect(store.saveFace(stale, { baseRevision: 0 })).rejects.toMatchObject({
      code: 'conflict',
    });

    await store.flush();
    expect(counterOf(store.getFace(imageId(1))!)).toBe(68);
    expect(store.getFace(imageId(1))!.revision).toBe(1);
    expect(await fileTexts(dir)).toEqual(before);
    await store.close();
    const reopened = await ProjectStore.open(dir);
    expect(counterOf(reopened.getFace(imageId(1))!)).toBe(68);
    await reopened.close();
  });

  it('refuses a save that read a face when the image has none', async () => {
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    await expect(
      store.saveFace(faceWithCounter(imageId(2), 3), { baseRevision: 4 }),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/holds no face/) });
    expect(store.getFace(imageId(2))).toBeNull();
    await store.close();
  });

  it('chains one window’s saves: each names the revision the previous one returned', async () => {
    const store = await ProjectStore.open(dir, { labelDebounceMs: 20 });
    let revision: number | null = null;
    for (const counter of [1, 2, 3, 4]) {
      revision = await store.saveFace(faceWithCounter(imageId(1), counter), {
        baseRevision: revision,
      });
      expect(revision).toBe(counter);
    }
    // A second window that read revision 3 is now stale; the first one goes on.
    await expect(
      store.saveFace(faceWithCounter(imageId(1), 99), { baseRevision: 3 }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.saveFace(faceWithCounter(imageId(1), 5), { baseRevision: 4 })).toBe(5);
    expect(store.getFace(imageId(1))).toEqual({ ...faceWithCounter(imageId(1), 5), revision: 5 });
    await store.close();
  });

  it('bumps the revision of saves that name none (imports, pre-labelling), ignoring the caller’s', async () => {
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    expect(await store.saveFace({ ...faceWithCounter(imageId(1), 1), revision: 40 })).toBe(1);
    expect(await store.saveFace(faceWithCounter(imageId(1), 2))).toBe(2);
    // A window that read revision 1 before the import overwrote it must not win.
    await expect(
      store.saveFace(faceWithCounter(imageId(1), 3), { baseRevision: 1 }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(store.getFace(imageId(1))!.revision).toBe(2);
    await store.close();
  });

  it('reports each durable face with its new revision', async () => {
    const changes: FaceRevision[][] = [];
    const store = await ProjectStore.open(dir, {
      labelDebounceMs: 20,
      onFacesChanged: (faces) => changes.push([...faces]),
    });
    await Promise.all([
      store.saveFace(faceWithCounter(imageId(1), 1)),
      store.saveFace(faceWithCounter(imageId(2), 1)),
    ]);
    await store.saveFace(faceWithCounter(imageId(1), 2), { baseRevision: 1 });
    await store.saveFace(faceWithCounter(imageId(1), 3), { baseRevision: 1 }).catch(() => null);
    await store.flush();
    expect(changes).toEqual([
      [
        { imageId: imageId(1), revision: 1 },
        { imageId: imageId(2), revision: 1 },
      ],
      [{ imageId: imageId(1), revision: 2 }],
    ]);
    await store.close();
  });

  it('keeps revisions across close and reopen, and across a journal replay', async () => {
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    await store.saveFace(faceWithCounter(imageId(1), 1), { baseRevision: null });
    await store.saveFace(faceWithCounter(imageId(1), 2), { baseRevision: 1 });
    await store.saveFace(faceWithCounter(imageId(2), 7), { baseRevision: null });
    await store.flush();
    // A copy taken now is what a kill would leave: the edits only in the journal.
    const killed = path.join(root, 'killed');
    await cp(dir, killed, { recursive: true });
    expect((await labelsOnDisk(killed)).journalLines['labels.journal.jsonl']).toBeGreaterThan(0);
    await store.close();

    const reopened = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    expect(reopened.getFace(imageId(1))!.revision).toBe(2);
    expect(reopened.getFace(imageId(2))!.revision).toBe(1);
    expect(await reopened.saveFace(faceWithCounter(imageId(1), 3), { baseRevision: 2 })).toBe(3);
    await reopened.close();

    const replayed = await ProjectStore.open(killed, { labelDebounceMs: 0 });
    expect(replayed.getFace(imageId(1))!.revision).toBe(2);
    await expect(
      replayed.saveFace(faceWithCounter(imageId(1), 3), { baseRevision: 1 }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await replayed.close();
  });

  it('reads faces saved before revisions existed as revision 0', async () => {
    const labelsFile = path.join(dir, 'labels.json');
    const { revision: _dropped, ...legacy } = faceWithCounter(imageId(1), 8);
    await writeFile(
      labelsFile,
      JSON.stringify({ schemaVersion: 1, faces: { [imageId(1)]: legacy } }),
    );
    const store = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    expect(store.getFace(imageId(1))).toEqual({ ...legacy, revision: 0 });
    // The face exists: a window that saw none is stale, one that read it is not.
    await expect(
      store.saveFace(faceWithCounter(imageId(1), 9), { baseRevision: null }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.saveFace(faceWithCounter(imageId(1), 9), { baseRevision: 0 })).toBe(1);
    await store.close();
  });
});
