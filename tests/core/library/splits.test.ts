import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Split } from '../../../src-main/shared/domain';
import {
  assignSplits,
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

  it('rejects fractions that do not fit', () => {
    expect(() =>
      assignSplits(items, { fractions: { train: 0.8, val: 0.2, test: 0.1 }, seed: 1 }),
    ).toThrow(/add up to 1\.1/);
    expect(() =>
      assignSplits(items, { fractions: { train: -0.1, val: 0, test: 0 }, seed: 1 }),
    ).toThrow(/train must be in \[0, 1\]/);
  });
});

describe('subjectFromFileName', () => {
  it('takes the first capture group of the base name', () => {
    expect(ckSubject('/data/ck48/happy/S010_006_00000015.png')).toBe('S010');
    expect(ckSubject('/data/other/face.png')).toBeUndefined();
  });
});
