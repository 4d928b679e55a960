import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dinoLoss,
  koleoLoss,
  meanEntropy,
  teacherTargets,
  updateCenter,
} from '../../../src-main/engine/pretrain/loss';
import { emaUpdate } from '../../../src-main/engine/pretrain/ema';
import { useWasm } from '../../support/engine-helpers';

beforeAll(useWasm);

const softmax = (xs: number[]): number[] => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('DINO loss', () => {
  it('matches a hand computation on 1 image, 2 globals + 1 local, K = 2', () => {
    // Teacher logits for the two globals, centre c, τt = 0.5; student logits for 3 views, τs = 1.
    const teacher = [
      [1, 0],
      [0, 2],
    ];
    const c = [0.5, 0.5];
    const student = [
      [0.2, 0.1],
      [0.3, -0.4],
      [1.0, 0.0],
    ];
    const pt = teacher.map((row) => softmax(row.map((v, k) => (v - c[k]!) / 0.5)));
    const logps = student.map((row) => softmax(row).map(Math.log));
    let expected = 0;
    let pairs = 0;
    for (let g = 0; g < 2; g++)
      for (let v = 0; v < 3; v++) {
        if (v === g) continue;
        expected += -pt[g]!.reduce((a, p, k) => a + p * logps[v]![k]!, 0);
        pairs++;
      }
    expected /= pairs;
    const got = tf.tidy(() => {
      const targets = teacherTargets(tf.tensor2d(teacher), tf.tensor1d(c), 0.5);
      return dinoLoss(targets, tf.tensor2d(student), 2, 3, 1).dataSync()[0]!;
    });
    expect(got).toBeCloseTo(expected, 5);
  });

  it('entropy is log K for uniform targets and 0 for one-hot', () => {
    const [uniform, onehot] = tf.tidy(() => [
      meanEntropy(tf.fill([3, 8], 1 / 8) as tf.Tensor2D).dataSync()[0]!,
      meanEntropy(tf.oneHot([1, 2], 8).toFloat() as tf.Tensor2D).dataSync()[0]!,
    ]);
    expect(uniform).toBeCloseTo(Math.log(8), 5);
    expect(onehot).toBeCloseTo(0, 5);
  });

  it('centre moves 10% of the way to the batch mean', () => {
    const center = new Float32Array([1, 0]);
    updateCenter(center, new Float32Array([4, 8]), 4, 0.9); // batch mean [1, 2]
    expect(center[0]).toBeCloseTo(1, 6);
    expect(center[1]).toBeCloseTo(0.2, 6);
  });

  it('EMA blends the teacher toward the student by 1 − m', () => {
    const teacher = new Float32Array([1, 2]);
    emaUpdate(teacher, new Float32Array([3, 0]), 0.75);
    expect(teacher[0]).toBeCloseTo(1.5, 6);
    expect(teacher[1]).toBeCloseTo(1.5, 6);
  });
});

describe('KoLeo', () => {
  it('is −mean log of the distance to the nearest other L2-normalised feature', () => {
    // Normalised: (1, 0), (0, 1) and (√½, √½); each one's nearest other is 45° away, at a
    // distance of √(2 − √2). Norms 2, 3 and 3√2: the features are normalised per row.
    const features = tf.tensor2d([
      [2, 0],
      [0, 3],
      [3, 3],
    ]);
    const loss = koleoLoss(features);
    expect(loss.dataSync()[0]).toBeCloseTo(-Math.log(Math.sqrt(2 - Math.SQRT2)), 5);
    tf.dispose([features, loss]);
  });
});
