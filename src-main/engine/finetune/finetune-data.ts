/**
 * Where fine-tuning faces come from. Images are served by index (so a large labelled set need not
 * sit in memory) at the backbone's input size; labels are small and held whole, row-major:
 *
 * | task       | labels                                                              |
 * |------------|---------------------------------------------------------------------|
 * | landmarks  | Float32Array `[n·K·2]`: x, y per point in 0..1 of the crop, u = (px + 0.5) / S |
 * | attributes | Float32Array `[n·A]`: 1 yes, 0 no, NaN not labelled                 |
 * | expression | Int32Array `[n]`: class index                                       |
 */
import * as tf from '@tensorflow/tfjs';
import type { LandmarkSchema } from '../../shared/schemas';
import { Rng, deriveSeed } from '../model/rng';

export interface FinetuneSplit {
  size: number;
  /** Images at `indices`: `[n, S, S, 3]` floats in [0, 1]. */
  images(indices: number[]): Promise<tf.Tensor4D>;
  labels: Float32Array | Int32Array;
}

export type FinetuneData = { train: FinetuneSplit; val?: FinetuneSplit } & (
  | { task: 'landmarks'; schema: LandmarkSchema }
  | { task: 'attributes'; attributes: number }
  | { task: 'expression'; classes: number }
);

/** Label values per face for a task's data. */
export function labelWidth(data: FinetuneData): number {
  if (data.task === 'landmarks') return data.schema.points.length * 2;
  if (data.task === 'attributes') return data.attributes;
  return 1;
}

/** A split over images already in memory (`[n, S, S, 3]` in [0, 1]; kept, not copied). */
export function tensorSplit(images: tf.Tensor4D, labels: Float32Array | Int32Array): FinetuneSplit {
  return {
    size: images.shape[0],
    labels,
    images: async (indices) => tf.gather(images, indices) as tf.Tensor4D,
  };
}

/** The faces of `split` at `indices`, as a split of their own. */
export function subsetSplit(split: FinetuneSplit, indices: number[], width: number): FinetuneSplit {
  const labels = new (split.labels.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(
    indices.length * width,
  );
  indices.forEach((src, i) =>
    labels.set(split.labels.subarray(src * width, (src + 1) * width), i * width),
  );
  return {
    size: indices.length,
    labels,
    images: (rows) => split.images(rows.map((r) => indices[r]!)),
  };
}

/** Train and validation splits: the data's own, or a seeded hold-out of `fraction` of train. */
export function trainValSplits(
  data: FinetuneData,
  fraction: number,
  seed: number,
): { train: FinetuneSplit; val: FinetuneSplit | null } {
  if (data.val) return { train: data.train, val: data.val };
  const held = Math.round(data.train.size * fraction);
  if (held === 0) return { train: data.train, val: null };
  const order = new Rng(deriveSeed(seed, 0x5e7)).permutation(data.train.size);
  const width = labelWidth(data);
  return {
    train: subsetSplit(data.train, order.slice(held), width),
    val: subsetSplit(data.train, order.slice(0, held), width),
  };
}
