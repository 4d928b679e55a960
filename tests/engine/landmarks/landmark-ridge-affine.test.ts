/**
 * The landmark ridge head collapsed into one affine map per crop equals the head's own per-crop
 * prediction (float64), with and without feature maps and without points; two crops combined as
 * predict-faces.ts combines a crop and its mirror give the head's flip-averaged shapes.
 */
import { describe, expect, it } from 'vitest';
import {
  applyLandmarkAffine,
  landmarkRidgeAffine,
} from '../../../src-main/engine/landmarks/landmark-ridge-affine';
import {
  DEFAULT_RIDGE_OPTIONS,
  fitLandmarkRidge,
  predictLandmarkCrops,
  predictLandmarkRidge,
  type HeadInput,
} from '../../../src-main/engine/landmarks/landmark-ridge-head';
import { Rng } from '../../../src-main/engine/model/rng';
import { combineFlipped } from '../../../src-main/engine/predict/flip-consistency';

const P = 30;
const DIMS = 3;
const MAP = 40;
const FLIP = [1, 0, 2, 4, 3];
const K = FLIP.length;

/** `n` synthetic faces: mesh points around a base shape, maps, targets linear in both plus noise. */
function faces(n: number, seed: number, withPoints: boolean, withMaps: boolean) {
  const rng = new Rng(seed);
  const points = new Float32Array(n * P * DIMS);
  const maps = new Float32Array(n * MAP);
  const targets = new Float64Array(n * K * 2);
  for (let f = 0; f < n; f++) {
    const shift = 0.05 * rng.normal();
    for (let p = 0; p < P; p++)
      for (let d = 0; d < DIMS; d++)
        points[(f * P + p) * DIMS + d] = (p + d) / (P + DIMS) + shift + 0.01 * rng.normal();
    for (let t = 0; t < MAP; t++) maps[f * MAP + t] = Math.max(0, rng.normal() + (t % 3));
    for (let k = 0; k < K; k++)
      for (let c = 0; c < 2; c++)
        targets[(f * K + k) * 2 + c] =
          points[(f * P + 3 * k) * DIMS + c]! + 0.01 * maps[f * MAP + k]! + 0.002 * rng.normal();
  }
  const input = (pts: Float32Array, m: Float32Array): HeadInput => ({
    count: n,
    points: withPoints ? pts : null,
    pointCount: withPoints ? P : 0,
    pointDims: withPoints ? DIMS : 0,
    maps: withMaps ? m : null,
    mapDim: withMaps ? MAP : 0,
  });
  // The mirrored view: x → 1 − x, the same maps reversed (any deterministic stand-in will do).
  const mirrorPoints = points.map((v, i) => (i % DIMS === 0 ? 1 - v : v));
  const mirrorMaps = maps.map((_, i) => maps[i - (i % MAP) + (MAP - 1 - (i % MAP))]!);
  return { faces: input(points, maps), mirrored: input(mirrorPoints, mirrorMaps), targets };
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
};

describe('landmarkRidgeAffine', () => {
  for (const [label, withPoints, withMaps, mapWeight] of [
    ['points and maps', true, true, 0.5],
    ['points only (mapWeight 0)', true, true, 0],
    ['maps only', false, true, 0.5],
  ] as const) {
    it(`equals the head's per-crop prediction: ${label}`, async () => {
      const train = faces(16, 1, withPoints, withMaps);
      const model = await fitLandmarkRidge(train.faces, train.mirrored, train.targets, FLIP, {
        ...DEFAULT_RIDGE_OPTIONS,
        neighbours: 4,
        mapWeight,
      });
      const affine = landmarkRidgeAffine(model, {
        points: withPoints ? { count: P, dims: DIMS } : null,
        mapDim: withMaps ? MAP : null,
      });
      expect(affine.pointInputs).toBe(withPoints ? P * DIMS : 0);
      expect(affine.mapInputs).toBe(mapWeight > 0 ? MAP : 0);
      const test = faces(7, 2, withPoints, withMaps);
      for (const input of [test.faces, test.mirrored]) {
        const head = await predictLandmarkCrops(model, input);
        const mapped = applyLandmarkAffine(affine, input.points, input.maps, input.count);
        // The head rounds its standardised features to float32 and runs the ridge product in
        // float32 on TF.js (ridge.ts, a relative 6e-8 each); the map takes them in float64.
        // Nothing else differs: 1e-7 of shapes that are ~0.5 (a wrong term would be ~1e-2).
        expect(worst(mapped, head)).toBeLessThan(1e-7);
      }
      // A crop and its mirror, combined as predict-faces.ts combines them: the head's own average.
      const direct = Float32Array.from(
        applyLandmarkAffine(affine, test.faces.points, test.faces.maps, 7),
      );
      const mirror = Float32Array.from(
        applyLandmarkAffine(affine, test.mirrored.points, test.mirrored.maps, 7),
      );
      const combined = combineFlipped(direct, mirror, FLIP);
      const averaged = await predictLandmarkRidge(model, test.faces, test.mirrored);
      expect(worst(combined.points, averaged.shapes)).toBeLessThan(1e-6);
    });
  }

  it('refuses taps of another size than the head was fitted on', async () => {
    const train = faces(16, 1, true, true);
    const model = await fitLandmarkRidge(train.faces, train.mirrored, train.targets, FLIP, {
      ...DEFAULT_RIDGE_OPTIONS,
      neighbours: 4,
    });
    expect(() =>
      landmarkRidgeAffine(model, { points: { count: P, dims: DIMS }, mapDim: 12 }),
    ).toThrow(/fitted on maps of 40 values; the map tap has 12/);
    expect(() =>
      landmarkRidgeAffine(model, { points: { count: P, dims: 2 }, mapDim: MAP }),
    ).toThrow(/fitted on 130 features/);
  });
});
