/**
 * CLS features of a backbone given its flat weights (e.g. a pre-training result's teacher), for
 * evaluation, collapse checks and near-duplicate search. Images: `[n, S, S, 3]` in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { modelLayout } from './model';
import type { ModelConfig } from './model';
import { vitForward } from './vit';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export function extractFeatures(
  model: ModelConfig,
  weights: Float32Array,
  images: tf.Tensor4D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const params = new Map<string, tf.Tensor>();
    for (const e of modelLayout(model).entries)
      params.set(e.name, tf.tensor(weights.subarray(e.offset, e.offset + e.size), e.shape));
    const size = model.vit.imageSize;
    const resized =
      images.shape[1] === size ? images : tf.image.resizeBilinear(images, [size, size]);
    return vitForward(model.vit, params, tf.div(tf.sub(resized, MEAN), STD) as tf.Tensor4D);
  });
}
