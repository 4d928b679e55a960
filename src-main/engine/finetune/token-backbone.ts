/**
 * The ViT backbone as fine-tuning sees it: every token, not just CLS, and the weights to start
 * from (a fresh random init, or a flat name → values map such as a pre-training teacher).
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { modelLayout } from '../pretrain/pretrain-model';
import type { ModelConfig } from '../pretrain/pretrain-model';
import type { ParamLayout } from '../model/params';

/** Splits tokens into CLS rows `[B, dim]` and patch rows `[B·g², dim]` (image-major, row-major). */
export function splitTokens(
  tokens: tf.Tensor2D,
  batch: number,
): { cls: tf.Tensor2D; patches: tf.Tensor2D } {
  const dim = tokens.shape[1];
  const perImage = tokens.shape[0] / batch;
  const t = tf.reshape(tokens, [batch, perImage, dim]);
  const [cls, patches] = tf.split(t, [1, perImage - 1], 1);
  return {
    cls: tf.reshape(cls!, [batch, dim]),
    patches: tf.reshape(patches!, [batch * (perImage - 1), dim]),
  };
}

/** A backbone's weights by parameter name (vit.ts names: `patch.w`, `block0.qkv.w`, …). */
export type BackboneWeights = ReadonlyMap<string, Float32Array> | Record<string, Float32Array>;

/** The backbone part of a pre-training model's flat weights (student or teacher) as a name map. */
export function backboneWeightsFromModel(
  model: ModelConfig,
  flat: Float32Array,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const e of modelLayout(model).entries)
    if (!e.name.startsWith('head.')) out.set(e.name, flat.slice(e.offset, e.offset + e.size));
  return out;
}

/**
 * Copies given backbone weights into `flat` (laid out by `layout`), for every backbone entry.
 * Names outside the backbone (a pre-training head) are ignored; a missing backbone tensor or a
 * wrong size is an error naming it, so a backbone of another preset is caught here.
 */
export function loadBackboneWeights(
  layout: ParamLayout,
  backboneNames: ReadonlySet<string>,
  weights: BackboneWeights,
  flat: Float32Array,
): void {
  const get = (name: string): Float32Array | undefined =>
    weights instanceof Map ? weights.get(name) : (weights as Record<string, Float32Array>)[name];
  for (const e of layout.entries) {
    if (!backboneNames.has(e.name)) continue;
    const values = get(e.name);
    if (!values)
      throw new StudioError('invalid-payload', `The backbone weights have no tensor "${e.name}"`);
    if (values.length !== e.size)
      throw new StudioError(
        'invalid-payload',
        `Backbone tensor "${e.name}" has ${values.length} values; this model needs ${e.size} ` +
          `(shape ${e.shape.join('×')}) — was it trained with another preset?`,
      );
    flat.set(values, e.offset);
  }
}
