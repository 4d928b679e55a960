import { copyFile, mkdtemp, rm } from 'node:fs/promises';
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
import type { Box, PlacedPoint } from '../../../src-main/shared/domain';
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

/** `syntheticFace(1.5)` with its points and detection replaced. */
function faceWith(points: PlacedPoint[], box: Box | null): LabelledFace {
  return { ...syntheticFace(1.5), points, detection: box && { box, crop: box, score: 1 } };
}

/** Four points spanning `w`×`h` px about (50, 50). */
function rectPoints(w: number, h: number): PlacedPoint[] {
  return [
    { x: 50 - w / 2, y: 50 - h / 2, v: 2 },
    { x: 50 + w / 2, y: 50 - h / 2, v: 2 },
    { x: 50 - w / 2, y: 50 + h / 2, v: 2 },
    { x: 50 + w / 2, y: 50 + h / 2, v: 2 },
  ];
}

describe('crop policy measured on faces', () => {
  it('sorts the ratios before taking the middle one', () => {
    const faces = [9, 1.6, 1.4, 1.5, 1.5].map((s) => syntheticFace(s));
    expect(measuredCropPolicy(faces, DEFAULT_CROP_POLICY).landmarksToFaceBox).toBe(1.5);
  });

  it('averages the two middle ratios of an even count', () => {
    const faces = [1.2, 1.4, 1.5, 1.7, 2, 9].map((s) => syntheticFace(s));
    expect(measuredCropPolicy(faces, DEFAULT_CROP_POLICY).landmarksToFaceBox).toBe(1.6);
  });

  it('measures the longer side of the points and of the detection', () => {
    // Points 20 wide and 10 high, detections 30 wide and 15 high: 30 / 20 = 1.5 (not 15 / 10,
    // 30 / 10 or 15 / 20).
    const box = { x: 35, y: 42.5, width: 30, height: 15 };
    const faces = Array.from({ length: 5 }, () => faceWith(rectPoints(20, 10), box));
    expect(measuredCropPolicy(faces, DEFAULT_CROP_POLICY).landmarksToFaceBox).toBe(1.5);
  });

  it('measures only faces with every point placed, some size, and a detection around them', () => {
    const good = [1.4, 1.5, 1.5, 1.6].map((s) => syntheticFace(s));
    const partly = syntheticFace(3);
    partly.points = partly.points.map((p, i) => (i === 0 ? { ...p, v: 0 } : p));
    const unmeasurable = [
      partly,
      // All points on one spot: no side.
      faceWith(rectPoints(0, 0), { x: 35, y: 35, width: 30, height: 30 }),
      // A detection of no size, right on the points' centre.
      faceWith(rectPoints(20, 20), { x: 50, y: 50, width: 0, height: 0 }),
      // A detection of another face.
      syntheticFace(3, 100),
    ];
    // Four measurable faces are too few: the policy stays as it is, whatever the others hold.
    for (const face of unmeasurable)
      expect(measuredCropPolicy([...good, face], DEFAULT_CROP_POLICY)).toEqual(DEFAULT_CROP_POLICY);
  });
});

describe('which box a labelled face is cut from', () => {
  const box = { x: 30, y: 30, width: 40, height: 40 };
  /** Points 20 px square centred at (cx, cy). */
  const around = (cx: number, cy: number): PlacedPoint[] =>
    rectPoints(20, 20).map((p) => ({ ...p, x: p.x - 50 + cx, y: p.y - 50 + cy }));
  const fromDetection = (face: LabelledFace) =>
    faceCropBox(face, { detection: face.detection }, DEFAULT_CROP_POLICY);
  const fromPoints = (face: LabelledFace) =>
    faceCropBox(face, { points: face.points }, DEFAULT_CROP_POLICY);

  it("keeps a detection whose edge the points' centre lies on", () => {
    for (const [cx, cy] of [
      [30, 50],
      [70, 50],
      [50, 30],
      [50, 70],
    ] as const) {
      const face = faceWith(around(cx, cy), box);
      expect(labelledFaceCropBox(face, DEFAULT_CROP_POLICY)).toEqual(fromDetection(face));
    }
  });

  it('gives way to the points when their centre is just past any edge of the detection', () => {
    for (const [cx, cy] of [
      [29.5, 50],
      [70.5, 50],
      [50, 29.5],
      [50, 70.5],
    ] as const) {
      const face = faceWith(around(cx, cy), box);
      expect(labelledFaceCropBox(face, DEFAULT_CROP_POLICY)).toEqual(fromPoints(face));
    }
  });

  it('judges the detection by the placed points only, and keeps it when none is placed', () => {
    // The placed points sit in the detection; an unplaced one far off would move the centre out.
    const placed = around(50, 50);
    const face = faceWith([...placed, { x: 400, y: 400, v: 0 }], box);
    expect(labelledFaceCropBox(face, DEFAULT_CROP_POLICY)).toEqual(fromDetection(face));
    const none = faceWith(
      placed.map((p) => ({ ...p, v: 0 })),
      box,
    );
    expect(labelledFaceCropBox(none, DEFAULT_CROP_POLICY)).toEqual(fromDetection(none));
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

describe('labelled faces: crops, labels and edge cases', () => {
  const options = { imageSize: 16, policy: DEFAULT_CROP_POLICY, valFraction: 0.25, seed: 0 };

  it('fills each batch row with its own face, as bytes ÷ 255', async () => {
    const prepared = labelledFacesData(set, options);
    const both = await prepared.data.train.images([0, 5]);
    const first = await prepared.data.train.images([0]);
    const last = await prepared.data.train.images([5]);
    const pixels = Array.from(await both.data());
    expect(pixels).toEqual([...(await first.data()), ...(await last.data())]);
    expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
    expect(Math.max(...pixels)).toBeGreaterThan(0.5);
    [both, first, last].forEach((t) => t.dispose());
    await expect(prepared.data.train.images([6])).rejects.toThrow('Face index 6 is out of range');
  });

  it('keeps crops up to the byte budget and cuts the rest again each time', async () => {
    // Two train faces on copies of their images; a budget of exactly one 16×16 crop.
    const copies = await mkdtemp(path.join(os.tmpdir(), 'fs-cache-'));
    try {
      const faces = await Promise.all(
        set.faces
          .filter((f) => f.split === 'train')
          .slice(0, 2)
          .map(async (f, i) => {
            const file = path.join(copies, `${i}.jpg`);
            await copyFile(f.file, file);
            return { ...f, file };
          }),
      );
      const prepared = labelledFacesData(
        { ...set, faces },
        { ...options, valFraction: 0, cacheBytes: 16 * 16 * 3 },
      );
      const before = [await prepared.data.train.images([0]), await prepared.data.train.images([1])];
      await rm(copies, { recursive: true, force: true });
      // The first crop was kept: the same pixels without the file; the second was not.
      const kept = await prepared.data.train.images([0]);
      expect(Array.from(await kept.data())).toEqual(Array.from(await before[0]!.data()));
      await expect(prepared.data.train.images([1])).rejects.toThrow(faces[1]!.file);
      [...before, kept].forEach((t) => t.dispose());
    } finally {
      await rm(copies, { recursive: true, force: true });
    }
  });

  it('keeps nothing with no budget', async () => {
    const copies = await mkdtemp(path.join(os.tmpdir(), 'fs-cache-'));
    try {
      const face = set.faces.find((f) => f.split === 'train')!;
      const file = path.join(copies, 'only.jpg');
      await copyFile(face.file, file);
      const prepared = labelledFacesData(
        { ...set, faces: [{ ...face, file }] },
        { ...options, cacheBytes: 0 },
      );
      (await prepared.data.train.images([0])).dispose();
      await rm(file);
      await expect(prepared.data.train.images([0])).rejects.toThrow(file);
    } finally {
      await rm(copies, { recursive: true, force: true });
    }
  });

  it("refuses a face whose point count is not the schema's, naming its image", () => {
    const faces = set.faces.map((f, i) => (i === 0 ? { ...f, points: f.points.slice(0, 3) } : f));
    expect(() => labelledFacesData({ ...set, faces }, options)).toThrow(
      `Face of image ${set.faces[0]!.imageId} has 3 points; the schema has 68`,
    );
  });

  it('takes the first value per attribute, and the class of an expression, as labels', () => {
    const faces = [
      { ...syntheticFace(1.5), imageId: 'a', label: [1, 0, 2] },
      { ...syntheticFace(1.5), imageId: 'b', label: [0, NaN, 1] },
      { ...syntheticFace(1.5), imageId: 'c', label: [NaN, 1, 0] },
    ];
    const attributes = labelledFacesData(
      { task: 'attributes', attributes: ['A', 'B'], project: null, faces, skipped: {} },
      { ...options, valFraction: 0 },
    );
    expect(attributes.data).toMatchObject({ task: 'attributes', attributes: 2 });
    expect(Array.from(attributes.data.train.labels)).toEqual([1, 0, 0, NaN, NaN, 1]);
    const expression = labelledFacesData(
      {
        task: 'expression',
        classes: ['x', 'y', 'z'],
        project: null,
        faces: faces.map((f, i) => ({ ...f, label: [[2, 0, 1][i]!] })),
        skipped: {},
      },
      { ...options, valFraction: 0 },
    );
    expect(expression.data).toMatchObject({ task: 'expression', classes: 3 });
    expect(Array.from(expression.data.train.labels)).toEqual([2, 0, 1]);
  });

  it('holds nothing out, in the given order, when the fraction rounds to no face', () => {
    const faces = Array.from({ length: 8 }, (_, i) => ({
      ...syntheticFace(1.5),
      imageId: `f${i}`,
    }));
    const { train, val } = holdOut(faces, 0.05, 3);
    expect(val).toEqual([]);
    expect(train.map((f) => f.imageId)).toEqual(faces.map((f) => f.imageId));
  });

  it('never holds out a subject who has every face', () => {
    const faces = Array.from({ length: 6 }, (_, i) => ({
      ...syntheticFace(1.5),
      imageId: `f${i}`,
      subject: 'S001',
    }));
    const { train, val } = holdOut(faces, 0.5, 1);
    expect([train.length, val.length]).toEqual([6, 0]);
  });

  it('has no validation and no test split when there are no faces to make them', () => {
    const one = set.faces.find((f) => f.split === 'train')!;
    const prepared = labelledFacesData({ ...set, faces: [one] }, options);
    expect(prepared.valSource).toBe('none');
    expect(prepared.data.val).toBeUndefined();
    expect(prepared.test).toBeNull();
    expect(prepared.data.train.size).toBe(1);
  });

  it('says so plainly when the project has no labelled faces at all', () => {
    expect(() => labelledFacesData({ ...set, faces: [] }, options)).toThrow(
      /^The project has no labelled landmarks faces in its train split; assign labelled images to the train split first$/,
    );
  });
});
