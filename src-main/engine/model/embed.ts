/**
 * Features (CLS, CLS beside the mean patch token, or the last four blocks' CLS tokens) of a
 * backbone given its flat weights (e.g. a pre-training result's teacher), for evaluation,
 * collapse checks and near-duplicate search.
 * Images: `[n, S, S, 3]` in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { modelLayout } from '../pretrain/pretrain-model';
import type { ModelConfig } from '../pretrain/pretrain-model';
import { normaliseImages } from './normalise';
import { tensorsOf } from './params';
import { vitFeatures } from './vit';
import type { FeaturePoolings } from './vit';

export function extractFeatures(
  model: ModelConfig,
  weights: Float32Array,
  images: tf.Tensor4D,
  pooling: FeaturePoolings = 'cls',
): tf.Tensor2D {
  return tf.tidy(() => {
    const params = tensorsOf(modelLayout(model), weights);
    const size = model.vit.imageSize;
    const resized =
      images.shape[1] === size ? images : tf.image.resizeBilinear(images, [size, size]);
    return vitFeatures(model.vit, params, normaliseImages(resized), pooling);
  });
}
