import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeViews } from '../../src-main/engine/augment';
import { Rng } from '../../src-main/engine/rng';
import { useWasm } from './helpers';

beforeAll(useWasm);

const config = {
  globalSize: 16,
  localSize: 8,
  localCrops: 3,
  globalScale: [0.35, 1],
  localScale: [0.05, 0.35],
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
});
