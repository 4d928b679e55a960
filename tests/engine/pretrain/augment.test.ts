import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeViews } from '../../../src-main/engine/pretrain/augment';
import type { AugmentConfig } from '../../../src-main/engine/pretrain/augment';
import { IMAGE_MEAN, IMAGE_STD } from '../../../src-main/engine/model/normalise';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../helpers';

beforeAll(useWasm);

const config = {
  globalSize: 16,
  localSize: 8,
  localCrops: 3,
  globalScale: [0.35, 1],
  localScale: [0.05, 0.35],
  colourJitter: 1,
  solarize: 0.2,
} as const;

function viewsOf(
  images: tf.Tensor4D,
  seed: number,
): { globals: Float32Array; locals: Float32Array; shapes: number[][] } {
  return tf.tidy(() => {
    const v = makeViews(images, new Rng(seed), config);
    return {
      globals: v.globals.dataSync() as Float32Array,
      locals: v.locals!.dataSync() as Float32Array,
      shapes: [v.globals.shape, v.locals!.shape],
    };
  });
}

describe('multi-crop augmentation', () => {
  const images = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 11) as tf.Tensor4D;

  it('makes 2 global and L local views per image, view-major, at the configured sizes', () => {
    const v = viewsOf(images, 1);
    expect(v.shapes).toEqual([
      [8, 16, 16, 3],
      [12, 8, 8, 3],
    ]);
    expect(v.globals.every(Number.isFinite)).toBe(true);
    // Normalised with the ImageNet mean/std: values stay within what [0, 1] pixels can map to.
    expect(Math.max(...v.globals)).toBeLessThanOrEqual((1 - 0.406) / 0.225 + 1e-4);
    expect(Math.min(...v.globals)).toBeGreaterThanOrEqual(-0.485 / 0.229 - 1e-4);
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const a = viewsOf(images, 5);
    const b = viewsOf(images, 5);
    const c = viewsOf(images, 6);
    expect(a.globals).toEqual(b.globals);
    expect(a.locals).toEqual(b.locals);
    expect(a.globals).not.toEqual(c.globals);
  });

  it('leaves no tensors behind inside tf.tidy', () => {
    const before = tf.memory().numTensors;
    viewsOf(images, 9);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('colourJitter and solarize', () => {
    // One flat colour, all channels ≥ 0.5: crops and blur keep it, so each view row shows exactly
    // what the colour steps did to it.
    const colour = [0.7, 0.6, 0.55];
    const grey = 0.299 * 0.7 + 0.587 * 0.6 + 0.114 * 0.55;
    const flat = tf.tile(tf.tensor4d(colour, [1, 1, 1, 3]), [8, 16, 16, 1]) as tf.Tensor4D;

    /** The first pixel of every global row, back in [0, 1]. */
    function globalPixels(c: AugmentConfig): number[][] {
      const v = tf.tidy(() => makeViews(flat, new Rng(3), c).globals.dataSync());
      const rowSize = 16 * 16 * 3;
      return Array.from({ length: 16 }, (_, r) =>
        [0, 1, 2].map((ch) => v[r * rowSize + ch]! * IMAGE_STD[ch]! + IMAGE_MEAN[ch]!),
      );
    }
    // The hue step's YIQ round trip is exact only to ~2e-4 (its matrices are rounded).
    const near = (a: number[], b: number[]): boolean =>
      a.every((x, i) => Math.abs(x - b[i]!) < 1e-3);
    const greyOf = (x: number): number[] => [x, x, x];

    it('at strength 0 keeps every row at the colour or its grey; at 1 it moves them', () => {
      const kept = globalPixels({ ...config, colourJitter: 0, solarize: 0 });
      for (const px of kept) expect(near(px, colour) || near(px, greyOf(grey))).toBe(true);
      expect(kept.some((px) => near(px, colour))).toBe(true);
      const jittered = globalPixels({ ...config, colourJitter: 1, solarize: 0 });
      const moved = jittered.filter((px) => !near(px, colour) && !near(px, greyOf(grey)));
      expect(moved.length).toBeGreaterThan(8);
    });

    it('solarises global view 2 with the given probability, never global view 1', () => {
      const always = globalPixels({ ...config, colourJitter: 0, solarize: 1 });
      const inverted = (px: number[]): boolean =>
        near(
          px,
          colour.map((x) => 1 - x),
        ) || near(px, greyOf(1 - grey));
      expect(always.slice(8).every(inverted)).toBe(true);
      expect(always.slice(0, 8).some(inverted)).toBe(false);
      const never = globalPixels({ ...config, colourJitter: 0, solarize: 0 });
      expect(never.some(inverted)).toBe(false);
    });
  });
});
