import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AtomicJsonFile,
  describeIssues,
  parseJsonText,
  readJsonFile,
} from '../../src-main/core/atomic-json-file';
import { StudioError } from '../../src-main/shared/errors';

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

describe('readJsonFile and parseJsonText', () => {
  it('names a folder read as a file, keeping the read error as the cause', async () => {
    const error: unknown = await readJsonFile(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toBe(`Cannot read ${dir}: it is a folder, not a file`);
    expect((error as StudioError).cause).toMatchObject({ code: 'EISDIR' });
  });

  it("gives any other read error's own message, by file", async () => {
    await writeFile(file, '{}');
    const inside = path.join(file, 'x.json');
    await expect(readJsonFile(inside)).rejects.toThrow(`Cannot read ${inside}: ENOTDIR`);
  });

  it('resolves a missing file to undefined', async () => {
    expect(await readJsonFile(path.join(dir, 'missing.json'))).toBeUndefined();
  });

  it('calls a file of spaces and newlines empty', () => {
    expect(() => parseJsonText('a.json', ' \n\t\r\n ')).toThrow(
      'a.json is corrupt: the file is empty',
    );
  });

  it("keeps the parser's error as the cause of a corrupt file's", () => {
    const error: unknown = (() => {
      try {
        return parseJsonText('a.json', '{"a": tru}');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).cause).toBeInstanceOf(SyntaxError);
  });
});

describe('describeIssues', () => {
  const Five = z.object({
    a: z.number(),
    b: z.number(),
    c: z.number(),
    d: z.number(),
    e: z.number(),
  });
  const issuesOf = (schema: z.ZodType, value: unknown): z.ZodError => {
    const result = schema.safeParse(value);
    if (result.success) throw new Error('expected the value to fail the schema');
    return result.error;
  };

  it('lists the first three problems by path and counts the rest', () => {
    const error = issuesOf(Five, { a: 1, b: 'x', c: 'y', d: 'z', e: null, f: 0 });
    const [b, c, d] = error.issues.map((issue) => issue.message);
    expect(error.issues).toHaveLength(4);
    expect(describeIssues(error)).toBe(`b: ${b}; c: ${c}; d: ${d}; and 1 more`);
  });

  it('lists every problem when there are no more than the limit', () => {
    const error = issuesOf(Five, { a: 1, b: 2, c: 'x', d: 'y', e: 'z' });
    const [c, d, e] = error.issues.map((issue) => issue.message);
    expect(describeIssues(error)).toBe(`c: ${c}; d: ${d}; e: ${e}`);
    expect(describeIssues(issuesOf(Five, { a: 1, b: 2, c: 3, d: 4, e: 'z' }), 1)).toBe(
      `e: ${error.issues[2]!.message}`,
    );
  });

  it('says where a problem is: a nested path, or the top level', () => {
    const nested = issuesOf(Counter, { count: 1, tags: ['a', 2] });
    expect(describeIssues(nested)).toBe(`tags.1: ${nested.issues[0]!.message}`);
    const top = issuesOf(Counter, 5);
    expect(describeIssues(top)).toBe(`(top level): ${top.issues[0]!.message}`);
  });
});
