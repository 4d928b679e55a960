/** Where pre-training images come from: the library can plug face crops in behind this. */
import type * as tf from '@tensorflow/tfjs';

export interface PretrainData {
  /** Number of images. */
  size: number;
  /** Images at `indices` as `[n, S, S, 3]` floats in [0, 1] (S fixed per source). */
  batch(indices: number[]): Promise<tf.Tensor4D>;
}
