/**
 * Mirror-pair flips of landmark targets in crop coordinates, for flip augmentation: a crop
 * mirrored left to right moves u to 1 − u (crop pixel i's centre is at (i + 0.5)/S, so reversing
 * the columns maps it exactly), and the schema's mirror pairs swap places so "left eye" is still
 * the image-left eye (as core/schemas/landmark-schema.ts's `mirrorLandmarks` does in pixels).
 */
import { StudioError } from '../../shared/errors';

/** `flip[i]`: the point that point i becomes under a horizontal flip, from mirror pairs. */
export function flipIndexOf(
  pointCount: number,
  mirror: readonly (readonly [number, number])[],
): number[] {
  const flip = Array.from({ length: pointCount }, (_, i) => i);
  for (const [a, b] of mirror) {
    if (!(a >= 0 && a < pointCount && b >= 0 && b < pointCount)) {
      throw new StudioError(
        'invalid-payload',
        `Mirror pair [${a}, ${b}] is out of range for ${pointCount} points`,
      );
    }
    flip[a] = b;
    flip[b] = a;
  }
  return flip;
}

/**
 * The flat shapes `[x0, y0, x1, y1, …]` (crop units, `count` faces of `flip.length` points) of
 * the mirrored crops: out point i = source point flip[i] with u → 1 − u.
 */
export function flipShapes(
  shapes: ArrayLike<number>,
  count: number,
  flip: readonly number[],
): Float64Array {
  const k = flip.length;
  if (shapes.length !== count * k * 2) {
    throw new StudioError(
      'invalid-payload',
      `flipShapes: ${shapes.length} values are not ${count} faces of ${k} points`,
    );
  }
  const out = new Float64Array(shapes.length);
  for (let f = 0; f < count; f++) {
    for (let i = 0; i < k; i++) {
      const s = (f * k + flip[i]!) * 2;
      out[(f * k + i) * 2] = 1 - shapes[s]!;
      out[(f * k + i) * 2 + 1] = shapes[s + 1]!;
    }
  }
  return out;
}
