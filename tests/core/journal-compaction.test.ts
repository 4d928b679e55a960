import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalCompaction } from '../../src-main/core/journal-compaction';
import type { JournalFold } from '../../src-main/core/journal-compaction';
import { LabelsJournal } from '../../src-main/core/labels-journal';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-compaction-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A journal of numbers folded into a list: `durable` is what the journal holds, `file` what the
 * last write put in the file, `failWrites` makes the next writes fail.
 */
function numbers(options: Partial<JournalFold<number[]>> = {}) {
  const state = { durable: [] as number[], file: [] as number[], writes: 0, failWrites: 0 };
  const log = new JournalCompaction(
    new LabelsJournal(dir, undefined, undefined),
    {
      snapshot: () => [...state.durable],
      write: async (snapshot) => {
        state.writes++;
        if (state.failWrites > 0) {
          state.failWrites--;
          throw new Error('disk full');
        }
        state.file = snapshot;
      },
      compactAfterEdits: 3,
      compactAfterBytes: 1_000_000,
      isClosed: () => false,
      ...options,
    },
    0,
  );
  const append = async (value: number) => {
    await log.inQueue(async () => {
      await log.journal.append(Buffer.from(`${JSON.stringify(value)}\n`));
      state.durable.push(value);
      log.edits++;
    });
    log.compactIfDue();
  };
  return { log, state, append };
}

const files = async () => (await readdir(dir)).sort();

describe('JournalCompaction', () => {
  it('folds the journal into the file once it holds the threshold, not before', async () => {
    const { log, state, append } = numbers();
    await append(1);
    await append(2);
    await log.settled();
    expect(state.writes).toBe(0);
    expect(await files()).toEqual(['labels.journal.jsonl']);
    await append(3);
    await log.settled();
    expect(state.file).toEqual([1, 2, 3]);
    expect(log.edits).toBe(0);
    expect(await files()).toEqual([]);
  });

  it('keeps appends made while the file is written in the fresh journal', async () => {
    let release = () => {};
    const writing = new Promise<void>((resolve) => (release = resolve));
    let started = () => {};
    const writeStarted = new Promise<void>((resolve) => (started = resolve));
    const written: number[][] = [];
    const { log, append } = numbers({
      compactAfterEdits: 100,
      write: async (snapshot) => {
        started();
        await writing;
        written.push(snapshot);
      },
    });
    await append(1);
    const compaction = log.compact();
    await writeStarted; // rotated, the snapshot taken
    await append(2);
    release();
    await compaction;
    expect(written).toEqual([[1]]);
    // The append saw a compaction under way, so it folds the fresh journal next.
    await log.settled();
    expect(written).toEqual([[1], [1, 2]]);
    expect(await files()).toEqual([]);
    expect(log.edits).toBe(0);
  });

  it('after a failed compaction waits for as many more edits, and loses nothing', async () => {
    const { log, state, append } = numbers();
    state.failWrites = 1;
    for (const value of [1, 2, 3]) await append(value);
    await log.settled();
    expect(state.writes).toBe(1);
    expect(state.file).toEqual([]);
    // The compacting file holds the three edits; the next edits do not retry at once.
    expect(await files()).toEqual(['labels.journal.compacting.jsonl']);
    await append(4);
    await append(5);
    await log.settled();
    expect(state.writes).toBe(1);
    await append(6);
    await log.settled();
    expect(state.writes).toBe(2);
    expect(state.file).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await files()).toEqual([]);
  });

  it('once a retry succeeds, compacts again at the threshold, not after the old wait', async () => {
    // A 10-byte line passes the byte threshold on its own.
    const { log, state, append } = numbers({ compactAfterBytes: 10 });
    state.failWrites = 1;
    for (const value of [1, 2, 3]) await append(value);
    await log.settled();
    for (const value of [4, 5, 6]) await append(value);
    await log.settled();
    expect(state.writes).toBe(2);
    expect(state.file).toEqual([1, 2, 3, 4, 5, 6]);
    await append(123456789);
    await log.settled();
    expect(state.writes).toBe(3);
    expect(state.file).toEqual([1, 2, 3, 4, 5, 6, 123456789]);
  });

  it('queues one background compaction at a time', async () => {
    let release = () => {};
    const writing = new Promise<void>((resolve) => (release = resolve));
    const written: number[][] = [];
    const { log, append } = numbers({
      compactAfterEdits: 1,
      write: async (snapshot) => {
        await writing;
        written.push(snapshot);
      },
    });
    await append(1); // queues a compaction, whose write waits
    await append(2); // due too, but one is queued already
    release();
    await log.settled();
    expect(written).toEqual([[1]]);
    expect(await files()).toEqual(['labels.journal.jsonl']);
  });

  it('starts no background compaction once closed, but compacts when asked', async () => {
    let closed = false;
    const { log, state, append } = numbers({ isClosed: () => closed });
    closed = true;
    for (const value of [1, 2, 3]) await append(value);
    await log.settled();
    expect(state.writes).toBe(0);
    await log.compact();
    expect(state.file).toEqual([1, 2, 3]);
  });

  it('discard drops the journal and the count', async () => {
    const { log, append } = numbers({ compactAfterEdits: 100 });
    await append(1);
    await log.discard();
    expect(log.edits).toBe(0);
    expect(await files()).toEqual([]);
  });
});
