/**
 * The one input normalisation every backbone sees (ImageNet mean and standard deviation, as DINO):
 * pre-training's augmentation, feature extraction and fine-tuning all call this, so a model card's
 * `normalisation` has one source.
 */
import * as tf from '@tensorflow/tfjs';

export const IMAGE_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGE_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Images `[B, S, S, 3]` in [0, 1] → normalised per channel. */
export function normaliseImages(images: tf.Tensor4D): tf.Tensor4D {
  return tf.div(tf.sub(images, [...IMAGE_MEAN]), [...IMAGE_STD]);
}
