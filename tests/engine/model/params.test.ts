import { describe, expect, it } from 'vitest';
import { initParams, layoutOf } from '../../../src-main/engine/model/params';
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
