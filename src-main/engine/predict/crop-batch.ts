/**
 * The graph's input for one run of `predict` (predict-faces.ts), built in plain arrays: the crops
 * as they are, then the mirrors of others, `[n, S, S, 3]` floats, one copy each. Mirroring a crop
 * here reverses each row's pixels, exactly `tf.reverse(crop, 2)` (crop pixel px goes to S − 1 − px,
 * so u goes to 1 − u), without the backend's per-element reverse and concats.
 */

/** `crops` then the mirror of each of `mirrored`, every one a `size·size·3` crop, in one array. */
export function cropBatch(
  size: number,
  crops: readonly Float32Array[],
  mirrored: readonly Float32Array[] = [],
): Float32Array {
  const perCrop = size * size * 3;
  const out = new Float32Array((crops.length + mirrored.length) * perCrop);
  crops.forEach((crop, i) => out.set(checked(crop, perCrop), i * perCrop));
  mirrored.forEach((crop, i) =>
    mirrorInto(checked(crop, perCrop), size, out, (crops.length + i) * perCrop),
  );
  return out;
}

function checked(crop: Float32Array, perCrop: number): Float32Array {
  if (crop.length !== perCrop)
    throw new RangeError(`A crop holds ${crop.length} values; ${perCrop} expected`);
  return crop;
}

/** Writes `crop` (`size·size·3`, rows of RGB pixels) mirrored left to right into `out` at `at`. */
function mirrorInto(crop: Float32Array, size: number, out: Float32Array, at: number): void {
  const row = size * 3;
  for (let y = 0; y < size; y++) {
    const from = y * row;
    const to = at + y * row;
    for (let x = 0; x < size; x++) {
      const s = from + x * 3;
      const d = to + (size - 1 - x) * 3;
      out[d] = crop[s]!;
      out[d + 1] = crop[s + 1]!;
      out[d + 2] = crop[s + 2]!;
    }
  }
}
