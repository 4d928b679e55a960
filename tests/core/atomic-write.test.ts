import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  describeWriteError,
  removeAbandonedTempFiles,
  writeFileAtomic,
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
