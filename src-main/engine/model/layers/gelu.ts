/**
 * GELU, exact form `x·Φ(x)` (PyTorch's default, which the peer uses), with a hand-written
 * gradient `Φ(x) + x·φ(x)`: one fused expression instead of the long autodiff chain through erf,
 * which matters because the MLP's hidden activations are the largest elementwise tensors.
 */
import * as tf from '@tensorflow/tfjs';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluGrad = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, INV_SQRT2))));
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, cdfs] = saved as [tf.Tensor, tf.Tensor];
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(xs))));
      return [tf.mul(dy, tf.add(cdfs, tf.mul(xs, pdf)))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function gelu<T extends tf.Tensor>(x: T): T {
  return geluGrad(x) as T;
}
