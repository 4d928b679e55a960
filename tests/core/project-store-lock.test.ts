/**
 * ProjectStore and the project lock: a project another process has open cannot be opened or
 * created for writing here (the error names the holder), a read-only store reads it meanwhile and
 * writes nothing, and one process may hold several stores of a folder.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, type LockRecord } from '../../src-main/core/project-lock';
import { ProjectStore } from '../../src-main/core/project-store';
import { StudioError } from '../../src-main/shared/errors';
import { bundleLockChild, startLockChild, type LockChild } from './fixtures/lock-children';
import { counterOf, faceWithCounter, imageId, imageRecord } from '../support/project-data';
import { fileTexts } from '../support/folder-snapshot';
import { fromVersion0, writeVersion0Project } from './fixtures/version-0-project';

const init = { name: 'Locked', landmarkSchema: 'ibug68', attributeSchema: null };

let work: string;
let bundle: string;
let dir: string;
const live = new Set<LockChild>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'fs-store-lock-'));
  bundle = await bundleLockChild(work);
});
afterAll(async () => {
  for (const child of live) child.kill();
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(work, 'project-'));
});

async function storeChild(): Promise<LockChild> {
  const child = await startLockChild(bundle, 'store', dir, 'face-studio serve');
  live.add(child);
  void child.ended.then(() => live.delete(child));
  return child;
}

async function ask(child: LockChild, command: string): Promise<string> {
  child.send(command);
  return child.line();
}

async function refused(attempt: Promise<unknown>): Promise<StudioError> {
  const error: unknown = await attempt.then(
    () => new Error('it was allowed'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StudioError);
  return error as StudioError;
}

describe('ProjectStore with the project lock', () => {
  it('refuses to open or create a project another process has open; a read-only store reads it', async () => {
    const made = await ProjectStore.create(dir, init);
    await made.putImages([imageRecord(1)]);
    await made.close();
    const holder = await storeChild();
    expect(await ask(holder, 'TAKE')).toBe('TOOK');
    // A label save acknowledged by the holder, still in its journal (not yet compacted).
    expect(await ask(holder, 'SAVE')).toBe('SAVED');
    const before = await fileTexts(dir);
    expect(Object.keys(before)).toContain('labels.journal.jsonl');
    const held = JSON.parse(before[LOCK_FILE]!) as LockRecord;

    const opening = await refused(ProjectStore.open(dir));
    expect(opening.code).toBe('conflict');
    expect(opening.message).toBe(
      `The project ${dir} is open in face-studio serve, pid ${holder.pid} on host ` +
        `${os.hostname()} since ${held.since}; close it there first. Reading commands ` +
        '(`project info`, `export`) still work meanwhile.',
    );
    const creating = await refused(ProjectStore.create(dir, init));
    expect(creating.message).toContain(`is open in face-studio serve, pid ${holder.pid}`);

    const reader = await ProjectStore.open(dir, { readOnly: true });
    expect(reader.readOnly).toBe(true);
    expect(reader.summary()).toMatchObject({ imageCount: 1, labelledCount: 1 });
    expect(counterOf(reader.getFace(imageId(1))!)).toBe(1);
    const putting = await refused(reader.putImages([imageRecord(2)]));
    expect(putting.code).toBe('forbidden');
    expect(putting.message).toContain(`The project ${dir} was opened read-only`);
    expect((await refused(reader.saveFace(faceWithCounter(imageId(1), 9)))).code).toBe('forbidden');
    expect((await refused(reader.removeImages([imageId(1)]))).code).toBe('forbidden');
    await reader.close();
    // Nothing was written: no compaction by the reader's close, the holder's lock untouched.
    expect(await fileTexts(dir)).toEqual(before);

    expect(await ask(holder, 'RELEASE')).toBe('RELEASED');
    expect(Object.keys(await fileTexts(dir))).not.toContain(LOCK_FILE);
    const next = await ProjectStore.open(dir);
    expect(counterOf(next.getFace(imageId(1))!)).toBe(1);
    await next.close();
  });

  it('keeps the lock while any store of this process holds the folder', async () => {
    const first = await ProjectStore.create(dir, init);
    const second = await ProjectStore.open(dir);
    await first.close();
    const other = await storeChild();
    expect(await ask(other, 'TAKE')).toMatch(/^REFUSED .*is open in /);
    await second.close();
    expect(Object.keys(await fileTexts(dir))).not.toContain(LOCK_FILE);
    expect(await ask(other, 'TAKE')).toBe('TOOK');
    expect(await ask(other, 'RELEASE')).toBe('RELEASED');
  });

  it('migrates an old project in memory only when it opens it read-only', async () => {
    await writeVersion0Project(dir);
    const before = await fileTexts(dir);
    const reader = await ProjectStore.open(dir, {
      readOnly: true,
      migrations: fromVersion0,
    });
    expect(reader.summary()).toMatchObject({ imageCount: 1, meta: { name: 'Old project' } });
    await reader.close();
    // No backup, no migrated files, no lock: the folder is as it was.
    expect(await readdir(dir)).toEqual(['project.json']);
    expect(await fileTexts(dir)).toEqual(before);
  });

  it('releases the lock when an open fails', async () => {
    // Not a project: the open fails after taking the lock, and must not keep it.
    const error = await refused(ProjectStore.open(dir));
    expect(error.message).toContain('project.json is missing');
    expect(Object.keys(await fileTexts(dir))).toEqual([]);
  });
});
