import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { flipIndex } from '../../../src-main/core/schemas/landmark-schema';
import {
  augmentLandmarkBatch,
  flipPoints,
  imageTransformOf,
  planAffine,
  transformPoints,
} from '../../../src-main/engine/finetune/landmark-augment';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../helpers';

beforeAll(useWasm);

/** A face's points from the schema's template (0..1 box), shrunk into the crop off-centre. */
function templatePoints(id: string): Float32Array {
  const schema = builtinLandmarkSchema(id);
  return Float32Array.from(schema.template.flatMap(([x, y]) => [0.2 + 0.5 * x, 0.15 + 0.6 * y]));
}

describe.each([
  ['ibug68', 36, 45],
  ['wflw98', 60, 72],
  ['five', 0, 1],
])('flip of the %s schema', (id, leftEye, rightEye) => {
  const schema = builtinLandmarkSchema(id);
  const flip = flipIndex(schema);
  const points = templatePoints(id);

  it('puts the left eye point on the right eye index with x mirrored', () => {
    const flipped = flipPoints(points, flip);
    expect(flipped[2 * rightEye]).toBeCloseTo(1 - points[2 * leftEye]!, 6);
    expect(flipped[2 * rightEye + 1]).toBeCloseTo(points[2 * leftEye + 1]!, 6);
    expect(flipped[2 * leftEye]).toBeCloseTo(1 - points[2 * rightEye]!, 6);
    // After a flip, the image-left eye is still left of the image-right eye.
    expect(flipped[2 * leftEye]!).toBeLessThan(flipped[2 * rightEye]!);
  });

  it('twice is the identity', () => {
    const twice = flipPoints(flipPoints(points, flip), flip);
    twice.forEach((v, i) => expect(v).toBeCloseTo(points[i]!, 6));
  });

  it('as an affine plan, equals flipPoints', () => {
    const plan = {
      flip: true,
      m: [-1, 0, 0, 1] as [number, number, number, number],
      t: [0, 0] as [number, number],
    };
    const a = transformPoints(points, plan, flip);
    const b = flipPoints(points, flip);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
  });
});

describe('geometric augmentation', () => {
  it('moves the image and its points by the same matrix', () => {
    // A black 32-px image with one white 2×2 dot; after a random plan (rotation, scale, shift,
    // flip) the brightest output pixel must sit where transformPoints puts the dot's centre.
    const size = 32;
    const flip = [0];
    const rng = new Rng(11);
    for (let trial = 0; trial < 6; trial++) {
      const px = 8 + trial * 2;
      const py = 19 - trial;
      const pixels = new Float32Array(size * size * 3);
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ])
        pixels.fill(1, ((py + dy!) * size + px + dx!) * 3, ((py + dy!) * size + px + dx!) * 3 + 3);
      const image = tf.tensor4d(pixels, [1, size, size, 3]);
      const centre = new Float32Array([(px + 1) / size, (py + 1) / size]); // dot centre, in u
      const plan = planAffine(rng, {
        flip: 0.5,
        rotation: 20,
        scale: [0.9, 1.1],
        shift: 0.05,
        colour: 0,
      });
      const out = tf.tidy(() =>
        tf.image
          .transform(image, tf.tensor2d([imageTransformOf(plan, size)], [1, 8]), 'bilinear')
          .dataSync(),
      );
      image.dispose();
      let best = 0;
      let bx = 0;
      let by = 0;
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          if (out[(y * size + x) * 3]! > best) [best, bx, by] = [out[(y * size + x) * 3]!, x, y];
      const [ux, uy] = transformPoints(centre, plan, flip);
      // The brightest pixel's centre is within one pixel of the moved dot centre.
      expect(Math.abs((bx + 0.5) / size - ux!)).toBeLessThanOrEqual(1.01 / size);
      expect(Math.abs((by + 0.5) / size - uy!)).toBeLessThanOrEqual(1.01 / size);
    }
  });

  it('augments a batch without leaking tensors, keeping points and images paired', () => {
    const flip = flipIndex(builtinLandmarkSchema('five'));
    const images = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const points = new Float32Array(3 * 10).fill(0.5);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const r = augmentLandmarkBatch(images, points, flip, new Rng(4), {
        flip: 0.5,
        rotation: 20,
        scale: [0.9, 1.1],
        shift: 0.05,
        colour: 0.2,
      });
      expect(r.images.shape).toEqual([3, 16, 16, 3]);
      const v = r.images.dataSync();
      for (const x of v) expect(x >= 0 && x <= 1).toBe(true);
      return r.points;
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(out.length).toBe(30);
    // Every point sat at the centre, which rotation, scale and flip leave put: only the shift moves it.
    for (const v of out) expect(Math.abs(v - 0.5)).toBeLessThanOrEqual(0.05 + 1e-6);
    images.dispose();
  });
});
