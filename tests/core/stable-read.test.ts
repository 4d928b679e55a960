/**
 * readWhileUnchanged: a read during which labels.json was replaced (a compaction by the process
 * holding the project) is done again. identityOf: what "replaced" is judged by.
 */
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src-main/core/atomic-write';
import { identityOf, readWhileUnchanged } from '../../src-main/core/stable-read';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-stable-read-'));
  file = path.join(dir, 'labels.json');
  await writeFile(file, 'old');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readWhileUnchanged', () => {
  it('reads again when the file was replaced during the read', async () => {
    let reads = 0;
    const result = await readWhileUnchanged(file, async () => {
      reads += 1;
      const text = await readFile(file, 'utf8');
      // The first time, another process replaces the file (same size) right after it was read.
      if (reads === 1) await writeFileAtomic(file, 'new');
      return text;
    });
    expect(result).toBe('new');
    expect(reads).toBe(2);
  });

  it('reads once when nothing changes, and when the file does not exist', async () => {
    let reads = 0;
    expect(await readWhileUnchanged(file, async () => (reads += 1))).toBe(1);
    const missing = path.join(dir, 'missing.json');
    expect(await readWhileUnchanged(missing, async () => (reads += 1))).toBe(2);
  });

  it('gives up, naming the file, when it is replaced on every read', async () => {
    let reads = 0;
    await expect(
      readWhileUnchanged(file, async () => {
        reads += 1;
        await writeFileAtomic(file, `version ${reads}`);
      }),
    ).rejects.toThrow(`${file} was rewritten by another process each of 5 times it was read`);
    expect(reads).toBe(5);
  });
});

describe('identityOf', () => {
  /** Whole seconds, so that a time set again is the same to the nanosecond. */
  const at = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-01T00:00:01Z');
  const identityNow = async () => identityOf(await stat(file, { bigint: true }));

  it('stays while the file stays; a rename of the same bytes and time changes it', async () => {
    await utimes(file, at, at);
    const before = await identityNow();
    expect(await identityNow()).toBe(before);
    await writeFileAtomic(file, 'old');
    await utimes(file, at, at);
    // Same size and modification time: only the inode tells the rename.
    expect(await identityNow()).not.toBe(before);
  });

  it('changes with the modification time alone, and with the size alone', async () => {
    await utimes(file, at, at);
    const before = await identityNow();
    await utimes(file, at, later);
    const touched = await identityNow();
    expect(touched).not.toBe(before);
    await writeFile(file, 'older');
    await utimes(file, at, later);
    expect(await identityNow()).not.toBe(touched);
  });
});
