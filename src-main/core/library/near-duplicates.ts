/**
 * Near-duplicate images by perceptual hash: dHash, 64 bits from a 9×8 greyscale thumbnail (each
 * bit: is this pixel darker than its right neighbour). Robust to resizing, recompression and small
 * colour changes; two images within `maxDistance` differing bits are near-duplicates.
 *
 * Grouping avoids comparing every pair (5·10⁹ pairs at 100,000 images): the 64 bits are cut into
 * maxDistance + 1 bands; two hashes that differ in at most maxDistance bits agree exactly on at
 * least one band (pigeonhole), so only hashes sharing a band value are compared.
 */
import type { Sharp } from 'sharp';

/** 5 of 64 bits: a copy shrunk and re-encoded at JPEG quality 40 differed by 4; different faces by >10. */
export const DEFAULT_NEAR_DUPLICATE_DISTANCE = 5;

/** dHash of an upright image, as 16 hex digits. */
export async function dHash(upright: Sharp): Promise<string> {
  const { data } = await upright
    .greyscale()
    .resize(9, 8, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return dHashOfGrey9x8(data);
}

/** dHash from 72 grey bytes, rows of 9, top to bottom. */
export function dHashOfGrey9x8(grey: Uint8Array): string {
  if (grey.length < 72) throw new Error(`dHash needs 9×8 grey pixels, got ${grey.length} bytes`);
  let bits = 0n;
  for (let row = 0; row < 8; row++) {
    for (let col = 0; col < 8; col++) {
      const left = grey[row * 9 + col] ?? 0;
      const right = grey[row * 9 + col + 1] ?? 0;
      bits = (bits << 1n) | (left < right ? 1n : 0n);
    }
  }
  return bits.toString(16).padStart(16, '0');
}

export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (x) {
    x &= x - 1n;
    count++;
  }
  return count;
}

export interface HashedImage {
  id: string;
  hash: string;
}

/** Groups of ids (two or more each, in input order) linked by distance ≤ maxDistance. */
export function groupNearDuplicates(
  images: readonly HashedImage[],
  maxDistance = DEFAULT_NEAR_DUPLICATE_DISTANCE,
): string[][] {
  const bands = bandRanges(maxDistance + 1);
  const parent = images.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      const up = parent[parent[i] ?? i] ?? i;
      parent[i] = up;
      i = up;
    }
    return i;
  };
  const values = images.map((image) => BigInt(`0x${image.hash}`));
  for (const [start, width] of bands) {
    const buckets = new Map<bigint, number[]>();
    const mask = (1n << BigInt(width)) - 1n;
    values.forEach((value, i) => {
      const key = (value >> BigInt(start)) & mask;
      const bucket = buckets.get(key);
      if (bucket) bucket.push(i);
      else buckets.set(key, [i]);
    });
    for (const bucket of buckets.values()) {
      for (let a = 0; a < bucket.length; a++) {
        for (let b = a + 1; b < bucket.length; b++) {
          const i = bucket[a] ?? 0;
          const j = bucket[b] ?? 0;
          if (root(i) === root(j)) continue;
          const hashI = images[i]?.hash ?? '';
          const hashJ = images[j]?.hash ?? '';
          if (hammingDistance(hashI, hashJ) <= maxDistance) parent[root(j)] = root(i);
        }
      }
    }
  }
  const groups = new Map<number, string[]>();
  images.forEach((image, i) => {
    const r = root(i);
    const group = groups.get(r);
    if (group) group.push(image.id);
    else groups.set(r, [image.id]);
  });
  return [...groups.values()].filter((g) => g.length > 1);
}

/** [start bit, width] of `count` bands covering 64 bits as evenly as possible. */
function bandRanges(count: number): [number, number][] {
  const n = Math.min(64, Math.max(1, count));
  const ranges: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const width = Math.floor(64 / n) + (i < 64 % n ? 1 : 0);
    ranges.push([start, width]);
    start += width;
  }
  return ranges;
}
