import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AtomicJsonFile } from '../../src-main/core/atomic-json-file';

const Counter = z.object({ count: z.number().int(), tags: z.array(z.string()) });
type Counter = z.infer<typeof Counter>;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-json-'));
  file = path.join(dir, 'counter.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function database(): Low<Counter> {
  return new Low(new AtomicJsonFile(file, Counter), { count: 0, tags: [] });
}

describe('AtomicJsonFile with lowdb', () => {
  it('keeps the defaults when the file is missing, then writes and reads back from disk', async () => {
    const db = database();
    await db.read();
    expect(db.data).toEqual({ count: 0, tags: [] });
    await db.update((data) => {
      data.count = 7;
      data.tags.push('a', 'b');
    });
    // One item per line: valid JSON that a diff shows edit by edit.
    expect(await readFile(file, 'utf8')).toBe('{\n"count":7,\n"tags":[\n"a",\n"b"\n]\n}\n');
    const again = database();
    await again.read();
    expect(again.data).toEqual({ count: 7, tags: ['a', 'b'] });
  });

  it('reads text that is not ASCII as UTF-8, and ASCII text the same', async () => {
    const tags = ['visage-é', 'フォルダ', 'emoji 😀', 'plain'];
    await writeFile(file, JSON.stringify({ count: 1, tags }));
    const db = database();
    await db.read();
    expect(db.data.tags).toEqual(tags);
    await writeFile(file, JSON.stringify({ count: 2, tags: ['plain'] }));
    await db.read();
    expect(db.data).toEqual({ count: 2, tags: ['plain'] });
  });

  it.each([
    ['not JSON', '{"count": 3,', 'is corrupt: not valid JSON'],
    ['empty', '', 'is corrupt: the file is empty'],
    ['invalid', '{"count":"three","tags":[]}', 'is invalid: count: '],
  ])('rejects a %s file by name and leaves its bytes alone', async (_, content, problem) => {
    await writeFile(file, content);
    const db = database();
    await expect(db.read()).rejects.toMatchObject({ code: 'io' });
    await expect(db.read()).rejects.toThrow(`${file} ${problem}`);
    expect(await readFile(file, 'utf8')).toBe(content);
  });
});
