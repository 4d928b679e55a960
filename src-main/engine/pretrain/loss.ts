/**
 * The DINO-style matching loss (DESIGN §4), as used by ProS where its paper is silent.
 * Views are laid out view-major: rows `[v·B, (v+1)·B)` hold view v of every image; the first
 * `globals` views are the global crops, the only ones the teacher sees.
 */
import * as tf from '@tensorflow/tfjs';

/** Teacher targets: centred, sharpened softmax `softmax((t − c) / τt)`. */
export function teacherTargets(
  teacherLogits: tf.Tensor2D,
  center: tf.Tensor,
  temperature: number,
): tf.Tensor2D {
  return tf.softmax(tf.div(tf.sub(teacherLogits, center), temperature)) as tf.Tensor2D;
}

/** Mean entropy (nats) of the rows of a probability matrix: near log K means uniform (collapse
 * to the centre), near 0 means one-hot (collapse to one prototype). */
export function meanEntropy(probs: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(probs, tf.log(tf.add(probs, 1e-12))), 1))) as tf.Scalar;
}

/**
 * Mean over pairs (teacher global view g, student view v ≠ g) of the batch mean of
 * −Σk Pt(g)k · log Ps(v)k, with Ps = softmax(student / τs).
 * Uses Σ_{v≠g} log Ps(v) = Σ_v log Ps(v) − log Ps(g), so the cost is one pass, not one per pair.
 */
export function dinoLoss(
  targets: tf.Tensor2D,
  studentLogits: tf.Tensor2D,
  globals: number,
  views: number,
  studentTemperature: number,
): tf.Scalar {
  const k = studentLogits.shape[1];
  const batch = studentLogits.shape[0] / views;
  const logp = tf.reshape(tf.logSoftmax(tf.div(studentLogits, studentTemperature)), [
    views,
    batch,
    k,
  ]);
  const all = tf.sum(logp, 0, true);
  const own = tf.slice(logp, [0, 0, 0], [globals, batch, k]);
  const t = tf.reshape(targets, [globals, batch, k]);
  const total = tf.sum(tf.mul(t, tf.sub(all, own)));
  return tf.div(tf.neg(total), batch * globals * (views - 1));
}

/**
 * KoLeo regulariser (Sablayrolles et al., used by DINOv2): −mean log(distance to the nearest other
 * feature) of L2-normalised features `[B, D]`; it spreads features apart.
 */
export function koleoLoss(features: tf.Tensor2D): tf.Scalar {
  const n = features.shape[0];
  const x = tf.div(features, tf.maximum(tf.norm(features, 'euclidean', 1, true), 1e-12));
  const sim = tf.matMul(x, tf.transpose(x));
  const masked = tf.sub(sim, tf.mul(tf.eye(n), 4)); // self-similarity pushed below any other
  const nearest = tf.max(masked, 1);
  const dist = tf.sqrt(tf.maximum(tf.sub(2, tf.mul(2, nearest)), 1e-8));
  return tf.neg(tf.mean(tf.log(tf.add(dist, 1e-8)))) as tf.Scalar;
}

/** Centre update c ← m·c + (1 − m)·mean, in place on the flat centre (`batchSum` over `count` rows). */
export function updateCenter(
  center: Float32Array,
  batchSum: Float32Array,
  count: number,
  momentum: number,
): void {
  for (let i = 0; i < center.length; i++)
    center[i] = momentum * center[i]! + (1 - momentum) * (batchSum[i]! / count);
}
