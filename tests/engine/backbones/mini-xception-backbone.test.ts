/**
 * The mini-Xception appearance backbone: loads from the installed package (no download), offers
 * the taps it declares with their shapes, applies its own grey normalisation, and names its
 * licence with a notice file that exists.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { tapSize } from '../../../src-main/engine/backbones/face-backbone';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';

describe('mini-Xception backbone', () => {
  let backbone: FaceBackbone;
  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
    backbone = await loadMiniXceptionBackbone();
  });
  afterAll(() => backbone.dispose());

  it('embeds every tap with its declared size; pooled is the map averaged', async () => {
    const crops = tf.randomUniform([3, 64, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const out = await backbone.embed(crops);
    crops.dispose();
    expect(out.count).toBe(3);
    for (const tap of backbone.taps) expect(out.taps[tap.name]).toHaveLength(3 * tapSize(tap));
    const map = out.taps.map!;
    const pooled = out.taps.pooled!;
    for (const c of [0, 100, 255]) {
      let sum = 0;
      for (let p = 0; p < 64; p++) sum += map[64 * 256 + p * 256 + c]!; // face 1
      expect(pooled[256 + c]).toBeCloseTo(sum / 64, 4);
    }
    const scores = out.taps.scores!;
    expect(scores.slice(0, 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('resizes other input sizes itself and returns only the taps asked for', async () => {
    // A smooth image, so resampling 64 → 128 → 64 px changes it little.
    const grey = tf.tidy(() => {
      const ys = tf.reshape(tf.range(0, 64), [64, 1]);
      const xs = tf.reshape(tf.range(0, 64), [1, 64]);
      const img = tf.add(0.5, tf.mul(0.3, tf.mul(tf.sin(tf.div(xs, 6)), tf.cos(tf.div(ys, 9)))));
      return tf.reshape(img, [1, 64, 64, 1]) as tf.Tensor4D;
    });
    const rgb = tf.tile(grey, [1, 1, 1, 3]) as tf.Tensor4D;
    const a = (await backbone.embed(rgb, ['pooled'])).taps.pooled!;
    const big = tf.image.resizeBilinear(rgb, [128, 128], false, true);
    const b = (await backbone.embed(big, ['pooled'])).taps.pooled!;
    expect(Object.keys((await backbone.embed(rgb, ['pooled'])).taps)).toEqual(['pooled']);
    tf.dispose([grey, rgb, big]);
    let diff = 0;
    let size = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      size = Math.max(size, Math.abs(a[i]!));
    }
    expect(size).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.1 * size);
  });

  it('states its licence and ships the notice', () => {
    expect(backbone.kind).toBe('appearance');
    expect(backbone.licence.spdx).toBe('MIT');
    expect(backbone.licence.attribution).toMatch(/Arriaga/);
    expect(existsSync(backbone.licence.noticeFile!)).toBe(true);
  });
});
