/**
 * head-crops: one crop at the widest backbone's policy; each backbone's view of it is the
 * centred part its own policy would cut, sampled at the view's pixel centres exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import {
  backboneViews,
  embedHeadCrops,
  headCropPlan,
  viewBox,
} from '../../../src-main/engine/backbones/head-crops';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { useWasm } from '../../support/engine-helpers';

let mesh: FaceBackbone;
let xception: FaceBackbone;

beforeAll(async () => {
  await useWasm();
  mesh = await loadFaceMesh();
  xception = await loadMiniXceptionBackbone();
}, 300_000);
afterAll(() => {
  mesh.dispose();
  xception.dispose();
});

describe('headCropPlan', () => {
  it('cuts at the widest policy and gives the others their share of it', () => {
    const plan = headCropPlan([xception, mesh]);
    expect(plan.widest).toBe('facemesh');
    expect(plan.crop).toEqual(mesh.cropPolicy.crop);
    expect(plan.inputSize).toBe(192);
    expect(plan.views.map((v) => [v.backbone, v.size])).toEqual([
      ['mini-xception', 64],
      ['facemesh', 192],
    ]);
    // 1.2 / 1.6 of the side: the landmarks' box × 1.2 inside the landmarks' box × 1.6.
    expect(plan.views[0]!.fraction).toBeCloseTo(0.75, 12);
    expect(plan.views[1]!.fraction).toBe(1);
    expect(plan.views[1]!.box).toBeNull();
    expect(headCropPlan([xception]).inputSize).toBe(64);
  }, 300_000);

  it('refuses a backbone whose stated scale is not what its policy cuts', () => {
    const wrong = { ...mesh, cropPolicy: { ...mesh.cropPolicy, scaleOfLandmarkExtent: 1.4 } };
    expect(() => headCropPlan([wrong])).toThrow(/cuts 1.6000 × the landmarks' box but states 1.4/);
  }, 300_000);
});

describe('backboneViews', () => {
  it('samples a view exactly at its pixel centres (a ramp comes out as the positions)', () => {
    const S = 192;
    const plan = headCropPlan([xception, mesh]);
    // Pixel value = its column index: bilinear sampling of a ramp returns the sample position.
    const ramp = tf.tidy(
      () => tf.tile(tf.range(0, S).reshape([1, 1, S, 1]), [2, S, 1, 3]) as tf.Tensor4D,
    );
    const [view, same] = backboneViews(plan, ramp);
    expect(same).toBe(ramp);
    expect(view!.shape).toEqual([2, 64, 64, 3]);
    const row = Array.from(view!.slice([1, 10, 0, 0], [1, 1, 64, 1]).dataSync());
    const f = 0.75;
    row.forEach((v, j) =>
      expect(v).toBeCloseTo(((1 - f) * S) / 2 + ((j + 0.5) * f * S) / 64 - 0.5, 3),
    );
    tf.dispose([ramp, view!]);
  }, 300_000);

  it('is the identity box for a whole view at its own size', () => {
    const [y1, x1, y2, x2] = viewBox(1, 192, 192);
    expect([y1, x1, y2, x2].map((v) => +v.toFixed(12))).toEqual([0, 0, 1, 1]);
  }, 300_000);

  it('embeds each backbone through its view', async () => {
    const plan = headCropPlan([xception, mesh]);
    const crops = tf.randomUniform([2, 192, 192, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [a, b] = await embedHeadCrops(plan, [xception, mesh], crops, [['pooled'], ['mesh']]);
    expect(a!.pooled).toHaveLength(2 * 256);
    expect(b!.mesh).toHaveLength(2 * 468 * 3);
    await expect(
      embedHeadCrops(plan, [xception, mesh], tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, [[], []]),
    ).rejects.toThrow(/takes \[n, 192, 192, 3\] crops/);
    crops.dispose();
  }, 300_000);
});
