import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { matMulTransposedB } from '../../../src-main/engine/model/mat-mul-transposed';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../../support/engine-helpers';

describe('matMulTransposedB', () => {
  it('gives a · bᵀ at the shape that takes webgpu’s split-K path (16 × 2048 rows)', async () => {
    await useWasm();
    const [n, k] = [16, 2048];
    const rng = new Rng(4);
    const a = Float32Array.from({ length: n * k }, () => rng.normal());
    const b = Float32Array.from({ length: n * k }, () => rng.normal());
    const product = matMulTransposedB(tf.tensor2d(a, [n, k]), tf.tensor2d(b, [n, k]));
    expect(product.shape).toEqual([n, n]);
    const got = await product.data();
    product.dispose();
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let t = 0; t < k; t++) sum += a[i * k + t]! * b[j * k + t]!;
        expect(got[i * n + j]).toBeCloseTo(sum, 2);
      }
  });
});
