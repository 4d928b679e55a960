/** Where the shared research data and this area's fixtures live, from the test files. */
import { fileURLToPath } from 'node:url';

export const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
export const BAD_INPUT = fileURLToPath(
  new URL('../../fixtures/bad-input/formats/', import.meta.url),
);

/** Largest coordinate difference between two point lists of the same length. */
export function maxPointError(
  a: readonly { x: number; y: number }[],
  b: readonly { x: number; y: number }[],
): number {
  if (a.length !== b.length) return Infinity;
  return Math.max(
    0,
    ...a.map((p, i) => Math.max(Math.abs(p.x - b[i]!.x), Math.abs(p.y - b[i]!.y))),
  );
}
