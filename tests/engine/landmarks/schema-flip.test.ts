import { describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { flipIndexOf, flipShapes } from '../../../src-main/engine/landmarks/schema-flip';

describe('flip augmentation of targets', () => {
  const schema = builtinLandmarkSchema('ibug68');
  const flip = flipIndexOf(68, schema.mirror);

  it('swaps mirror pairs and mirrors u about the crop centre', () => {
    // One face: point i at (i/100, 0.5 + i/1000).
    const shape = Float64Array.from({ length: 136 }, (_, t) =>
      t % 2 === 0 ? t / 2 / 100 : 0.5 + (t - 1) / 2 / 1000,
    );
    const flipped = flipShapes(shape, 1, flip);
    // Outer eye corners 36 ↔ 45: the new 36 is the old 45, mirrored.
    expect(flipped[2 * 36]).toBeCloseTo(1 - 0.45);
    expect(flipped[2 * 36 + 1]).toBeCloseTo(0.5 + 0.045);
    expect(flipped[2 * 45]).toBeCloseTo(1 - 0.36);
    // Jaw 0 ↔ 16; the nose bridge 27 is its own mirror.
    expect(flipped[0]).toBeCloseTo(1 - 0.16);
    expect(flipped[2 * 27]).toBeCloseTo(1 - 0.27);
    expect(flipped[2 * 27 + 1]).toBeCloseTo(0.5 + 0.027);
    // Flipping twice is the identity.
    expect(Array.from(flipShapes(flipped, 1, flip))).toEqual(
      Array.from(shape).map((v) => expect.closeTo(v, 12)),
    );
  });

  it('works per face on a batch and for the 5-point schema', () => {
    const five = builtinLandmarkSchema('five');
    const f5 = flipIndexOf(5, five.mirror);
    expect(f5).toEqual([1, 0, 2, 4, 3]);
    const two = Float64Array.from([
      0.3,
      0.4,
      0.7,
      0.4,
      0.5,
      0.6,
      0.35,
      0.8,
      0.65,
      0.8,
      ...new Array(10).fill(0.5),
    ]);
    const out = flipShapes(two, 2, f5);
    expect(out[0]).toBeCloseTo(0.3); // new left eye = old right eye (0.7) mirrored
    expect(out[2]).toBeCloseTo(0.7);
    expect(out[6]).toBeCloseTo(1 - 0.65);
    expect(out[10]).toBeCloseTo(0.5);
  });

  it('refuses pairs out of range and shapes of the wrong length', () => {
    expect(() => flipIndexOf(5, [[0, 5]])).toThrow(/Mirror pair \[0, 5\] is out of range for 5/);
    expect(() => flipShapes(new Float64Array(9), 1, flip)).toThrow(
      /9 values are not 1 faces of 68/,
    );
  });
});
