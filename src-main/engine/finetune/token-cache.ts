/**
 * Backbone tokens computed once per face (and once for its mirror image), for training a head on
 * a frozen backbone: each step then costs only the head, not a ViT forward pass — an order of
 * magnitude more steps per second on wasm. Valid only while the backbone does not change and the
 * images do not either, so the config allows it with `trainableBlocks: 0` and flip-only
 * augmentation (finetune-config.ts checks this). Memory: 2 × faces × tokens × dim floats
 * (tiny: ~100 KB per face), so it suits labelled sets of hundreds to a few thousand faces.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../model/params';
import type { FinetuneSplit } from './finetune-data';
import { backboneTokens } from './finetune-model';
import type { FinetuneModel } from './finetune-model';

export class TokenCache {
  private constructor(
    /** `[n, tokens, dim]`, as the images come. */
    private readonly plain: tf.Tensor3D,
    /** The same for the images flipped left to right. */
    private readonly flipped: tf.Tensor3D,
  ) {}

  static async build(
    model: FinetuneModel,
    params: TensorMap,
    split: FinetuneSplit,
    batchSize: number,
  ): Promise<TokenCache> {
    const plain: tf.Tensor3D[] = [];
    const flipped: tf.Tensor3D[] = [];
    for (let from = 0; from < split.size; from += batchSize) {
      const n = Math.min(batchSize, split.size - from);
      const images = await split.images(Array.from({ length: n }, (_, i) => from + i));
      const [p, f] = tf.tidy(() => {
        const perFace = (x: tf.Tensor4D): tf.Tensor3D => {
          const t = backboneTokens(model, params, x);
          return tf.reshape(t, [n, t.shape[0] / n, t.shape[1]]);
        };
        return [perFace(images), perFace(tf.reverse(images, 2))];
      });
      images.dispose();
      plain.push(p);
      flipped.push(f);
    }
    const cache = new TokenCache(tf.concat(plain, 0), tf.concat(flipped, 0));
    tf.dispose([...plain, ...flipped]);
    return cache;
  }

  /** Tokens `[B·tokens, dim]` of the faces at `indices`, each flipped where `flips` says. */
  batch(indices: number[], flips: boolean[]): tf.Tensor2D {
    const [, tokens, dim] = this.plain.shape;
    const rows = indices.map((index, i) =>
      tf.slice(flips[i] ? this.flipped : this.plain, [index, 0, 0], [1, tokens, dim]),
    );
    return tf.reshape(tf.concat(rows, 0), [indices.length * tokens, dim]);
  }

  dispose(): void {
    tf.dispose([this.plain, this.flipped]);
  }
}
