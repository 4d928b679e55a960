/**
 * The library's import handlers (src-main/app/handlers/library.ts): a folder with nothing to
 * import is refused by `library:importFolder` itself, before a job starts, so the page sees the
 * error in the answer; a job's progress names its stage; an `images` import with a bad file
 * ends with the file listed and the good count, and `skipBad` then imports the rest; and
 * `overwriteLabels` reaches the import.
 */
import { copyFile, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectSession } from '../../../src-main/core/project-session';
import { dispatch } from '../../../src-main/app/dispatch';
import type { createHandlers } from '../../../src-main/app/handlers';
import type { EventChannel, EventPayload } from '../../../src-main/shared/ipc-contract';
import { BAD_IMAGES } from '../../core/library/test-images';
import { writePtsSet } from '../../core/library/tiny-sets';
import { idleHandlers } from './studio-fixture';

let workDir: string;
let session: ProjectSession;
let events: { event: EventChannel; payload: unknown }[];
let handlers: ReturnType<typeof createHandlers>;
/** Called after each `library:importDone` while a test waits for its import to finish. */
let waiting: (() => void) | null;

// Each test gets its own empty project, handlers and event log: any test runs alone, in any order.
beforeEach(async () => {
  events = [];
  workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'library-handlers-')));
  session = new ProjectSession({ labelDebounceMs: 5 });
  await session.create(path.join(workDir, 'project'), {
    name: 'handlers',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  waiting = null;
  handlers = idleHandlers(session, workDir, (event, payload) => {
    events.push({ event, payload });
    if (event === 'library:importDone') waiting?.();
  });
});
afterEach(async () => {
  await session.close();
  await rm(workDir, { recursive: true, force: true });
});

function eventsOf<E extends EventChannel>(event: E): EventPayload<E>[] {
  return events.filter((e) => e.event === event).map((e) => e.payload as EventPayload<E>);
}

/** Starts an import and waits for its `library:importDone` (no polling deadline: load cannot fail it). */
async function importDone(
  payload: Record<string, unknown>,
): Promise<EventPayload<'library:importDone'>> {
  const started = await dispatch(handlers, 'library:importFolder', payload);
  if (!started.ok) throw new Error(started.error.message);
  const { jobId } = started.value as { jobId: string };
  const done = () => eventsOf('library:importDone').find((event) => event.jobId === jobId);
  return (
    done() ??
    new Promise((resolve) => {
      waiting = () => {
        const event = done();
        if (event) resolve(event);
      };
    })
  );
}

// The timeout only guards against a hang: imports take seconds each with both cores busy.
describe('library:importFolder', { timeout: 120_000 }, () => {
  it('refuses an empty folder in its answer, starting no job', async () => {
    const empty = path.join(workDir, 'empty');
    await mkdir(empty);
    const before = events.length;
    const answer = await dispatch(handlers, 'library:importFolder', { dir: empty });
    expect(answer).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining(`${empty} is empty: nothing to import`) },
    });
    expect(events.length).toBe(before);
  });

  it('lists undecodable images with the good count; skipBad imports the rest', async () => {
    const dir = path.join(workDir, 'images');
    await writePtsSet(dir, 2);
    await copyFile(path.join(BAD_IMAGES, 'truncated.png'), path.join(dir, 'broken.png'));
    const refused = await importDone({ dir, format: 'images' });
    expect(refused).toMatchObject({ added: 0, goodImages: 2, cancelled: false });
    expect(refused.failed.map((f) => path.basename(f.file))).toEqual(['broken.png']);
    expect(refused.error).toContain('broken.png');
    expect(session.require().listImages()).toHaveLength(0);
    const stages = eventsOf('library:importProgress').map((p) => p.stage);
    expect(stages[0]).toBe('scanning');
    expect(stages).toContain('importing');

    const skipped = await importDone({ dir, format: 'images', skipBad: true });
    expect(skipped.added).toBe(2);
    expect(skipped.error).toBeUndefined();
    expect(skipped.goodImages).toBeUndefined();
    expect(skipped.failed.map((f) => path.basename(f.file))).toEqual(['broken.png']);
  });

  it('passes overwriteLabels to the import', async () => {
    const dir = path.join(workDir, 'pts');
    await writePtsSet(dir, 2);
    const first = await importDone({ dir, format: 'pts' });
    expect(first.faces).toEqual({ added: 2, unchanged: 0, kept: 0, overwritten: 0 });
    const store = session.require();
    const face = store.getFace(store.listImages()[0]!.id)!;
    face.points[3] = { x: 1, y: 1, v: 1, source: 'human', confirmed: true };
    await store.saveFace(face);
    const kept = await importDone({ dir, format: 'pts' });
    expect(kept.faces).toEqual({ added: 0, unchanged: 1, kept: 1, overwritten: 0 });
    const overwritten = await importDone({ dir, format: 'pts', overwriteLabels: true });
    expect(overwritten.faces).toEqual({ added: 0, unchanged: 1, kept: 0, overwritten: 1 });
  });
});
