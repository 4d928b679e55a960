import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Split } from '../../../src-main/shared/domain';
import { StudioError } from '../../../src-main/shared/errors';
import {
  assignSplits,
  seededRandom,
  subjectFromFileName,
  withSplits,
  type SplitItem,
} from '../../../src-main/core/library/splits';
import { DATA } from './test-images';

/** CK+ file names start with the subject: `S005_001_00000011.png` → `S005`. */
const ckSubject = subjectFromFileName(/^(S\d+)_/);
let ck48: SplitItem[];

beforeAll(async () => {
  const root = join(DATA, 'ck48');
  ck48 = [];
  for (const expression of (await readdir(root)).sort()) {
    for (const name of (await readdir(join(root, expression))).sort()) {
      ck48.push({ id: `${expression}/${name}`, subject: ckSubject(name) });
    }
  }
});

const fractions = { train: 0.7, val: 0.15, test: 0.15 };

function subjectsBySplit(items: SplitItem[], splits: Map<string, Split>): Map<string, Set<Split>> {
  const seen = new Map<string, Set<Split>>();
  for (const item of items) {
    const set = seen.get(item.subject ?? item.id) ?? new Set<Split>();
    set.add(splits.get(item.id) ?? 'pool');
    seen.set(item.subject ?? item.id, set);
  }
  return seen;
}

describe('assignSplits on CK+ (981 images, 118 subjects)', () => {
  it('reads the data set the test expects', () => {
    expect(ck48).toHaveLength(981);
    expect(new Set(ck48.map((i) => i.subject)).size).toBe(118);
  });

  it('keeps every subject inside one split', () => {
    const splits = assignSplits(ck48, { fractions, seed: 7 });
    expect(splits.size).toBe(981);
    for (const [subject, used] of subjectsBySplit(ck48, splits)) {
      expect(used.size, `subject ${subject} in ${[...used].join(', ')}`).toBe(1);
    }
  });

  it('tracks the fractions in images', () => {
    const splits = assignSplits(ck48, { fractions, seed: 7 });
    const count = (s: Split): number => [...splits.values()].filter((v) => v === s).length;
    // Whole subjects (up to ~20 images each) move at once, so allow a few percent.
    expect(count('train') / 981).toBeCloseTo(0.7, 1);
    expect(Math.abs(count('val') / 981 - 0.15)).toBeLessThan(0.03);
    expect(Math.abs(count('test') / 981 - 0.15)).toBeLessThan(0.03);
    expect(count('pool')).toBe(0);
  });

  it('is deterministic for a seed and independent of input order', () => {
    const a = assignSplits(ck48, { fractions, seed: 'ck' });
    const b = assignSplits([...ck48].reverse(), { fractions, seed: 'ck' });
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    const other = assignSplits(ck48, { fractions, seed: 'another seed' });
    const differing = ck48.filter((i) => other.get(i.id) !== a.get(i.id)).length;
    expect(differing).toBeGreaterThan(100);
  });
});

describe('assignSplits without subjects', () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ id: `img${i}` }));

  it('leaves the unassigned fraction in the pool', () => {
    const splits = assignSplits(items, { fractions: { train: 0.1, val: 0.05, test: 0 }, seed: 1 });
    const counts = new Map<Split, number>();
    for (const s of splits.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ train: 100, val: 50, pool: 850 });
  });

  it('sets split on records and keeps their other fields', () => {
    const records = items.slice(0, 4).map((r) => ({ ...r, split: 'pool' as Split, width: 3 }));
    const out = withSplits(records, { fractions: { train: 1, val: 0, test: 0 }, seed: 1 });
    expect(out.map((r) => [r.split, r.width])).toEqual(Array(4).fill(['train', 3]));
  });

  it('gives a tie to the split first in train, val, test, pool order', () => {
    const one = [{ id: 'only' }];
    const split = (train: number, val: number, test: number): Split | undefined =>
      assignSplits(one, { fractions: { train, val, test }, seed: 1 }).get('only');
    expect(split(0.5, 0.5, 0)).toBe('train');
    expect(split(0, 0.5, 0.5)).toBe('val');
    expect(split(0, 0, 0.5)).toBe('test');
    expect(split(0, 0, 0)).toBe('pool');
    expect(split(0.2, 0.2, 0.2)).toBe('pool');
    expect(split(1, 0, 0)).toBe('train');
  });

  it('shuffles the groups evenly: each order of three comes out about as often over many seeds', () => {
    const three = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const third = 1 / 3;
    const orders = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const splits = assignSplits(three, {
        fractions: { train: third, val: third, test: third },
        seed,
      });
      // The first group shuffled to the front goes to train, the next to val, the last to test.
      const order = ['train', 'val', 'test']
        .map((split) => three.find((item) => splits.get(item.id) === split)?.id)
        .join('');
      orders.set(order, (orders.get(order) ?? 0) + 1);
    }
    expect([...orders.keys()].sort()).toEqual(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']);
    // 1000 expected each; a standard deviation is about 29.
    for (const count of orders.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('rejects fractions that do not fit, naming the fraction and its value', () => {
    const fit = (train: number, val: number, test: number) => () =>
      assignSplits(items, { fractions: { train, val, test }, seed: 1 });
    // A sum over 1 by rounding only: up to 1 + 1e-9 (which 0.5 + 0.5 + 1e-9 is, exactly) passes.
    expect(fit(0.5, 0.5, 1e-12)).not.toThrow();
    expect(0.5 + 0.5 + 1e-9).toBe(1 + 1e-9);
    expect(fit(0.5, 0.5, 1e-9)).not.toThrow();
    expect(fit(0.5, 0.5, 2e-9)).toThrow('Split fractions add up to 1, more than 1');
    expect(fit(0.6, 0.5, 0)).toThrow(
      new StudioError('invalid-payload', 'Split fractions add up to 1.1, more than 1'),
    );
    expect(fit(0.2, 1.5, 0)).toThrow(
      new StudioError('invalid-payload', 'Split fraction val must be in [0, 1], got 1.5'),
    );
    expect(fit(0.2, 0, Number.NaN)).toThrow(
      new StudioError('invalid-payload', 'Split fraction test must be in [0, 1], got NaN'),
    );
    expect(fit(Infinity, 0, 0)).toThrow('Split fraction train must be in [0, 1], got Infinity');
  });

  it('rejects fractions that do not fit', () => {
    expect(() =>
      assignSplits(items, { fractions: { train: 0.8, val: 0.2, test: 0.1 }, seed: 1 }),
    ).toThrow(/add up to 1\.1/);
    expect(() =>
      assignSplits(items, { fractions: { train: -0.1, val: 0, test: 0 }, seed: 1 }),
    ).toThrow(/train must be in \[0, 1\]/);
  });
});

/** mulberry32 as its author published it, to check seededRandom against. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    let t = (a += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('seededRandom', () => {
  it("is mulberry32 started from the FNV-1a hash of the seed's text", () => {
    // FNV-1a 32-bit test vectors: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    for (const [seed, hash] of [
      ['', 0x811c9dc5],
      ['a', 0xe40c292c],
      ['foobar', 0xbf9cf968],
    ] as const) {
      const random = seededRandom(seed);
      const reference = mulberry32(hash | 0);
      const draws = Array.from({ length: 5 }, () => random());
      expect(draws).toEqual(Array.from({ length: 5 }, () => reference()));
    }
    // A number seeds as its text.
    expect(seededRandom(42)()).toBe(seededRandom('42')());
  });

  it('draws evenly from [0, 1)', () => {
    const random = seededRandom('even');
    const buckets = Array.from({ length: 10 }, () => 0);
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]! += 1;
    }
    // 1000 expected each; a standard deviation is 30.
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});

describe('subjectFromFileName', () => {
  it('takes the first capture group of the base name', () => {
    expect(ckSubject('/data/ck48/happy/S010_006_00000015.png')).toBe('S010');
    expect(ckSubject('/data/other/face.png')).toBeUndefined();
  });
});
