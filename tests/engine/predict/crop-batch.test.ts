/**
 * The graph input of predict's runs: crops cut into slots, runs on crops then mirrors, equal to
 * the TF.js concat and reverse they replace, in arrays reused from run to run.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CropBuffers } from '../../../src-main/engine/predict/crop-batch';
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

const concat = (parts: Float32Array[]) => parts.flatMap((p) => Array.from(p));

describe('CropBuffers', () => {
  it('lays out crops then mirrors as concat([crops, reverse(mirrored, width)]), value for value', async () => {
    const size = 5;
    const buffers = new CropBuffers(size, 3);
    const crops = [crop(size, 1), crop(size, 2)];
    const mirrored = [crop(size, 3), crop(size, 1), crop(size, 4)];
    const want = tf.tidy(() =>
      tf.concat([
        tf.tensor4d(concat(crops), [2, size, size, 3]),
        tf.reverse(tf.tensor4d(concat(mirrored), [3, size, size, 3]), 2),
      ]),
    );
    const got = buffers.batch(crops, mirrored);
    expect(Array.from(got)).toEqual(Array.from(await want.data()));
    // A mirror is not the crop itself: the test would notice a missing flip.
    expect(Array.from(got.subarray(3 * 75, 4 * 75))).not.toEqual(Array.from(crops[0]!));
    want.dispose();
    // The next run reuses the array: a shorter one is the start of it, with its own values.
    const next = buffers.batch([], [crops[1]!]);
    expect(next.buffer).toBe(got.buffer);
    expect(Array.from(next)).toEqual(Array.from(buffers.batch([], [crops[1]!])));
    expect(next).toHaveLength(75);
  });

  it('gives each face a slot of one array, and the first slots as one input with no copy', () => {
    const buffers = new CropBuffers(2, 3);
    buffers.slot(0).set(crop(2, 1));
    buffers.slot(1).set(crop(2, 2));
    const input = buffers.firstSlots(2);
    expect(Array.from(input)).toEqual(concat([crop(2, 1), crop(2, 2)]));
    expect(input.buffer).toBe(buffers.slot(2).buffer);
    expect(() => buffers.slot(3)).toThrow(/No crop slot 3 of 3/);
  });

  it('refuses a crop of another size or more crops than it has room for', () => {
    const buffers = new CropBuffers(4, 1);
    expect(() => buffers.batch([crop(4, 1)], [crop(3, 1)])).toThrow(/27 values; 48 expected/);
    expect(() => buffers.batch([crop(4, 1)], [crop(4, 1), crop(4, 2)])).toThrow(/room for 2/);
  });
});
