import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledFaces } from '../../../src-main/app/training/finetune-faces';
import { DEFAULT_CROP_POLICY, faceCropBox } from '../../../src-main/engine/data/face-crop';
import {
  holdOut,
  labelledFaceCropBox,
  labelledFacesData,
  measuredCropPolicy,
  type LabelledFace,
  type LabelledFaceSet,
} from '../../../src-main/engine/data/labelled-faces';
import type { PlacedPoint } from '../../../src-main/shared/domain';
import { useWasm } from '../../support/engine-helpers';
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

  it('holds out whole subjects when the faces name them', async () => {
    const subjectDir = await mkdtemp(path.join(os.tmpdir(), 'fs-subjects-'));
    try {
      // 10 train faces of 4 people (3, 3, 2, 2 faces), no val split.
      const people = [
        'S010',
        'S010',
        'S010',
        'S022',
        'S022',
        'S022',
        'S034',
        'S034',
        'S051',
        'S051',
      ];
      await createLabelledProject(subjectDir, { train: 10, subject: (i) => people[i] });
      const withSubjects = await readLabelledFaces(subjectDir, 'landmarks');
      expect(withSubjects.faces.map((f) => f.subject).sort()).toEqual([...people].sort());
      for (const seed of [0, 1, 2, 3, 4, 5]) {
        const prepared = labelledFacesData(withSubjects, {
          imageSize: 16,
          policy: DEFAULT_CROP_POLICY,
          valFraction: 0.25,
          seed,
        });
        expect(prepared.valSource).toBe('held out of train');
        const trained = new Set(prepared.faces.train.faces.map((f) => f.subject));
        const held = new Set(prepared.faces.val.faces.map((f) => f.subject));
        expect([...held].filter((s) => trained.has(s))).toEqual([]);
        // At least the fraction's 3 faces (rounded up to whole people), never everyone.
        expect(prepared.faces.val.faces.length).toBeGreaterThanOrEqual(3);
        expect(trained.size).toBeGreaterThan(0);
        expect(prepared.data.train.size + prepared.data.val!.size).toBe(10);
      }
    } finally {
      await rm(subjectDir, { recursive: true, force: true });
    }
  });

  it('never splits a subject, however the people and seeds fall', () => {
    for (let seed = 0; seed < 40; seed++) {
      // 1 to 7 faces a person, some faces with no subject (each its own group).
      const faces: LabelledFace[] = [];
      for (let p = 0; p < 9; p++)
        for (let k = 0; k <= (seed + p * 3) % 7; k++)
          faces.push({ ...syntheticFace(1.5), imageId: `${p}-${k}`, subject: `S${p}` });
      for (let k = 0; k < seed % 4; k++)
        faces.push({ ...syntheticFace(1.5), imageId: `none-${k}` });
      const fraction = [0.1, 0.25, 0.5][seed % 3]!;
      const { train, val } = holdOut(faces, fraction, seed);
      expect(train.length + val.length).toBe(faces.length);
      const trainedSubjects = new Set(train.map((f) => f.subject).filter(Boolean));
      expect(val.filter((f) => f.subject && trainedSubjects.has(f.subject))).toEqual([]);
      expect(val.length).toBeGreaterThanOrEqual(Math.round(faces.length * fraction));
      expect(train.length).toBeGreaterThan(0);
    }
    // No subject anywhere: exactly the fraction's count, as before subjects.
    const plain = Array.from({ length: 20 }, (_, i) => ({
      ...syntheticFace(1.5),
      imageId: `f${i}`,
    }));
    expect(holdOut(plain, 0.25, 7).val).toHaveLength(5);
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
