import { describe, expect, it } from 'vitest';
import { adamwStep, createAdamWState } from '../../../src-main/engine/optim/adamw';
import { layoutOf } from '../../../src-main/engine/model/params';

const layout = layoutOf([
  { name: 'w', shape: [2], init: 'normal', decay: true },
  { name: 'b', shape: [1], init: 'zeros', decay: false },
  { name: 'proto', shape: [1], init: 'normal', decay: true, prototypes: true },
]);

describe('AdamW', () => {
  it('first step matches the hand-computed update, decaying only the matrix', () => {
    const params = new Float32Array([1, -2, 0.5, 3]);
    const grads = new Float32Array([0.1, -0.2, 0.3, 1]);
    const state = createAdamWState(layout);
    const lr = 0.01;
    const wd = 0.5;
    adamwStep(layout, params, grads, state, { lr, weightDecay: wd });
    // Step 1: m̂ = g, v̂ = g², so the Adam term is g/(|g| + eps) ≈ sign(g).
    const adam = (g: number): number => g / (Math.abs(g) + 1e-8);
    expect(params[0]).toBeCloseTo(1 * (1 - lr * wd) - lr * adam(0.1), 6);
    expect(params[1]).toBeCloseTo(-2 * (1 - lr * wd) - lr * adam(-0.2), 6);
    expect(params[2]).toBeCloseTo(0.5 - lr * adam(0.3), 6); // bias: no decay
    expect(state.m[0]).toBeCloseTo(0.01, 7);
    expect(state.v[1]).toBeCloseTo(0.001 * 0.04, 9);
    expect(state.steps).toEqual([1, 1, 1]);
  });

  it('second step uses bias-corrected moments', () => {
    const params = new Float32Array([0, 0, 0, 0]);
    const state = createAdamWState(layout);
    adamwStep(
      layout,
      params,
      new Float32Array([1, 0, 0, 0]),
      state,
      { lr: 1, weightDecay: 0 },
      { beta1: 0.9, beta2: 0.999, eps: 0, clip: 0 },
    );
    adamwStep(
      layout,
      params,
      new Float32Array([0, 0, 0, 0]),
      state,
      { lr: 1, weightDecay: 0 },
      { beta1: 0.9, beta2: 0.999, eps: 0, clip: 0 },
    );
    const m = 0.9 * 0.1;
    const v = 0.999 * 0.001;
    const second = m / (1 - 0.81) / Math.sqrt(v / (1 - 0.999 ** 2));
    expect(params[0]).toBeCloseTo(-1 - second, 5);
  });

  it('clips each tensor’s gradient norm and skips frozen tensors entirely', () => {
    const params = new Float32Array([0, 0, 0, 7]);
    const state = createAdamWState(layout);
    adamwStep(layout, params, new Float32Array([30, 40, 0, 5]), state, {
      lr: 0.1,
      weightDecay: 0.1,
      frozen: (e) => e.prototypes === true,
    });
    // Norm 50 clipped to 3: g = [1.8, 2.4]; m = 0.1·g.
    expect(state.m[0]).toBeCloseTo(0.18, 5);
    expect(state.m[1]).toBeCloseTo(0.24, 5);
    expect(params[3]).toBe(7);
    expect(state.steps).toEqual([1, 1, 0]);
  });
});
