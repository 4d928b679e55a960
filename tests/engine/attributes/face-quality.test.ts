/**
 * Per-face quality notes on real faces: a CK+ 48-px grey face passes (small grey faces are the
 * backbone's home ground), the same face blurred (Gaussian σ = 2 px) is "too-blurred", and a box
 * under 24 source pixels is "too-small" — each a typed note with a message, never a guess.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import { cropFaces } from '../../../src-main/engine/data/face-crop';
import {
  DEFAULT_QUALITY_LIMITS,
  judgeFace,
  judgeFaces,
  sharpnessOf,
} from '../../../src-main/engine/attributes/face-quality';
import { readCkFaces } from './appearance-data';

function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  return tf.tidy(() => {
    const r = Math.ceil(3 * sigma);
    const taps = Array.from({ length: 2 * r + 1 }, (_, i) =>
      Math.exp(-((i - r) ** 2) / (2 * sigma ** 2)),
    );
    const sum = taps.reduce((a, b) => a + b, 0);
    const k = tf.tensor1d(taps.map((v) => v / sum));
    const kh = tf.reshape(k, [1, 2 * r + 1, 1, 1]) as tf.Tensor4D;
    const kv = tf.reshape(k, [2 * r + 1, 1, 1, 1]) as tf.Tensor4D;
    const channels = tf
      .split(x, 3, 3)
      .map((c) => tf.conv2d(tf.conv2d(c as tf.Tensor4D, kh, 1, 'same'), kv, 1, 'same'));
    return tf.concat(channels, 3) as tf.Tensor4D;
  });
}

describe('face quality notes', () => {
  let crops: tf.Tensor4D;
  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
    const { faces } = await readCkFaces(12, 5);
    const parts: tf.Tensor4D[] = [];
    for (const f of faces) parts.push(await cropFaces(f.source, [f.box], 64));
    crops = tf.concat(parts, 0);
    tf.dispose(parts);
  });

  it('passes CK+ 48-px grey faces and refuses them blurred', async () => {
    const sides = Array.from({ length: crops.shape[0] }, () => 48);
    const clean = await judgeFaces(crops, sides);
    expect(clean.every((q) => q.usable)).toBe(true);
    const blurred = gaussianBlur(crops, 2);
    const notes = await judgeFaces(blurred, sides);
    blurred.dispose();
    for (const note of notes) {
      expect(note.usable).toBe(false);
      if (note.usable) continue;
      expect(note.reason).toBe('too-blurred');
      expect(note.message).toMatch(/blurred \(sharpness 0\.0\d+; at least 0\.05/);
    }
  });

  it('does not depend on brightness or contrast', async () => {
    const a = await sharpnessOf(crops);
    const dimmer = tf.tidy(() => tf.add(tf.mul(crops, 0.5), 0.2) as tf.Tensor4D);
    const b = await sharpnessOf(dimmer);
    dimmer.dispose();
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 3);
  });

  it('calls a face under the size limit too small, whatever its sharpness', () => {
    const note = judgeFace(20, 0.5);
    expect(note).toEqual({
      usable: false,
      reason: 'too-small',
      sidePx: 20,
      sharpness: 0.5,
      message: `Face is 20 px across; at least ${DEFAULT_QUALITY_LIMITS.minSidePx} px is needed`,
    });
    expect(judgeFace(DEFAULT_QUALITY_LIMITS.minSidePx, 0.5).usable).toBe(true);
    expect(judgeFace(100, Number.NaN).usable).toBe(false);
  });
});
