import { describe, expect, it } from 'vitest';
import { serialiseByLine } from '../../src-main/core/json-layout';
import type { LineCache } from '../../src-main/core/json-layout';

describe('serialiseByLine', () => {
  it('writes valid JSON with one item per line', () => {
    const value = {
      version: 2,
      meta: { name: 'ü "quoted"', tags: ['a'] },
      list: [{ id: 1 }, { id: 2 }],
      empty: [],
      none: {},
      skipped: undefined,
    };
    const text = serialiseByLine(value).toString('utf8');
    expect(JSON.parse(text)).toEqual({ ...value, skipped: undefined });
    expect(text.split('\n')).toEqual([
      '{',
      '"version":2,',
      '"meta":{',
      '"name":"ü \\"quoted\\"",',
      '"tags":["a"]',
      '},',
      '"list":[',
      '{"id":1},',
      '{"id":2}',
      '],',
      '"empty":[],',
      '"none":{}',
      '}',
      '',
    ]);
  });

  it('re-encodes only replaced items when a field has a cache', () => {
    const faces: Record<string, { n: number }> = { a: { n: 1 }, b: { n: 2 } };
    const cache: LineCache = new WeakMap();
    const first = serialiseByLine({ faces }, { faces: cache });
    const cachedB = cache.get(faces.b!)!.bytes;
    faces.a = { n: 3 };
    const second = serialiseByLine({ faces }, { faces: cache });
    expect(JSON.parse(second.toString('utf8'))).toEqual({ faces: { a: { n: 3 }, b: { n: 2 } } });
    expect(JSON.parse(first.toString('utf8'))).toEqual({ faces: { a: { n: 1 }, b: { n: 2 } } });
    // The unchanged face's bytes were reused, not encoded again.
    expect(cache.get(faces.b!)!.bytes).toBe(cachedB);
  });

  it('does not reuse a cached line when the same item moves under another key', () => {
    const item = { n: 1 };
    const cache: LineCache = new WeakMap();
    serialiseByLine({ faces: { a: item } }, { faces: cache });
    const moved = serialiseByLine({ faces: { b: item } }, { faces: cache });
    expect(JSON.parse(moved.toString('utf8'))).toEqual({ faces: { b: { n: 1 } } });
  });
});
