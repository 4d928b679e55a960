/**
 * Assigns images to pool/train/val/test by seeded random fractions. With subjects (e.g. CK+'s
 * `S005` in `S005_001_00000011.png`), whole subjects are assigned, so no person appears in two
 * splits and validation measures generalisation to new faces. Pure: the same images, fractions
 * and seed give the same splits, whatever order the images come in.
 */
import { basename } from 'node:path';
import type { Split } from '../../shared/domain';
import { StudioError } from '../../shared/errors';

export interface SplitFractions {
  /** Each in [0, 1]; their sum at most 1; what is left goes to `pool` (unlabelled). */
  train: number;
  val: number;
  test: number;
}

export interface SplitItem {
  id: string;
  /** Items with the same subject land in the same split; none means a subject of its own. */
  subject?: string | undefined;
}

export interface SplitOptions {
  fractions: SplitFractions;
  /** Any integer or string; the same seed gives the same assignment. */
  seed: number | string;
}

const SPLIT_ORDER = ['train', 'val', 'test', 'pool'] as const satisfies readonly Split[];

/** Returns each item's split, keyed by id. */
export function assignSplits(
  items: readonly SplitItem[],
  options: SplitOptions,
): Map<string, Split> {
  const targets = targetFractions(options.fractions);
  // Groups sorted by key first, so the input order does not matter; then shuffled by the seed.
  const groups = new Map<string, string[]>();
  for (const item of items) {
    const key = item.subject !== undefined ? `s:${item.subject}` : `i:${item.id}`;
    const members = groups.get(key);
    if (members) members.push(item.id);
    else groups.set(key, [item.id]);
  }
  const keys = [...groups.keys()].sort();
  shuffle(keys, seededRandom(options.seed));

  // Greedy: each group goes to the split furthest below its target share, so image counts track
  // the fractions even when subjects have very different numbers of images.
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0, pool: 0 };
  const result = new Map<string, Split>();
  let assigned = 0;
  for (const key of keys) {
    const members = groups.get(key) ?? [];
    const after = assigned + members.length;
    let best: Split = 'pool';
    let bestDeficit = -Infinity;
    for (const split of SPLIT_ORDER) {
      if (targets[split] === 0) continue;
      const deficit = targets[split] * after - counts[split];
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = split;
      }
    }
    counts[best] += members.length;
    assigned = after;
    for (const id of members) result.set(id, best);
  }
  return result;
}

/** The same records with their `split` set; records keep every other field. */
export function withSplits<T extends SplitItem & { split: Split }>(
  records: readonly T[],
  options: SplitOptions,
): T[] {
  const splits = assignSplits(records, options);
  return records.map((r) => ({ ...r, split: splits.get(r.id) ?? r.split }));
}

/**
 * A subject key from the file name: the first capture group of `pattern` matched against the
 * base name, or undefined when it does not match. CK+: `/^(S\d+)_/` gives `S005`.
 */
export function subjectFromFileName(pattern: RegExp): (path: string) => string | undefined {
  return (path) => pattern.exec(basename(path))?.[1];
}

function targetFractions(fractions: SplitFractions): Record<Split, number> {
  const { train, val, test } = fractions;
  for (const [name, value] of Object.entries(fractions)) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new StudioError(
        'invalid-payload',
        `Split fraction ${name} must be in [0, 1], got ${value}`,
      );
    }
  }
  const sum = train + val + test;
  if (sum > 1 + 1e-9) {
    throw new StudioError(
      'invalid-payload',
      `Split fractions add up to ${Number(sum.toFixed(6))}, more than 1`,
    );
  }
  return { train, val, test, pool: Math.max(0, 1 - sum) };
}

/** Fisher–Yates in place. */
function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}

/** mulberry32 seeded from FNV-1a of the seed's text: small, fast and the same on every platform. */
export function seededRandom(seed: number | string): () => number {
  let state = 0x811c9dc5;
  for (const char of String(seed)) {
    state ^= char.codePointAt(0) ?? 0;
    state = Math.imul(state, 0x01000193);
  }
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
