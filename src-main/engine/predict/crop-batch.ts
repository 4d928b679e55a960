/**
 * The graph's input for `predict` (predict-faces.ts), built in plain arrays that live as long as
 * the run: each face of a batch is cut straight into its slot of one crops array, and a run on
 * crops then the mirrors of others is laid out in one input array, `[n, S, S, 3]` floats. Mirroring
 * a crop here reverses each row's pixels, exactly `tf.reverse(crop, 2)` (crop pixel px goes to
 * S − 1 − px, so u goes to 1 − u), without the backend's per-element reverse and concats. Nothing
 * large is allocated per batch: a fresh array of a batch's crops is megabytes of new pages to
 * fault in and zero, which cost as much CPU as cutting the crops.
 */

export class CropBuffers {
  /** Values in one crop, `S·S·3`. */
  readonly perCrop: number;
  private readonly crops: Float32Array;
  private input: Float32Array | null = null;

  /** Room for `faces` crops of side `size`, and a run on twice as many (each and its mirror). */
  constructor(
    readonly size: number,
    readonly faces: number,
  ) {
    this.perCrop = size * size * 3;
    this.crops = new Float32Array(faces * this.perCrop);
  }

  /** Slot `i`'s crop (a view: cutting into it fills the slot). */
  slot(i: number): Float32Array {
    if (!(i >= 0 && i < this.faces)) throw new RangeError(`No crop slot ${i} of ${this.faces}`);
    return this.crops.subarray(i * this.perCrop, (i + 1) * this.perCrop);
  }

  /** Slots 0..n−1 as one `[n, S, S, 3]` input, with no copy. */
  firstSlots(n: number): Float32Array {
    this.slot(n - 1);
    return this.crops.subarray(0, n * this.perCrop);
  }

  /**
   * `crops` then the mirror of each of `mirrored` (every one `S·S·3`) as one input; a view of an
   * array reused by the next call.
   */
  batch(crops: readonly Float32Array[], mirrored: readonly Float32Array[] = []): Float32Array {
    const { perCrop, size } = this;
    const count = crops.length + mirrored.length;
    if (count > 2 * this.faces)
      throw new RangeError(`${count} crops in one run; room for ${2 * this.faces}`);
    this.input ??= new Float32Array(2 * this.faces * perCrop);
    const out = this.input.subarray(0, count * perCrop);
    crops.forEach((crop, i) => out.set(checked(crop, perCrop), i * perCrop));
    mirrored.forEach((crop, i) =>
      mirrorInto(checked(crop, perCrop), size, out, (crops.length + i) * perCrop),
    );
    return out;
  }
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
