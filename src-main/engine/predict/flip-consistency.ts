/**
 * Per-point uncertainty by flip consistency: the model sees each face crop and its mirror image;
 * the mirror's prediction is mapped back (x → 1 − x, mirror pairs swapped, so "left eye" is the
 * image-left eye again) and compared with the direct one. A point the model is sure of lands in
 * the same place both times; a point it guesses at moves. The final point is the mean of the two,
 * the usual flip test-time augmentation, which also lowers the error a little.
 *
 * Coordinates are 0..1 of the crop with u = (px + 0.5) / S, so mirroring the crop's pixels
 * (px → S − 1 − px) is exactly u → 1 − u; distances in these units are fractions of the crop side.
 */

export interface FlipCombined {
  /** `[n·K·2]`: the mean of the direct and the un-mirrored prediction, crop 0..1. */
  points: Float32Array;
  /** `[n·K]`: distance between the two predictions ÷ crop side. */
  uncertainty: Float32Array;
}

/**
 * Maps a prediction made on mirrored crops back to the original crops: point `i` is the mirrored
 * prediction of point `flip[i]` with x → 1 − x. `flip` is the schema's flip index (an involution).
 */
export function unmirrorLandmarks(mirrored: Float32Array, flip: readonly number[]): Float32Array {
  const k = flip.length;
  if (k === 0 || mirrored.length % (2 * k) !== 0)
    throw new Error(`unmirror: ${mirrored.length} values do not hold faces of ${k} points`);
  const out = new Float32Array(mirrored.length);
  for (let face = 0; face < mirrored.length / (2 * k); face++) {
    const base = face * 2 * k;
    for (let i = 0; i < k; i++) {
      const from = base + 2 * flip[i]!;
      out[base + 2 * i] = 1 - mirrored[from]!;
      out[base + 2 * i + 1] = mirrored[from + 1]!;
    }
  }
  return out;
}

/** Combines the direct prediction with the one on the mirrored crops (same faces, same order). */
export function combineFlipped(
  direct: Float32Array,
  mirrored: Float32Array,
  flip: readonly number[],
): FlipCombined {
  if (direct.length !== mirrored.length)
    throw new Error(`flip consistency: ${direct.length} and ${mirrored.length} values differ`);
  const back = unmirrorLandmarks(mirrored, flip);
  const points = new Float32Array(direct.length);
  const uncertainty = new Float32Array(direct.length / 2);
  for (let p = 0; p < uncertainty.length; p++) {
    const dx = direct[2 * p]! - back[2 * p]!;
    const dy = direct[2 * p + 1]! - back[2 * p + 1]!;
    uncertainty[p] = Math.hypot(dx, dy);
    points[2 * p] = (direct[2 * p]! + back[2 * p]!) / 2;
    points[2 * p + 1] = (direct[2 * p + 1]! + back[2 * p + 1]!) / 2;
  }
  return { points, uncertainty };
}

/** The schema's flip index from the card's mirror pairs: `flip[i]` is what `i` becomes. */
export function flipIndexOf(
  points: number,
  mirror: readonly (readonly [number, number])[],
): number[] {
  const flip = Array.from({ length: points }, (_, i) => i);
  for (const [a, b] of mirror) {
    if (a >= points || b >= points)
      throw new Error(`mirror pair [${a}, ${b}] names a point past the schema's ${points}`);
    flip[a] = b;
    flip[b] = a;
  }
  return flip;
}
