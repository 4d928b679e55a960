/**
 * FaceMesh as a geometry backbone: the graph loads from the npm package through the file
 * IOHandler on wasm, and on a real HELEN face its mesh lies on the face the 68 labelled points
 * outline (not a constant, not a blob in a corner), and mirrors with the crop.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { FACEMESH_POINTS, loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import { loadHelenCrops } from '../../support/helen-crops';
import { useWasm } from '../../support/engine-helpers';

let mesh: FaceBackbone;

beforeAll(async () => {
  await useWasm();
  mesh = await loadFaceMesh();
});
afterAll(() => mesh.dispose());

/** Bounding box of flat (x, y[, z]) points with `dims` values each. */
function extent(values: ArrayLike<number>, count: number, dims: number) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    const [x, y] = [values[i * dims]!, values[i * dims + 1]!];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return { x0, y0, x1, y1, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2 };
}

describe('FaceMesh backbone', () => {
  it('states its input, licence, notice and taps', () => {
    expect(mesh.kind).toBe('geometry');
    expect(mesh.inputSize).toBe(192);
    expect(mesh.licence.spdx).toBe('Apache-2.0');
    expect(mesh.licence.noticeFile).toBe('resources/notices/facemesh.txt');
    expect(mesh.cropPolicy.scaleOfLandmarkExtent).toBeCloseTo(
      mesh.cropPolicy.crop.landmarksToFaceBox * (1 + 2 * mesh.cropPolicy.crop.margin),
    );
    expect(mesh.taps.map((t) => t.name)).toEqual(expect.arrayContaining(['mesh', 'p_re_lu_15']));
  });

  it('puts its mesh on a real face, where the labelled points are, and mirrors with the crop', async () => {
    const { images, points } = await loadHelenCrops('test', 2, 192, 1.6);
    const mirrored = tf.reverse(images, 2);
    const a = await mesh.embed(images, ['mesh', 'p_re_lu_15']);
    const b = await mesh.embed(mirrored, ['mesh']);
    tf.dispose([images, mirrored]);
    expect(a.count).toBe(2);
    expect(a.taps.p_re_lu_15).toHaveLength(2 * 6 * 6 * 128);
    for (let f = 0; f < 2; f++) {
      const face = a.taps.mesh!.subarray(f * FACEMESH_POINTS * 3, (f + 1) * FACEMESH_POINTS * 3);
      const truth = extent(points.subarray(f * 136, (f + 1) * 136), 68, 2);
      const got = extent(face, FACEMESH_POINTS, 3);
      // The crop is 1.6× the labelled extent: the face spans 1/1.6 of it, centred.
      expect(Math.abs(got.cx - truth.cx)).toBeLessThan(0.06);
      expect(Math.abs(got.cy - truth.cy)).toBeLessThan(0.1);
      expect(got.x1 - got.x0).toBeGreaterThan(0.7 * (truth.x1 - truth.x0));
      expect(got.x1 - got.x0).toBeLessThan(1.3 * (truth.x1 - truth.x0));
      const flipped = extent(
        b.taps.mesh!.subarray(f * FACEMESH_POINTS * 3, (f + 1) * FACEMESH_POINTS * 3),
        FACEMESH_POINTS,
        3,
      );
      expect(Math.abs(flipped.cx - (1 - got.cx))).toBeLessThan(0.03);
    }
  });

  it('refuses crops of the wrong size by name', async () => {
    const wrong = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    await expect(mesh.embed(wrong)).rejects.toThrow(/FaceMesh takes \[n, 192, 192, 3\]/);
    await expect(mesh.embed(tf.zeros([1, 192, 192, 3]) as tf.Tensor4D, ['nope'])).rejects.toThrow(
      /no feature tap "nope"/,
    );
    wrong.dispose();
  });
});
