/**
 * The pre-training model: ViT backbone + DINO head, as a parameter layout and a forward function.
 */
import type * as tf from '@tensorflow/tfjs';
import { headForward, headParamSpecs } from '../model/dino-head';
import type { HeadConfig } from '../model/dino-head';
import { layoutOf } from '../model/params';
import type { ParamLayout, TensorMap } from '../model/params';
import { vitForward, vitParamSpecs } from '../model/vit';
import type { VitConfig } from '../model/vit';

export interface ModelConfig {
  vit: VitConfig;
  head: Omit<HeadConfig, 'inputDim'>;
}

export function modelLayout(c: ModelConfig): ParamLayout {
  return layoutOf([...vitParamSpecs(c.vit), ...headParamSpecs({ ...c.head, inputDim: c.vit.dim })]);
}

/** Images → { cls features, prototype logits }. */
export function modelForward(
  c: ModelConfig,
  params: TensorMap,
  images: tf.Tensor4D,
): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  const features = vitForward(c.vit, params, images);
  return { features, logits: headForward(params, features) };
}
