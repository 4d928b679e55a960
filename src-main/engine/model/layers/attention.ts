/**
 * Multi-head self-attention core on a 2-D token matrix `qkv: [batch·tokens, 3·dim]` (the output of
 * the fused qkv linear layer) → `[batch·tokens, dim]`. Reshapes stay at rank ≤ 4 because rank 5–6
 * transposes are very slow on wasm (DESIGN §9).
 *
 * The score and value products are batched matMuls over `batch·heads`. On wasm a batched matMul
 * misses XNNPACK; bench/PRETRAIN_NOTES.md records the alternatives measured (per-sample 2-D loops,
 * block-diagonal 2-D products) — both were slower for 65-token sequences, so this is kept.
 */
import * as tf from '@tensorflow/tfjs';

export function attention(qkv: tf.Tensor2D, batch: number, heads: number): tf.Tensor2D {
  const rows = qkv.shape[0];
  const dim = qkv.shape[1] / 3;
  const tokens = rows / batch;
  const headDim = dim / heads;
  // [B, N, 3H, dh] → [B, 3H, N, dh]: one rank-4 transpose puts q, k, v heads side by side.
  const split = tf.transpose(tf.reshape(qkv, [batch, tokens, 3 * heads, headDim]), [0, 2, 1, 3]);
  const [q, k, v] = tf
    .split(split, 3, 1)
    .map((t) => tf.reshape(t, [batch * heads, tokens, headDim]));
  const scores = tf.matMul(tf.mul(q!, headDim ** -0.5), k!, false, true);
  const context = tf.matMul(tf.softmax(scores), v!);
  // [B, H, N, dh] → [B, N, H, dh] → [B·N, D]
  const merged = tf.transpose(tf.reshape(context, [batch, heads, tokens, headDim]), [0, 2, 1, 3]);
  return tf.reshape(merged, [rows, dim]);
}
