import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectSession } from '../../src-main/core/project-session';
import { LabelsFile } from '../../src-main/shared/domain';
import { StudioError } from '../../src-main/shared/errors';
import { counterOf, faceWithCounter, imageId, imageRecord } from '../support/project-data';

const init = { name: 'A', landmarkSchema: 'ibug68', attributeSchema: null };

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-session-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ProjectSession', () => {
  it('has no project until one is created or opened', async () => {
    const session = new ProjectSession();
    expect(session.summary()).toBeNull();
    expect(() => session.require()).toThrow(new StudioError('not-found', 'No project is open'));
    expect(await session.close()).toBe(false);
  });

  it('flushes and closes the current project when another one is opened', async () => {
    // A long delay: only the switch itself can have written the edit.
    const session = new ProjectSession({ labelDebounceMs: 60_000 });
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await session.create(b, { ...init, name: 'B' });
    const summaryA = await session.create(a, init);
    expect(summaryA).toMatchObject({ dir: a, meta: { name: 'A' } });
    const storeA = session.require();
    await storeA.putImages([imageRecord(1)]);
    const saved = storeA.saveFace(faceWithCounter(imageId(1), 7));

    expect((await session.open(b)).meta.name).toBe('B');
    await saved;
    expect(storeA.closed).toBe(true);
    expect(session.require().dir).toBe(b);
    const labels = LabelsFile.parse(
      JSON.parse(await readFile(path.join(a, 'labels.json'), 'utf8')),
    );
    expect(counterOf(labels.faces[imageId(1)]!)).toBe(7);
    expect(await session.close()).toBe(true);
    expect(session.summary()).toBeNull();
  });

  it('keeps the current project open when the next one fails to open', async () => {
    const session = new ProjectSession();
    const a = path.join(root, 'a');
    await session.create(a, init);
    const notProject = path.join(root, 'empty');
    await mkdir(notProject);
    await expect(session.open(notProject)).rejects.toMatchObject({ code: 'not-found' });
    expect(session.summary()?.dir).toBe(a);
    expect(session.require().closed).toBe(false);
    await session.close();
  });

  it('reopening the same folder sees edits not yet written when it was asked', async () => {
    const session = new ProjectSession({ labelDebounceMs: 60_000 });
    const a = path.join(root, 'a');
    await session.create(a, init);
    await session.require().putImages([imageRecord(1)]);
    void session.require().saveFace(faceWithCounter(imageId(1), 3));
    const summary = await session.open(a);
    expect(summary.labelledCount).toBe(1);
    expect(counterOf(session.require().getFace(imageId(1))!)).toBe(3);
    await session.close();
  });
});
