/**
 * Turns decoded images into one training batch: each index is decoded (in parallel) to `size²·3`
 * RGB bytes, scaled to [0, 1] and packed into a `[n, size, size, 3]` tensor. The data sources
 * differ only in how they decode one image.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';

export async function rgbBatch<T>(
  items: readonly T[],
  indices: readonly number[],
  size: number,
  decode: (item: T) => Promise<Buffer>,
): Promise<tf.Tensor4D> {
  const perImage = size * size * 3;
  const pixels = new Float32Array(indices.length * perImage);
  await Promise.all(
    indices.map(async (index, row) => {
      const item = items[index];
      if (item === undefined) {
        throw new StudioError('not-found', `Image index ${index} is out of range`);
      }
      const raw = await decode(item);
      const base = row * perImage;
      for (let i = 0; i < perImage; i++) pixels[base + i] = raw[i]! / 255;
    }),
  );
  return tf.tensor4d(pixels, [indices.length, size, size, 3]);
}
