/**
 * The fine-tuning model: the ViT backbone plus one task head, as one parameter layout, a forward
 * pass, and the learning-rate multiplier of every tensor (layer-wise decay, frozen blocks).
 */
import * as tf from '@tensorflow/tfjs';
import { flipIndex } from '../../core/schemas/landmark-schema';
import { layoutOf } from '../model/params';
import type { ParamEntry, ParamLayout, TensorMap } from '../model/params';
import { VIT_PRESETS, vitParamSpecs } from '../model/vit';
import type { VitConfig } from '../model/vit';
import { splitTokens } from './token-backbone';
import { normaliseImages } from '../model/normalise';
import { vitTokens } from '../model/vit';
import { expressionLoss, attributeLoss, linearHeadForward, linearHeadSpecs } from './class-heads';
import type { FinetuneConfig } from './finetune-config';
import type { FinetuneData } from './finetune-data';
import { heatmapSide, landmarkHeadForward, landmarkHeadSpecs, landmarkLoss } from './landmark-head';
import type { LandmarkHeadConfig } from './landmark-head';

/** Everything the forward pass needs, derived once from the config and the data. */
export interface FinetuneModel {
  task: FinetuneConfig['task'];
  vit: VitConfig;
  layout: ParamLayout;
  backboneNames: Set<string>;
  /** Values per face in the labels and in the predictions. */
  outputs: number;
  landmarkHead: LandmarkHeadConfig | null;
  /** Landmarks: which point each point becomes under a flip. */
  flip: number[];
}

export function vitConfigOf(c: FinetuneConfig): VitConfig {
  const { preset, ...overrides } = c.model;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...VIT_PRESETS[preset], ...defined };
}

export function buildFinetuneModel(c: FinetuneConfig, data: FinetuneData): FinetuneModel {
  const vit = vitConfigOf(c);
  const backbone = vitParamSpecs(vit);
  let landmarkHead: LandmarkHeadConfig | null = null;
  let outputs: number;
  let head;
  if (data.task === 'landmarks') {
    landmarkHead = {
      inputDim: vit.dim,
      grid: vit.imageSize / vit.patchSize,
      points: data.schema.points.length,
      channels: c.landmarkHead.channels,
      temperature: c.landmarkHead.temperature,
      context: c.landmarkHead.context,
      contextChannels: c.landmarkHead.contextChannels,
    };
    head = landmarkHeadSpecs(landmarkHead);
    outputs = 2 * landmarkHead.points;
  } else if (data.task === 'attributes') {
    head = linearHeadSpecs('attributes', vit.dim, data.attributes);
    outputs = data.attributes;
  } else {
    head = linearHeadSpecs('expression', vit.dim, data.classes);
    outputs = data.classes;
  }
  return {
    task: c.task,
    vit,
    layout: layoutOf([...backbone, ...head]),
    backboneNames: new Set(backbone.map((s) => s.name)),
    outputs,
    landmarkHead,
    flip: data.task === 'landmarks' ? flipIndex(data.schema) : [],
  };
}

/**
 * Learning-rate multiplier of a tensor relative to the schedule (0 = frozen): the head gets
 * `headLr`; backbone block i of d gets `backboneLr·layerDecay^(d − 1 − i)`, the final norm the
 * top block's rate, the embeddings (patch, cls, pos) one decay step below block 0.
 */
export function peakLrOf(model: FinetuneModel, c: FinetuneConfig, e: ParamEntry): number {
  if (!model.backboneNames.has(e.name)) return c.headLr;
  const depth = model.vit.depth;
  const trainable = c.trainableBlocks === null ? depth : Math.min(c.trainableBlocks, depth);
  const block = /^block(\d+)\./.exec(e.name);
  const layer = block ? Number(block[1]) : e.name.startsWith('norm.') ? depth - 1 : -1;
  if (trainable === 0 || (layer >= 0 && layer < depth - trainable)) return 0;
  if (layer < 0 && trainable < depth) return 0; // embeddings train only with every block
  return c.backboneLr * c.layerDecay ** (depth - 1 - layer);
}

/** Backbone tokens `[B·(1 + g²), dim]` of images `[B, S, S, 3]` in [0, 1]. */
export function backboneTokens(
  model: FinetuneModel,
  params: TensorMap,
  images: tf.Tensor4D,
): tf.Tensor2D {
  if (images.shape[1] !== model.vit.imageSize) {
    throw new Error(
      `Images are ${images.shape[1]} px; the backbone expects ${model.vit.imageSize}`,
    );
  }
  return vitTokens(model.vit, params, normaliseImages(images));
}

/**
 * Backbone tokens of `batch` faces → the head's raw outputs `[B, outputs]`: landmark coordinates
 * in 0..1, attribute logits, or expression logits. The landmark head's heatmap logits come too.
 */
export function headForward(
  model: FinetuneModel,
  params: TensorMap,
  tokens: tf.Tensor2D,
  batch: number,
): { outputs: tf.Tensor2D; heatmaps: tf.Tensor2D | null } {
  const { cls, patches } = splitTokens(tokens, batch);
  if (model.landmarkHead) {
    const out = landmarkHeadForward(model.landmarkHead, params, patches, batch);
    return { outputs: out.coords, heatmaps: out.logits };
  }
  return { outputs: linearHeadForward(model.task, params, cls), heatmaps: null };
}

export function forwardFinetune(
  model: FinetuneModel,
  params: TensorMap,
  images: tf.Tensor4D,
): { outputs: tf.Tensor2D; heatmaps: tf.Tensor2D | null } {
  return headForward(model, params, backboneTokens(model, params, images), images.shape[0]);
}

/** The task's training loss for a batch of backbone tokens with labels `[B·width]`. */
export function headLoss(
  model: FinetuneModel,
  c: FinetuneConfig,
  params: TensorMap,
  tokens: tf.Tensor2D,
  batch: number,
  labels: Float32Array | Int32Array,
): tf.Scalar {
  const { outputs, heatmaps } = headForward(model, params, tokens, batch);
  if (model.landmarkHead) {
    const flat = labels as Float32Array;
    return landmarkLoss(
      { coords: outputs, logits: heatmaps! },
      tf.tensor2d(flat, outputs.shape),
      flat,
      heatmapSide(model.landmarkHead),
      c.landmarkHead.heatmapLossWeight,
      c.landmarkHead.heatmapSigma,
    );
  }
  if (model.task === 'attributes') return attributeLoss(outputs, labels as Float32Array);
  return expressionLoss(outputs, labels as Int32Array);
}

/**
 * Predictions for images `[n, S, S, 3]` in [0, 1], in batches of `batchSize`: landmark
 * coordinates (0..1), attribute probabilities, or expression class probabilities, `[n·outputs]`.
 */
export async function predictFinetune(
  model: FinetuneModel,
  params: TensorMap,
  images: tf.Tensor4D,
  batchSize: number,
): Promise<Float32Array> {
  const n = images.shape[0];
  const out = new Float32Array(n * model.outputs);
  for (let from = 0; from < n; from += batchSize) {
    const size = Math.min(batchSize, n - from);
    const values = tf.tidy(() => {
      const rows = tf.slice(images, [from, 0, 0, 0], [size, -1, -1, -1]);
      const { outputs } = forwardFinetune(model, params, rows);
      if (model.task === 'attributes') return tf.sigmoid(outputs);
      if (model.task === 'expression') return tf.softmax(outputs);
      return outputs;
    });
    out.set((await values.data()) as Float32Array, from * model.outputs);
    values.dispose();
  }
  return out;
}
