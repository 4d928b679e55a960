import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParams, layoutOf, tensorsOf } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import {
  gaussianTargets,
  heatmapSide,
  landmarkHeadForward,
  landmarkHeadSpecs,
  meanShapePrior,
  softArgmax,
  tokenNeighbourhood,
} from '../../../src-main/engine/finetune/landmark-head';
import { useWasm } from '../helpers';

beforeAll(useWasm);

/**
 * A 1-point head on a 4×4 grid of 3-channel tokens with every weight 1 and every bias (and the
 * prior) 0, fed a grid where only token (y 1, x 2) is non-zero: which of the 16×16 heatmap cells
 * get positive logits. The head's window and projection are the arguments; no tensor is left.
 */
function heatOfOneToken(context: number, contextChannels: number): boolean[] {
  const c = {
    inputDim: 3,
    grid: 4,
    points: 1,
    channels: [2, 2] as const,
    temperature: 1,
    context,
    contextChannels,
  };
  const layout = layoutOf(landmarkHeadSpecs(c));
  expect(layout.entries.find((e) => e.name === 'landmarks.up1.w')!.shape).toEqual([
    context ** 2 * (contextChannels || 3),
    8,
  ]);
  const flat = new Float32Array(layout.total).fill(1);
  for (const e of layout.entries)
    if (e.name.endsWith('.b') || e.name.endsWith('prior'))
      flat.fill(0, e.offset, e.offset + e.size);
  const params = tensorsOf(layout, flat);
  const tokens = new Float32Array(16 * 3);
  tokens.set([1, 1, 1], (1 * 4 + 2) * 3);
  const before = tf.memory().numTensors;
  const logits = tf.tidy(() =>
    landmarkHeadForward(c, params, tf.tensor2d(tokens, [16, 3]), 1).logits.dataSync(),
  );
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([...params.values()]);
  return Array.from(logits, (v) => v > 0);
}

describe('soft-argmax', () => {
  it('a sharply peaked heatmap gives its peak cell centre', () => {
    const side = 8;
    const logits = new Float32Array(2 * side * side);
    logits[3 * side + 5] = 50; // row 0: peak at x 5, y 3
    logits[side * side + 7 * side + 0] = 50; // row 1: peak at x 0, y 7
    const xy = tf.tidy(() => softArgmax(tf.tensor2d(logits, [2, side * side]), side).dataSync());
    expect(xy[0]).toBeCloseTo(5.5 / side, 5);
    expect(xy[1]).toBeCloseTo(3.5 / side, 5);
    expect(xy[2]).toBeCloseTo(0.5 / side, 5);
    expect(xy[3]).toBeCloseTo(7.5 / side, 5);
  });

  it('a flat heatmap gives the centre, and gradients flow to the logits', () => {
    const side = 4;
    const grad = tf.tidy(() => {
      const f = (l: tf.Tensor): tf.Tensor =>
        tf.sum(tf.slice(softArgmax(l as tf.Tensor2D, side), [0, 0], [1, 1])); // x only
      const logits = tf.zeros([1, side * side]);
      expect(softArgmax(logits as tf.Tensor2D, side).dataSync()[0]).toBeCloseTo(0.5, 6);
      return tf.grad(f)(logits).dataSync();
    });
    // Raising a right-hand cell moves x right; a left-hand cell moves it left.
    expect(grad[side - 1]).toBeGreaterThan(0);
    expect(grad[0]).toBeLessThan(0);
  });
});

describe('landmark head', () => {
  it('maps an 8×8 token grid to 32×32 heatmaps and coordinates in 0..1, with gradients', () => {
    const c = {
      inputDim: 12,
      grid: 8,
      points: 5,
      channels: [6, 4] as const,
      temperature: 1,
      context: 1,
      contextChannels: 0,
    };
    expect(heatmapSide(c)).toBe(32);
    const layout = layoutOf(landmarkHeadSpecs(c));
    const params = tensorsOf(layout, initParams(layout, new Rng(1)));
    const before = tf.memory().numTensors;
    const norms = tf.tidy(() => {
      const patches = tf.randomNormal([2 * 64, 12], 0, 1, 'float32', 3) as tf.Tensor2D;
      const out = landmarkHeadForward(c, params, patches, 2);
      expect(out.logits.shape).toEqual([2 * 5, 32 * 32]);
      expect(out.coords.shape).toEqual([2, 10]);
      const coords = out.coords.dataSync();
      for (const v of coords) expect(v > 0 && v < 1).toBe(true);
      const g = tf.grads((x: tf.Tensor) =>
        tf.sum(landmarkHeadForward(c, params, x as tf.Tensor2D, 2).coords),
      )([patches]);
      return tf.norm(g[0]!).dataSync()[0]!;
    });
    expect(norms).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...params.values()]);
  });

  it('depth-to-space keeps each token in its own 2×2 block', () => {
    // Only token (y 1, x 2) of a 4×4 grid is non-zero, so heat can only appear in the 4×4 cells
    // that block maps to at 16×16: rows 4..7, columns 8..11.
    const hot = heatOfOneToken(1, 0);
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++) {
        const inside = y >= 4 && y < 8 && x >= 8 && x < 12;
        expect(hot[y * 16 + x]).toBe(inside);
      }
  });

  it('a 3×3 context window gathers each token with its neighbours, zeros past the edge', () => {
    // Two images of a 3×3 grid, 2 channels; token value = (image, cell, channel) coded.
    const [batch, grid, dim] = [2, 3, 2];
    const v = Float32Array.from({ length: batch * grid * grid * dim }, (_, i) => i + 1);
    const out = tf.tidy(() =>
      tokenNeighbourhood(tf.tensor2d(v, [batch * grid * grid, dim]), batch, grid, 3).dataSync(),
    );
    for (let b = 0; b < batch; b++)
      for (let y = 0; y < grid; y++)
        for (let x = 0; x < grid; x++)
          for (let o = 0; o < 9; o++)
            for (let ch = 0; ch < dim; ch++) {
              const [sy, sx] = [y + Math.floor(o / 3) - 1, x + (o % 3) - 1];
              const inside = sy >= 0 && sx >= 0 && sy < grid && sx < grid;
              const want = inside ? v[((b * grid + sy) * grid + sx) * dim + ch]! : 0;
              const row = (b * grid + y) * grid + x;
              expect(out[row * 9 * dim + o * dim + ch]).toBe(want);
            }
  });

  it('with a context window, heat spreads only to the cells of neighbouring tokens', () => {
    // As the depth-to-space test, but each token sees its 3×3 window: token (1, 2) of a 4×4 grid
    // now reaches the blocks of tokens (0..2, 1..3), i.e. heatmap rows 0..11, columns 4..15.
    const hot = heatOfOneToken(3, 2);
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++) {
        const inside = y < 12 && x >= 4;
        expect(hot[y * 16 + x]).toBe(inside);
      }
  });

  it('the mean-shape prior puts each point at the mean of the labels', () => {
    // Two faces, two points: means (0.3, 0.4) and (0.7, 0.65).
    const labels = new Float32Array([0.2, 0.3, 0.6, 0.7, 0.4, 0.5, 0.8, 0.6]);
    const side = 32;
    const prior = meanShapePrior(labels, 2, side, 2);
    const xy = tf.tidy(() => softArgmax(tf.tensor2d(prior, [2, side * side]), side).dataSync());
    [0.3, 0.4, 0.7, 0.65].forEach((v, i) => expect(xy[i]).toBeCloseTo(v, 3));
  });

  it('Gaussian targets peak at the point and sum to 1', () => {
    const t = gaussianTargets(new Float32Array([2.5 / 8, 5.5 / 8]), 8, 1);
    const v = t.dataSync() as Float32Array;
    t.dispose();
    expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(v.indexOf(Math.max(...v))).toBe(5 * 8 + 2);
  });
});

describe('landmark head config', () => {
  it('defaults to no context window and rejects an even window by name', () => {
    const c = parseFinetuneConfig({ task: 'landmarks' });
    expect(c.landmarkHead.context).toBe(1);
    expect(c.landmarkHead.contextChannels).toBe(0);
    expect(() => parseFinetuneConfig({ task: 'landmarks', landmarkHead: { context: 2 } })).toThrow(
      /landmarkHead\.context: must be odd/,
    );
  });
});
