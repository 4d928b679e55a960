/**
 * The graph input of one predict run: crops as they are, then mirrors, equal to the TF.js concat
 * and reverse they replace.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropBatch } from '../../../src-main/engine/predict/crop-batch';
import { useWasm } from '../../support/engine-helpers';

beforeAll(async () => {
  await useWasm();
});

/** A `size·size·3` crop of distinct values (a ramp that differs per crop). */
function crop(size: number, seed: number): Float32Array {
  return Float32Array.from(
    { length: size * size * 3 },
    (_, i) => ((i * 7 + seed * 13) % 251) / 255,
  );
}

describe('cropBatch', () => {
  it('equals concat([crops, reverse(mirrored, width)]) value for value', async () => {
    const size = 5;
    const crops = [crop(size, 1), crop(size, 2)];
    const mirrored = [crop(size, 3), crop(size, 1), crop(size, 4)];
    const want = tf.tidy(() =>
      tf.concat([
        tf.tensor4d(cropBatch(size, crops), [2, size, size, 3]),
        tf.reverse(tf.tensor4d(cropBatch(size, mirrored), [3, size, size, 3]), 2),
      ]),
    );
    const got = cropBatch(size, crops, mirrored);
    expect(Array.from(got)).toEqual(Array.from(await want.data()));
    // A mirror is not the crop itself: the test would notice a missing flip.
    expect(Array.from(got.subarray(3 * 75, 4 * 75))).not.toEqual(Array.from(crops[0]!));
    want.dispose();
  });

  it('refuses a crop of another size', () => {
    expect(() => cropBatch(4, [crop(4, 1)], [crop(3, 1)])).toThrow(/27 values; 48 expected/);
  });
});
