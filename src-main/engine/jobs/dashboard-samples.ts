/**
 * Which faces' predictions a run shows on the Train view's dashboard: a few, spread evenly over
 * the faces measured, the same every time (the gradient job's validation lines and the
 * backbone-head job's one validation line both draw them).
 */

/** Faces whose predictions a validation line carries. */
export const SAMPLE_FACES = 4;

/** Up to `count` indices spread evenly over `size`. */
export function sampleIndices(size: number, count = SAMPLE_FACES): number[] {
  if (size <= count) return Array.from({ length: size }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * size) / count));
}
