import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledFaces } from '../../../src-main/app/training/finetune-faces';
import { DEFAULT_CROP_POLICY, faceCropBox } from '../../../src-main/engine/data/face-crop';
import {
  labelledFaceCropBox,
  labelledFacesData,
  measuredCropPolicy,
  type LabelledFace,
  type LabelledFaceSet,
} from '../../../src-main/engine/data/labelled-faces';
import type { PlacedPoint } from '../../../src-main/shared/domain';
import { useWasm } from '../helpers';
import { createLabelledProject } from './labelled-project';

let dir: string;
let set: LabelledFaceSet;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-labelled-'));
  await createLabelledProject(dir, { train: 6, val: 2, test: 1 });
  set = await readLabelledFaces(dir, 'landmarks');
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A face whose 4 points span a 20×20 box at (40, 40), with a detection of `scale`× that box. */
function syntheticFace(scale: number, shift = 0): LabelledFace {
  const points: PlacedPoint[] = [
    { x: 40, y: 40, v: 2 },
    { x: 60, y: 40, v: 2 },
    { x: 40, y: 60, v: 2 },
    { x: 60, y: 60, v: 2 },
  ];
  const side = 20 * scale;
  const box = { x: 50 - side / 2 + shift, y: 50 - side / 2, width: side, height: side };
  return {
    imageId: 'a'.repeat(64),
    file: '/nowhere.jpg',
    width: 200,
    height: 200,
    split: 'train',
    detection: { box, crop: box, score: 1 },
    points,
    label: [],
  };
}

describe('crop policy of labelled faces', () => {
  it('measures detection side ÷ points side as the median over faces', () => {
    const faces = [1.4, 1.5, 1.5, 1.6, 9].map((s) => syntheticFace(s));
    expect(measuredCropPolicy(faces, DEFAULT_CROP_POLICY).landmarksToFaceBox).toBe(1.5);
    // Too few faces to measure: the policy as given.
    expect(measuredCropPolicy(faces.slice(0, 4), DEFAULT_CROP_POLICY)).toEqual(DEFAULT_CROP_POLICY);
  });

  it("crops from the detection, unless it holds another face than the points'", () => {
    const own = syntheticFace(1.5);
    expect(labelledFaceCropBox(own, DEFAULT_CROP_POLICY)).toEqual(
      faceCropBox(own, { detection: own.detection }, DEFAULT_CROP_POLICY),
    );
    const elsewhere = syntheticFace(1.5, 100);
    expect(labelledFaceCropBox(elsewhere, DEFAULT_CROP_POLICY)).toEqual(
      faceCropBox(elsewhere, { points: elsewhere.points }, DEFAULT_CROP_POLICY),
    );
  });
});

describe('labelled faces as fine-tuning data', () => {
  it('splits train, val and test, with landmarks in crop coordinates', async () => {
    const prepared = labelledFacesData(set, {
      imageSize: 32,
      policy: DEFAULT_CROP_POLICY,
      valFraction: 0.5,
      seed: 1,
    });
    expect(prepared.valSource).toBe('val split');
    expect([prepared.data.train.size, prepared.data.val?.size, prepared.test?.size]).toEqual([
      6, 2, 1,
    ]);
    const labels = prepared.data.train.labels as Float32Array;
    expect(labels).toHaveLength(6 * 68 * 2);
    // The crop is the points' box grown by 25% a side: points lie within [0.2, 0.8]-ish.
    expect(Math.min(...labels)).toBeGreaterThan(0.1);
    expect(Math.max(...labels)).toBeLessThan(0.9);
    const images = await prepared.data.train.images([0, 5]);
    expect(images.shape).toEqual([2, 32, 32, 3]);
    const again = await prepared.data.train.images([5]);
    // The cached crop is the same pixels.
    expect(Array.from(await again.data())).toEqual(
      Array.from((await images.data()).slice(32 * 32 * 3)),
    );
    images.dispose();
    again.dispose();
  });

  it('holds out a seeded fraction of train when the project has no val faces', () => {
    const noVal: LabelledFaceSet = {
      ...set,
      faces: set.faces.map((f) => (f.split === 'val' ? { ...f, split: 'train' } : f)),
    };
    const options = { imageSize: 16, policy: DEFAULT_CROP_POLICY, valFraction: 0.25, seed: 3 };
    const a = labelledFacesData(noVal, options);
    expect(a.valSource).toBe('held out of train');
    expect([a.data.train.size, a.data.val?.size]).toEqual([6, 2]);
    const b = labelledFacesData(noVal, options);
    expect(b.faces.val.faces.map((f) => f.imageId)).toEqual(
      a.faces.val.faces.map((f) => f.imageId),
    );
    const trainIds = new Set(a.faces.train.faces.map((f) => f.imageId));
    expect(a.faces.val.faces.some((f) => trainIds.has(f.imageId))).toBe(false);
  });

  it('says so when no labelled face is in the train split', () => {
    const none: LabelledFaceSet = { ...set, faces: set.faces.filter((f) => f.split !== 'train') };
    expect(() =>
      labelledFacesData(none, {
        imageSize: 16,
        policy: DEFAULT_CROP_POLICY,
        valFraction: 0.1,
        seed: 0,
      }),
    ).toThrow(/no labelled landmarks faces in its train split \(3 in val and test\)/);
  });
});
