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

  it('clips by the norm of the tensor alone, and leaves a norm equal to the clip as it is', () => {
    // w's gradient has norm 3, the clip: unchanged, even though b's gradient (4) follows it.
    const state = createAdamWState(layout);
    adamwStep(layout, new Float32Array(4), new Float32Array([3, 0, 4, 0]), state, {
      lr: 0.1,
      weightDecay: 0,
    });
    expect(state.m[0]).toBe(Math.fround((1 - 0.9) * 3));
    expect(state.m[2]).toBeCloseTo(0.3, 6); // b: norm 4, clipped to 3
  });

  it('scales a clipped gradient by clip ÷ (norm + 1e-6), as DINO does', () => {
    // Norm 2e-5 clipped to 1e-5: the 1e-6 is a twentieth of the norm here.
    const state = createAdamWState(layout);
    adamwStep(
      layout,
      new Float32Array(4),
      new Float32Array([1.2e-5, 1.6e-5, 0, 0]),
      state,
      { lr: 0.1, weightDecay: 0 },
      { beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 1e-5 },
    );
    const scale = 1e-5 / (2e-5 + 1e-6);
    expect(state.m[0]! / (0.1 * 1.2e-5 * scale)).toBeCloseTo(1, 5);
  });

  it('adds eps to the root of the second moment: a gradient of eps moves by half the rate', () => {
    const params = new Float32Array(4);
    adamwStep(
      layout,
      params,
      new Float32Array([1e-8, 0, 0, 0]),
      createAdamWState(layout),
      { lr: 1, weightDecay: 0 },
      { beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0 },
    );
    expect(params[0]).toBeCloseTo(-0.5, 4);
  });
});
