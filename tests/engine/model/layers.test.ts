import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gelu } from '../../../src-main/engine/model/layers/gelu';
import { layerNorm } from '../../../src-main/engine/model/layers/layer-norm';
import { linear } from '../../../src-main/engine/model/layers/linear';
import { positionResizeMatrix } from '../../../src-main/engine/model/vit';
import { useWasm } from '../helpers';

beforeAll(useWasm);

/** Max |a − b| between two gradient lists. */
function maxDiff(a: tf.Tensor[], b: tf.Tensor[]): number {
  return Math.max(
    ...a.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, b[i]!))).dataSync()[0]!)),
  );
}

describe('layers with hand-written gradients agree with autodiff', () => {
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([4, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
  const probe = tf.randomNormal([5, 3], 0, 1, 'float32', 4);

  it('linear', () => {
    const ours = tf.grads((x1, w1, b1) =>
      tf.sum(tf.mul(linear(x1 as tf.Tensor2D, w1 as tf.Tensor2D, b1 as tf.Tensor1D), probe)),
    )([x, w, b]);
    const ref = tf.grads((x1, w1, b1) => tf.sum(tf.mul(tf.add(tf.matMul(x1, w1), b1), probe)))([
      x,
      w,
      b,
    ]);
    expect(maxDiff(ours, ref)).toBeLessThan(1e-4);
  });

  it('layer norm', () => {
    const g = tf.randomNormal([4], 1, 0.1, 'float32', 5) as tf.Tensor1D;
    const be = tf.randomNormal([4], 0, 0.1, 'float32', 6) as tf.Tensor1D;
    const p = tf.randomNormal([5, 4], 0, 1, 'float32', 7);
    const ours = tf.grads((x1, g1, b1) =>
      tf.sum(tf.mul(layerNorm(x1 as tf.Tensor2D, g1 as tf.Tensor1D, b1 as tf.Tensor1D), p)),
    )([x, g, be]);
    const ref = tf.grads((x1, g1, b1) => {
      const { mean, variance } = tf.moments(x1, -1, true);
      return tf.sum(
        tf.mul(
          tf.add(tf.mul(tf.div(tf.sub(x1, mean), tf.sqrt(tf.add(variance, 1e-6))), g1), b1),
          p,
        ),
      );
    })([x, g, be]);
    expect(maxDiff(ours, ref)).toBeLessThan(1e-4);
  });

  it('gelu', () => {
    const ours = tf.grads((x1) => tf.sum(tf.mul(gelu(x1), x1)))([x]);
    const ref = tf.grads((x1) =>
      tf.sum(tf.mul(tf.mul(tf.mul(x1, 0.5), tf.add(1, tf.erf(tf.mul(x1, Math.SQRT1_2)))), x1)),
    )([x]);
    expect(maxDiff(ours, ref)).toBeLessThan(1e-4);
  });
});

describe('positional embedding interpolation', () => {
  it('keeps a constant grid constant and rows sum to 1', () => {
    const m = positionResizeMatrix(8, 3);
    for (let r = 0; r < 9; r++) {
      const row = m.subarray(r * 64, (r + 1) * 64);
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    }
  });

  it('is the identity at the same size', () => {
    const m = positionResizeMatrix(4, 4);
    for (let r = 0; r < 16; r++)
      for (let c = 0; c < 16; c++) expect(m[r * 16 + c]).toBeCloseTo(r === c ? 1 : 0, 5);
  });
});
