/**
 * Plane geometry shared by the engine (face crops) and the renderer (the labelling canvas): pure
 * functions of image-pixel coordinates, with no dependencies, so both sides of the bridge can use
 * them.
 */
import type { Box } from './domain';

export interface Point {
  x: number;
  y: number;
}

/** The smallest rectangle around `points`, or null when there are none. */
export function boundsOf(points: readonly Point[]): Box | null {
  if (points.length === 0) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}
