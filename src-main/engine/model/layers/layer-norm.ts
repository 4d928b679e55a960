/**
 * Layer normalisation over the last axis of 2-D activations `[rows, dim]` (eps 1e-6, as the peer),
 * with the closed-form gradient
 *   dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ,  dx̂ = dy·γ,  dγ = Σ dy·x̂,  dβ = Σ dy
 * — a handful of ops instead of autodiff through `tf.moments`.
 */
import * as tf from '@tensorflow/tfjs';

const EPS = 1e-6;

type LayerNormFn = (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D;

const layerNormGrad = tf.customGrad(((
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  save: tf.GradSaveFunc,
) => {
  const { mean, variance } = tf.moments(x, -1, true);
  const invStd = tf.rsqrt(tf.add(variance, EPS));
  const xhat = tf.mul(tf.sub(x, mean), invStd);
  save([xhat, invStd, gamma]);
  return {
    value: tf.add(tf.mul(xhat, gamma), beta),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xh, inv, g] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      const dxhat = tf.mul(dy, g);
      const meanD = tf.mean(dxhat, -1, true);
      const meanDX = tf.mean(tf.mul(dxhat, xh), -1, true);
      const dx = tf.mul(tf.sub(tf.sub(dxhat, meanD), tf.mul(xh, meanDX)), inv);
      return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as LayerNormFn;

export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  return layerNormGrad(x, gamma, beta);
}
