/**
 * The attribute and expression heads (DESIGN §5): one linear layer on the CLS token each.
 * Attributes: a sigmoid per attribute with binary cross-entropy (unlabelled entries, NaN in the
 * targets, are masked out). Expression: softmax over the classes with cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from '../model/layers/linear';
import type { ParamSpec, TensorMap } from '../model/params';

export function linearHeadSpecs(prefix: string, inputDim: number, outputs: number): ParamSpec[] {
  return [
    { name: `${prefix}.w`, shape: [inputDim, outputs], init: 'normal', decay: true },
    { name: `${prefix}.b`, shape: [outputs], init: 'zeros', decay: false },
  ];
}

/** CLS features `[B, dim]` → logits `[B, outputs]`. */
export function linearHeadForward(
  prefix: string,
  params: TensorMap,
  cls: tf.Tensor2D,
): tf.Tensor2D {
  return linear(
    cls,
    params.get(`${prefix}.w`) as tf.Tensor2D,
    params.get(`${prefix}.b`) as tf.Tensor1D,
  );
}

/**
 * Mean binary cross-entropy over the labelled entries of `targets` (`[B, A]` in {0, 1}, NaN =
 * unlabelled), in the stable form max(x, 0) − x·y + log(1 + e^−|x|).
 */
export function attributeLoss(logits: tf.Tensor2D, targets: Float32Array): tf.Scalar {
  const mask = Float32Array.from(targets, (v) => (Number.isNaN(v) ? 0 : 1));
  const y = tf.tensor2d(
    Float32Array.from(targets, (v) => (Number.isNaN(v) ? 0 : v)),
    logits.shape,
  );
  const m = tf.tensor2d(mask, logits.shape);
  const bce = tf.add(
    tf.sub(tf.relu(logits), tf.mul(logits, y)),
    tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
  );
  const labelled = Math.max(
    1,
    mask.reduce((a, b) => a + b, 0),
  );
  return tf.div(tf.sum(tf.mul(bce, m)), labelled) as tf.Scalar;
}

/** Mean cross-entropy of class logits `[B, C]` against class indices. */
export function expressionLoss(logits: tf.Tensor2D, classes: Int32Array): tf.Scalar {
  const onehot = tf.oneHot(tf.tensor1d(classes, 'int32'), logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}
