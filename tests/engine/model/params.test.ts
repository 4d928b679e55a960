import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assignVariables,
  checksum,
  createVariables,
  flattenGrads,
  initParams,
  layoutOf,
  tensorsOf,
} from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { vitParamSpecs, VIT_PRESETS } from '../../../src-main/engine/model/vit';

function stats(values: Float32Array): { mean: number; std: number; maxAbs: number } {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { mean, std, maxAbs: values.reduce((a, v) => Math.max(a, Math.abs(v)), 0) };
}

describe('initial parameters', () => {
  const layout = layoutOf(vitParamSpecs(VIT_PRESETS.tiny));
  const flat = initParams(layout, new Rng(3));
  const values = (name: string): Float32Array => {
    const e = layout.entries.find((entry) => entry.name === name)!;
    return flat.subarray(e.offset, e.offset + e.size);
  };

  it("draws linear layers from DINO's truncated normal of std 0.02", () => {
    const s = stats(values('block0.qkv.w'));
    expect(s.std).toBeGreaterThan(0.017);
    expect(s.std).toBeLessThan(0.019); // a normal truncated at ±2σ has 0.88σ
    expect(s.maxAbs).toBeLessThanOrEqual(0.04);
  });

  it("draws the patch embedding and its bias as PyTorch's convolution does: uniform on ±1/√fanIn", () => {
    const bound = 1 / Math.sqrt(8 * 8 * 3);
    for (const name of ['patch.w', 'patch.b']) {
      const s = stats(values(name));
      expect(s.maxAbs).toBeLessThanOrEqual(bound);
      expect(s.maxAbs).toBeGreaterThan(0.95 * bound);
      expect(Math.abs(s.std - bound / Math.sqrt(3))).toBeLessThan(0.1 * (bound / Math.sqrt(3)));
    }
  });

  it('gives the same values for the same seed', () => {
    const same = (a: Float32Array, b: Float32Array): boolean =>
      Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
    expect(same(initParams(layout, new Rng(3)), flat)).toBe(true);
    expect(same(initParams(layout, new Rng(4)), flat)).toBe(false);
  });
});

describe('flat values and tensors', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  // Three tensors at offsets 0, 2 and 8 of 10 values.
  const layout = layoutOf([
    { name: 'a', shape: [2], init: 'zeros', decay: false },
    { name: 'b', shape: [2, 3], init: 'zeros', decay: true },
    { name: 'c', shape: [2], init: 'zeros', decay: false },
  ]);
  const flat = Float32Array.from({ length: 10 }, (_, i) => i + 1);

  it('lays tensors end to end', () => {
    expect(layout.entries.map((e) => [e.offset, e.size])).toEqual([
      [0, 2],
      [2, 6],
      [8, 2],
    ]);
    expect(layout.total).toBe(10);
  });

  it('makes one trainable variable per tensor, named under the prefix, and assigns new values', () => {
    const vars = createVariables(layout, flat, 'params-test');
    try {
      expect([...vars.keys()]).toEqual(['a', 'b', 'c']);
      expect(vars.get('b')!.name).toBe('params-test/b');
      expect(vars.get('b')!.trainable).toBe(true);
      expect(vars.get('b')!.arraySync()).toEqual([
        [3, 4, 5],
        [6, 7, 8],
      ]);
      expect(vars.get('c')!.arraySync()).toEqual([9, 10]);
      assignVariables(
        layout,
        flat.map((v) => -v),
        vars,
      );
      expect(vars.get('a')!.arraySync()).toEqual([-1, -2]);
      expect(vars.get('b')!.arraySync()).toEqual([
        [-3, -4, -5],
        [-6, -7, -8],
      ]);
      expect(vars.get('c')!.arraySync()).toEqual([-9, -10]);
    } finally {
      vars.forEach((v) => v.dispose());
    }
  });

  it('flattens gradients in layout order, with zeros for a tensor that has none', async () => {
    const into = new Float32Array(10).fill(9);
    const grads = { a: tf.tensor([1, 2]), c: tf.tensor([3, 4]) };
    await flattenGrads(layout, grads, into);
    expect(Array.from(into)).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 3, 4]);
    Object.values(grads).forEach((g) => g.dispose());
  });

  it('makes constant tensors of the flat values', () => {
    const tensors = tensorsOf(layout, flat);
    expect(tensors.get('a')!.arraySync()).toEqual([1, 2]);
    expect(tensors.get('b')!.shape).toEqual([2, 3]);
    expect(tensors.get('b')!.arraySync()).toEqual([
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(tensors.get('c')!.arraySync()).toEqual([9, 10]);
    tensors.forEach((t) => t.dispose());
  });
});

describe('checksum', () => {
  it("is FNV-1a and a sum of the values' bits, order-sensitive", () => {
    expect(checksum(new Float32Array(0))).toBe('811c9dc5-0');
    expect(checksum(new Float32Array([1, 2]))).toBe('8af697cd-7f800000');
    expect(checksum(new Float32Array([2, 1]))).toBe('89f697cd-7f800000');
  });

  it('reads only the view it is given', () => {
    const whole = new Float32Array([5, 1, 2, 7]);
    expect(checksum(whole.subarray(1, 3))).toBe(checksum(new Float32Array([1, 2])));
  });
});
