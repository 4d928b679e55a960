/**
 * The ViT backbone as fine-tuning sees it: every token, not just CLS, and the weights to start
 * from (a fresh random init, or a flat name → values map such as a pre-training teacher).
 *
 * `vitTokens` repeats vit.ts's forward pass up to the final norm because `vitForward` returns only
 * the normalised CLS row and the landmark head needs the patch tokens. Follow-up for vit.ts's
 * owner: export this from vit.ts and let `vitForward` slice CLS from it (one forward pass to keep).
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { attention } from '../layers/attention';
import { gelu } from '../layers/gelu';
import { layerNorm } from '../layers/layer-norm';
import { linear } from '../layers/linear';
import { modelLayout } from '../model';
import type { ModelConfig } from '../model';
import type { ParamLayout, TensorMap } from '../params';
import type { VitConfig } from '../vit';

/** ImageNet normalisation, as pre-training's augmentation and embed.ts apply. */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export function normaliseImages(images: tf.Tensor4D): tf.Tensor4D {
  return tf.div(tf.sub(images, MEAN), STD);
}

/**
 * Images `[B, S, S, 3]` (already normalised; S = the preset's input size) → final-normed tokens
 * `[B·(1 + g²), dim]`, row b·(1 + g²) being image b's CLS token, then its g² patches row-major.
 */
export function vitTokens(c: VitConfig, params: TensorMap, images: tf.Tensor4D): tf.Tensor2D {
  const [batch, size] = images.shape;
  const p = c.patchSize;
  const grid = size / p;
  if (size !== c.imageSize)
    throw new Error(`vitTokens: images are ${size} px, the backbone expects ${c.imageSize}`);
  const tokens = grid * grid + 1;
  const P = (name: string): tf.Tensor => params.get(name)!;
  // Rank-4 patch extraction, as vit.ts: [B, S, S, 3] → [B·g·g, p·p·3].
  const patches = tf.reshape(
    tf.transpose(tf.reshape(images, [batch * grid, p, grid, p * 3]), [0, 2, 1, 3]),
    [batch * grid * grid, p * p * 3],
  );
  const embedded = tf.reshape(
    linear(patches as tf.Tensor2D, P('patch.w') as tf.Tensor2D, P('patch.b') as tf.Tensor1D),
    [batch, grid * grid, c.dim],
  );
  const cls = tf.broadcastTo(tf.reshape(P('cls'), [1, 1, c.dim]), [batch, 1, c.dim]);
  const withPos = tf.add(tf.concat([cls, embedded], 1), tf.reshape(P('pos'), [1, tokens, c.dim]));
  let x = tf.reshape(withPos, [batch * tokens, c.dim]) as tf.Tensor2D;
  for (let i = 0; i < c.depth; i++) {
    const b = `block${i}.`;
    const n1 = layerNorm(x, P(`${b}norm1.g`) as tf.Tensor1D, P(`${b}norm1.b`) as tf.Tensor1D);
    const qkv = linear(n1, P(`${b}qkv.w`) as tf.Tensor2D, P(`${b}qkv.b`) as tf.Tensor1D);
    const att = attention(qkv, batch, c.heads);
    x = tf.add(x, linear(att, P(`${b}proj.w`) as tf.Tensor2D, P(`${b}proj.b`) as tf.Tensor1D));
    const n2 = layerNorm(x, P(`${b}norm2.g`) as tf.Tensor1D, P(`${b}norm2.b`) as tf.Tensor1D);
    const hidden = gelu(linear(n2, P(`${b}fc1.w`) as tf.Tensor2D, P(`${b}fc1.b`) as tf.Tensor1D));
    x = tf.add(x, linear(hidden, P(`${b}fc2.w`) as tf.Tensor2D, P(`${b}fc2.b`) as tf.Tensor1D));
  }
  return layerNorm(x, P('norm.g') as tf.Tensor1D, P('norm.b') as tf.Tensor1D);
}

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
