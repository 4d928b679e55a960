import { mkdirSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  describeWriteError,
  errorCode,
  isProcessAlive,
  removeAbandonedTempFiles,
  syncFolder,
  tempPathFor,
  writeFileAtomic,
  writeNewFileSynced,
} from '../../src-main/core/atomic-write';
import { StudioError } from '../../src-main/shared/errors';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file behind', async () => {
    const file = path.join(dir, 'data.json');
    await writeFile(file, 'old');
    await writeFileAtomic(file, '{"new":true}');
    expect(await readFile(file, 'utf8')).toBe('{"new":true}');
    expect(await readdir(dir)).toEqual(['data.json']);
  });

  it('serialises concurrent writes to one file in call order', async () => {
    const file = path.join(dir, 'data.txt');
    // Large, distinct payloads: interleaved writes would mix their bytes.
    const payloads = Array.from({ length: 40 }, (_, i) => String(i % 10).repeat(200_000 + i));
    const finished: number[] = [];
    await Promise.all(
      payloads.map((payload, i) => writeFileAtomic(file, payload).then(() => finished.push(i))),
    );
    expect(finished).toEqual(payloads.map((_, i) => i));
    expect(await readFile(file, 'utf8')).toBe(payloads[39]);
    expect(await readdir(dir)).toEqual(['data.txt']);
  });

  it('names the file when its folder does not exist, and later writes still run', async () => {
    const file = path.join(dir, 'missing', 'data.json');
    const failed = writeFileAtomic(file, 'x');
    const ok = writeFileAtomic(path.join(dir, 'ok.json'), 'y');
    await expect(failed).rejects.toMatchObject({ code: 'io' });
    await expect(failed).rejects.toThrow(`Cannot write ${file}`);
    await ok;
    // A failed write must not poison the queue of its path.
    await writeFileAtomic(path.join(dir, 'missing.json'), 'z');
    expect(await readFile(path.join(dir, 'missing.json'), 'utf8')).toBe('z');
  });

  it('runs a write queued behind a failed write to the same path', async () => {
    const folder = path.join(dir, 'later');
    const file = path.join(folder, 'data.json');
    const failed = writeFileAtomic(file, 'first');
    // Create the folder as soon as the first write has failed, before the queued one starts:
    // this handler is registered before the second call, so it runs first.
    const reported = failed.catch((error: unknown) => {
      mkdirSync(folder);
      return error;
    });
    const queued = writeFileAtomic(file, 'second');
    expect(await reported).toMatchObject({ code: 'io' });
    await expect(queued).resolves.toBeUndefined();
    expect(await readFile(file, 'utf8')).toBe('second');
    expect(await readdir(folder)).toEqual(['data.json']);
  });
});

describe('describeWriteError', () => {
  it.each(['EACCES', 'EPERM', 'EROFS'])('says the folder is read-only for %s', (code) => {
    const error = Object.assign(new Error('denied'), { code });
    const described = describeWriteError('/p/labels.json', error);
    expect(described).toBeInstanceOf(StudioError);
    expect(described.code).toBe('io');
    expect(described.message).toBe(
      `Cannot write /p/labels.json: the folder /p is read-only or not writable (${code})`,
    );
  });
});

describe('removeAbandonedTempFiles', () => {
  it('removes temp files of dead writers and keeps live ones and other files', async () => {
    // pid 2^22+1 is above Linux's pid_max default ceiling, so no live process has it.
    const dead = `.labels.json.${2 ** 22 + 1}-3.tmp`;
    const live = `.labels.json.${process.pid}-9.tmp`;
    for (const name of [dead, live, 'labels.json', '.hidden']) {
      await writeFile(path.join(dir, name), 'x');
    }
    expect(await removeAbandonedTempFiles(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['.hidden', live, 'labels.json'].sort());
  });
});

/** This process's open file descriptors (Linux). */
const openFiles = () => readdirSync('/proc/self/fd').length;

describe('writeFileAtomic, more', () => {
  it('keeps a later write behind one still queued after an earlier one finished', async () => {
    const file = path.join(dir, 'data.txt');
    const finished: string[] = [];
    const first = writeFileAtomic(file, 'a').then(() => finished.push('first'));
    const big = 'b'.repeat(4_000_000);
    const second = writeFileAtomic(file, big).then(() => finished.push('second'));
    await first;
    // The second write is queued or under way: a third must wait for it.
    await writeFileAtomic(file, 'c').then(() => finished.push('third'));
    await second;
    expect(finished).toEqual(['first', 'second', 'third']);
    expect(await readFile(file, 'utf8')).toBe('c');
  });

  it('names the file when it cannot replace a folder, and leaves no temp file', async () => {
    const file = path.join(dir, 'taken');
    await mkdir(file);
    await writeFile(path.join(file, 'inside.txt'), 'x');
    await expect(writeFileAtomic(file, 'data')).rejects.toThrow(`Cannot write ${file}: `);
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('closes every file it opens', async () => {
    const before = openFiles();
    for (let i = 0; i < 20; i += 1) {
      await writeNewFileSynced(path.join(dir, `n${i}.txt`), `${i}`);
      await syncFolder(dir);
    }
    expect(openFiles()).toBe(before);
    expect(await readFile(path.join(dir, 'n7.txt'), 'utf8')).toBe('7');
  });

  it("names temp files after the target, this process's pid and a count", () => {
    const target = path.join(dir, 'labels.json');
    const a = tempPathFor(target);
    const b = tempPathFor(target);
    const name = new RegExp(`^\\.labels\\.json\\.${process.pid}-(\\d+)\\.tmp$`);
    expect(path.dirname(a)).toBe(dir);
    expect(Number(name.exec(path.basename(b))![1])).toBe(
      Number(name.exec(path.basename(a))![1]) + 1,
    );
  });
});

describe('describeWriteError, each kind of error', () => {
  it.each([
    ['ENOSPC', 'the disk is full (ENOSPC)'],
    ['EDQUOT', 'the disk is full (EDQUOT)'],
    ['ENOENT', 'the folder /p does not exist (ENOENT)'],
    ['ENOTDIR', 'the folder /p does not exist (ENOTDIR)'],
    ['EIO', 'i/o failed'],
  ])('says what %s means, keeping the error as the cause', (code, reason) => {
    const error = Object.assign(new Error('i/o failed'), { code });
    const described = describeWriteError('/p/labels.json', error);
    expect(described.message).toBe(`Cannot write /p/labels.json: ${reason}`);
    expect(described.cause).toBe(error);
  });

  it('passes a StudioError through, and writes out anything else thrown', () => {
    const studio = new StudioError('io', 'already said');
    expect(describeWriteError('/p/a', studio)).toBe(studio);
    expect(describeWriteError('/p/a', 'odd').message).toBe('Cannot write /p/a: odd');
  });

  it("reads a system error's code, and nothing else's", () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'EIO' }))).toBe('EIO');
    expect(errorCode({ code: 5 })).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode('EIO')).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
  });
});

describe('removeAbandonedTempFiles and isProcessAlive, more', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("keeps another live process's temp file, and finds none in a missing folder", async () => {
    const parent = `.labels.json.${process.ppid}-2.tmp`;
    await writeFile(path.join(dir, parent), 'x');
    expect(await removeAbandonedTempFiles(dir)).toBe(0);
    expect(await readdir(dir)).toEqual([parent]);
    expect(await removeAbandonedTempFiles(path.join(dir, 'missing'))).toBe(0);
  });

  it("counts another user's process (EPERM) as alive and a gone one (ESRCH) as not", () => {
    const kill = vi.spyOn(process, 'kill');
    kill.mockImplementation(() => {
      throw Object.assign(new Error('not permitted'), { code: 'EPERM' });
    });
    expect(isProcessAlive(4242)).toBe(true);
    kill.mockImplementation(() => {
      throw Object.assign(new Error('no such process'), { code: 'ESRCH' });
    });
    expect(isProcessAlive(4242)).toBe(false);
  });
});
