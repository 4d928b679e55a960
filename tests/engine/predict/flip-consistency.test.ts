/** Flip consistency on plain numbers: un-mirroring, the mean point and the uncertainty. */
import { describe, expect, it } from 'vitest';
import {
  combineFlipped,
  flipIndexOf,
  unmirrorLandmarks,
} from '../../../src-main/engine/predict/flip-consistency';

// Three points: a left/right pair and a middle one that mirrors onto itself.
const FLIP = flipIndexOf(3, [[0, 2]]);

/** What a perfect model predicts on the mirrored crop of a face whose points are `points`. */
function mirrorOf(points: number[]): Float32Array {
  const out = new Float32Array(points.length);
  FLIP.forEach((source, i) => {
    out[2 * i] = 1 - points[2 * source]!;
    out[2 * i + 1] = points[2 * source + 1]!;
  });
  return out;
}

describe('flip consistency', () => {
  it('builds the flip index from the mirror pairs and refuses a pair past the schema', () => {
    expect(FLIP).toEqual([2, 1, 0]);
    expect(() => flipIndexOf(2, [[0, 2]])).toThrow(/past the schema/);
  });

  it('un-mirrors a mirrored prediction back onto the original points', () => {
    const face = [0.3, 0.4, 0.5, 0.6, 0.7, 0.45];
    const back = unmirrorLandmarks(mirrorOf(face), FLIP);
    Array.from(back).forEach((v, i) => expect(v).toBeCloseTo(face[i]!, 6));
  });

  it('gives zero uncertainty to a mirror-consistent prediction, and keeps its points', () => {
    const faces = [0.3, 0.4, 0.5, 0.6, 0.7, 0.45, 0.2, 0.2, 0.45, 0.5, 0.8, 0.25];
    const direct = Float32Array.from(faces);
    const mirrored = new Float32Array([
      ...mirrorOf(faces.slice(0, 6)),
      ...mirrorOf(faces.slice(6)),
    ]);
    const { points, uncertainty } = combineFlipped(direct, mirrored, FLIP);
    expect(uncertainty).toHaveLength(6);
    for (const u of uncertainty) expect(u).toBeLessThan(1e-6);
    Array.from(points).forEach((v, i) => expect(v).toBeCloseTo(faces[i]!, 6));
  });

  it('grows with the disagreement and puts the point half way', () => {
    const face = [0.3, 0.4, 0.5, 0.6, 0.7, 0.45];
    const mirrored = mirrorOf(face);
    // The mirrored pass puts the middle point 0.06 right and 0.08 down: 0.1 of the crop away.
    mirrored[2] = mirrored[2]! + 0.06;
    mirrored[3] = mirrored[3]! + 0.08;
    const { points, uncertainty } = combineFlipped(Float32Array.from(face), mirrored, FLIP);
    expect(uncertainty[0]).toBeLessThan(1e-6);
    expect(uncertainty[1]).toBeCloseTo(0.1, 6);
    expect(uncertainty[2]).toBeLessThan(1e-6);
    // Un-mirrored, x moves left by 0.06: the mean is 0.03 left of the direct point, 0.04 down.
    expect(points[2]).toBeCloseTo(0.5 - 0.03, 6);
    expect(points[3]).toBeCloseTo(0.6 + 0.04, 6);
  });

  it('refuses predictions of different lengths', () => {
    expect(() => combineFlipped(new Float32Array(6), new Float32Array(12), FLIP)).toThrow(/differ/);
  });
});
