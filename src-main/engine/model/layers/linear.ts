/**
 * A fully connected layer on 2-D activations `[rows, in] · [in, out] + bias`, with a hand-written
 * gradient. Why (DESIGN §9): the wasm backend's matMul takes the fast XNNPACK path only when
 * neither input is transposed and there is no batch dimension; the default matMul gradient asks
 * for `dY·Wᵀ` and `Xᵀ·dY` with transpose flags and falls onto a scalar loop ~10× slower. Here each
 * transpose is an explicit `tf.transpose` (a cheap copy) followed by a plain 2-D matMul.
 */
import * as tf from '@tensorflow/tfjs';

type LinearFn = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
type ProjectFn = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

const withBias = tf.customGrad(((
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  save: tf.GradSaveFunc,
) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as LinearFn;

const withoutBias = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as ProjectFn;

/** `x·w + b` for `x: [rows, in]`, `w: [in, out]`, `b: [out]`. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return b ? withBias(x, w, b) : withoutBias(x, w);
}
