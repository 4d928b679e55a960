/**
 * predictFaces with stand-in models (fake-model.ts) on synthetic images: crop by the card's policy,
 * map back to image pixels, flip-consistency uncertainty, the face sources (given box, face record,
 * labelled points, detector, whole image), class outputs, bad files, no tensor leaks.
 */
import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceDetector, FaceFinding } from '../../../src-main/core/library/face-detect';
import { faceCropBox, toCrop } from '../../../src-main/engine/data/face-crop';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { framingShift } from '../../../src-main/engine/predict/recut';
import type { FaceDetection } from '../../../src-main/shared/domain';
import { StudioError } from '../../../src-main/shared/errors';
import { useWasm } from '../../support/engine-helpers';
import {
  DOT_BOX,
  DOT_IMAGE,
  dotCentroids,
  dotImageFolder,
  DOTS,
  fakeCard,
  fakeHeadCard,
  fakeModel,
  HEAD_POLICY,
} from './fake-model';

const { width: W, height: H } = DOT_IMAGE;
const BOX = DOT_BOX;

let dir: string;
let image: string;
let notAnImage: string;

function fakeDetector(face: FaceDetection | null): FaceDetector {
  const finding: FaceFinding = {
    face,
    detectorBox: face?.box ?? null,
    faceCount: face ? 1 : 0,
    flags: face ? [] : ['no-face'],
  };
  return { detect: async () => finding } as unknown as FaceDetector;
}

beforeAll(async () => {
  await useWasm();
  ({ dir, image, notAnImage } = await dotImageFolder('predict-faces-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('predicting landmarks', () => {
  it('maps crop predictions back to image pixels, with no doubt from a symmetric model', async () => {
    const { model } = fakeModel(fakeCard(), dotCentroids(32));
    const before = tf.memory().numTensors;
    const outcome = await predictFaces(model, [{ file: image, box: BOX }]);
    expect(tf.memory().numTensors).toBe(before);
    const [face] = outcome.faces;
    expect(face).toMatchObject({ index: 0, file: image, width: W, height: H, found: 'box' });
    expect(face!.crop).toEqual(
      faceCropBox(
        { width: W, height: H },
        { detection: { box: BOX, crop: BOX, score: 1 } },
        model.card.crop,
      ),
    );
    expect(face!.labels.box).toEqual(BOX);
    face!.labels.points.forEach((p, i) => {
      expect(p).toMatchObject({ v: 2, source: 'model', confirmed: false });
      // Crop pixels are 3.75 image px here: the centroid lands well within one of them.
      expect(Math.abs(p.x - DOTS[i]!.x)).toBeLessThan(0.5);
      expect(Math.abs(p.y - DOTS[i]!.y)).toBeLessThan(0.5);
      expect(p.uncertainty).toBeLessThan(1e-5);
    });
  });

  it('reports the disagreement between the face and its mirror as uncertainty', async () => {
    // +0.05 of the crop on every x: the mirrored pass, mapped back, lands 0.05 to the left.
    const { model, calls } = fakeModel(fakeCard(), dotCentroids(32, 0.05));
    const outcome = await predictFaces(model, [{ file: image, box: BOX }]);
    expect(calls).toEqual([2]); // the crop and its mirror, in one call
    const symmetric = await predictFaces(fakeModel(fakeCard(), dotCentroids(32)).model, [
      { file: image, box: BOX },
    ]);
    outcome.faces[0]!.labels.points.forEach((p, i) => {
      expect(p.uncertainty).toBeCloseTo(0.1, 5);
      // The bias cancels in the mean: the point is where the symmetric model puts it.
      expect(p.x).toBeCloseTo(symmetric.faces[0]!.labels.points[i]!.x, 3);
    });
    const direct = await predictFaces(model, [{ file: image, box: BOX }], { flipTest: false });
    expect(direct.faces[0]!.labels.points[0]!.uncertainty).toBe(0);
  });

  it('round-trips: the mapped-back points are the model output in crop coordinates', async () => {
    const uv = [0.25, 0.4, 0.75, 0.4];
    const { model } = fakeModel(fakeCard(), (_, n) => ({
      landmarks: Float32Array.from({ length: n * 4 }, (_, i) => uv[i % 4]!),
    }));
    const points = [
      { x: 50, y: 60, v: 2 as const },
      { x: 150, y: 100, v: 2 as const },
      { x: 100, y: 120, v: 0 as const },
    ];
    const outcome = await predictFaces(model, [{ file: image, points }]);
    const face = outcome.faces[0]!;
    expect(face.found).toBe('points');
    // Cropped from the placed points only (v 0 is ignored), as training crops are.
    expect(face.crop).toEqual(
      faceCropBox({ width: W, height: H }, { points: points.slice(0, 2) }, model.card.crop),
    );
    const back = toCrop(face.labels.points, face.crop);
    back.forEach((p, i) => {
      expect(p.x).toBeCloseTo(uv[2 * i]!, 6);
      expect(p.y).toBeCloseTo(uv[2 * i + 1]!, 6);
    });
  });
});

describe('finding the face', () => {
  const record: FaceDetection = {
    box: { x: 55, y: 60, width: 90, height: 40 },
    crop: { x: 0, y: 0, width: 1, height: 1 },
    score: 0.9,
  };

  it('uses a face record without detecting, else the detector, else skips or takes the whole image', async () => {
    const { model } = fakeModel(fakeCard(), dotCentroids(32));
    const refuse = (): Promise<FaceDetector> => Promise.reject(new Error('must not detect'));
    const fromRecord = await predictFaces(model, [{ file: image, face: record }], {
      detector: refuse,
    });
    expect(fromRecord.faces[0]).toMatchObject({ found: 'record', score: 0.9 });
    expect(fromRecord.faces[0]!.labels.box).toEqual(record.box);

    const detected = await predictFaces(model, [{ file: image }], {
      detector: fakeDetector(record),
    });
    expect(detected.faces[0]).toMatchObject({ found: 'detector', score: 0.9 });
    expect(detected.faces[0]!.crop).toEqual(fromRecord.faces[0]!.crop);

    const none = await predictFaces(model, [{ file: image }], { detector: fakeDetector(null) });
    expect(none.faces).toEqual([]);
    expect(none.noFace).toEqual([{ index: 0, file: image }]);

    const whole = await predictFaces(model, [{ file: image }], {
      detector: fakeDetector(null),
      noFace: 'whole-image',
    });
    expect(whole.faces[0]).toMatchObject({ found: 'whole-image', score: null });
    expect(whole.faces[0]!.crop).toEqual({ x: -0.5, y: -20.5, width: 200, height: 200 });

    const undetected = await predictFaces(model, [{ file: image }], {
      detect: false,
      detector: refuse,
    });
    expect(undetected.faces[0]!.found).toBe('whole-image');
  });

  it('stops the run when the detector cannot load, rather than failing each image', async () => {
    const { model } = fakeModel(fakeCard(), dotCentroids(32));
    const broken = (): Promise<FaceDetector> =>
      Promise.reject(new StudioError('not-found', 'Cannot load the face detector from /nowhere'));
    await expect(
      predictFaces(model, [{ file: image }, { file: image }], { detector: broken }),
    ).rejects.toThrow(/Cannot load the face detector/);
  });

  it('names a file it cannot read and goes on with the others', async () => {
    const { model } = fakeModel(fakeCard(), dotCentroids(32));
    const outcome = await predictFaces(
      model,
      [
        { file: notAnImage, box: BOX },
        { file: image, box: BOX },
      ],
      { batchSize: 1 },
    );
    expect(outcome.faces.map((f) => f.index)).toEqual([1]);
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.failed[0]).toMatchObject({ index: 0, file: notAnImage });
    expect(outcome.failed[0]!.message).toContain(notAnImage);
  });
});

describe('class outputs', () => {
  it('turns attribute probabilities into yes/no and expression scores into the top class', async () => {
    const attributes = fakeModel(
      fakeCard({
        task: 'attributes',
        schema: null,
        attributes: ['Smiling', 'Eyeglasses'],
        outputs: ['attributes'],
      }),
      (_, n) => ({
        probabilities: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? 0.2 : 0.7)),
      }),
    );
    const a = await predictFaces(attributes.model, [{ file: image, box: BOX }]);
    expect(attributes.calls).toEqual([1]); // no mirrored pass for class heads
    expect(a.faces[0]!.labels).toMatchObject({
      points: [],
      attributes: { Smiling: true, Eyeglasses: false },
      expression: null,
    });
    expect(a.faces[0]!.scores.attributes!.Smiling).toBeCloseTo(0.7, 6);

    const expression = fakeModel(
      fakeCard({
        task: 'expression',
        schema: null,
        classes: ['happy', 'sad', 'surprise'],
        outputs: ['expression'],
      }),
      (_, n) => ({
        probabilities: Float32Array.from({ length: n * 3 }, (_, i) => [0.2, 0.1, 0.7][i % 3]!),
      }),
    );
    const e = await predictFaces(expression.model, [{ file: image, box: BOX }]);
    expect(e.faces[0]!.labels.expression).toBe('surprise');
    expect(Object.keys(e.faces[0]!.scores.expression!)).toEqual(['happy', 'sad', 'surprise']);
  });
});

describe('backbone-headed landmark models', () => {
  const policy = HEAD_POLICY;
  const headCard = fakeHeadCard;

  it('cuts the face again around its first prediction and predicts again', async () => {
    // The first pass alone: the head's policy on the given box, no mirror.
    const first = fakeModel(headCard('none', null), dotCentroids(32));
    const once = await predictFaces(first.model, [{ file: image, box: BOX }], { flipTest: false });
    const firstPoints = once.faces[0]!.labels.points;
    expect(once.faces[0]!.crop).toEqual(
      faceCropBox(
        { width: W, height: H },
        { detection: { box: BOX, crop: BOX, score: 1 } },
        policy,
      ),
    );

    const { model, calls } = fakeModel(headCard('predicted-landmarks', null), dotCentroids(32));
    const before = tf.memory().numTensors;
    const outcome = await predictFaces(model, [{ file: image, box: BOX }]);
    expect(tf.memory().numTensors).toBe(before);
    // One crop without its mirror to place the face, then the recut crop and its mirror.
    expect(calls).toEqual([1, 2]);
    const [face] = outcome.faces;
    expect(face!.crop).toEqual(
      faceCropBox({ width: W, height: H }, { points: firstPoints }, policy),
    );
    expect(face!.crop).not.toEqual(once.faces[0]!.crop);
    // The box the face was found by stays the given one.
    expect(face).toMatchObject({ found: 'box', labels: { box: BOX } });
    face!.labels.points.forEach((p, i) => {
      expect(Math.abs(p.x - DOTS[i]!.x)).toBeLessThan(1);
      expect(Math.abs(p.y - DOTS[i]!.y)).toBeLessThan(1);
    });
  });

  it('keeps a first cut its guess centres within recutBeyond: two graph runs, the flip average on it', async () => {
    // The first guess and the square cut around it, as predict computes them.
    const first = fakeModel(headCard('none', null), dotCentroids(32, 0.01));
    const once = await predictFaces(first.model, [{ file: image, box: BOX }], { flipTest: false });
    const firstCrop = once.faces[0]!.crop;
    const around = faceCropBox(
      { width: W, height: H },
      { points: once.faces[0]!.labels.points },
      policy,
    );
    const shift = framingShift(firstCrop, around);
    expect(shift).toBeGreaterThan(0.001);

    // Just over the shift: the first cut is kept, and only its mirror runs after the first pass.
    const kept = fakeModel(
      headCard('predicted-landmarks', null, shift * 1.01),
      dotCentroids(32, 0.01),
    );
    const keptFace = (await predictFaces(kept.model, [{ file: image, box: BOX }])).faces[0]!;
    expect(kept.calls).toEqual([1, 1]);
    expect(keptFace.crop).toEqual(firstCrop);
    // Exactly what one run on the first cut and its mirror gives (no refine).
    const plain = fakeModel(headCard('none', null), dotCentroids(32, 0.01));
    const flipped = (await predictFaces(plain.model, [{ file: image, box: BOX }])).faces[0]!;
    expect(plain.calls).toEqual([2]);
    expect(keptFace.labels.points).toEqual(flipped.labels.points);

    // Just under it: cut again around the guess, that cut and its mirror predicted.
    const recut = fakeModel(
      headCard('predicted-landmarks', null, shift * 0.99),
      dotCentroids(32, 0.01),
    );
    const recutFace = (await predictFaces(recut.model, [{ file: image, box: BOX }])).faces[0]!;
    expect(recut.calls).toEqual([1, 2]);
    expect(recutFace.crop).toEqual(around);
  });

  it('mixes kept and recut faces in one batch, each as it would be alone', async () => {
    // The second face's box is moved off the dots: its guess moves the crop far more.
    const off = { ...BOX, x: BOX.x + 12, y: BOX.y - 6 };
    const requests = [
      { file: image, box: BOX },
      { file: image, box: off },
      { file: image, box: BOX },
    ];
    const first = fakeModel(headCard('none', null), dotCentroids(32));
    const guesses = (await predictFaces(first.model, requests, { flipTest: false })).faces;
    const shifts = guesses.map((g) =>
      framingShift(
        g.crop,
        faceCropBox({ width: W, height: H }, { points: g.labels.points }, policy),
      ),
    );
    expect(shifts[1]).toBeGreaterThan(2 * shifts[0]!);
    const beyond = (shifts[0]! + shifts[1]!) / 2;

    const { model, calls } = fakeModel(
      headCard('predicted-landmarks', null, beyond),
      dotCentroids(32, 0.01),
    );
    const before = tf.memory().numTensors;
    const together = (await predictFaces(model, requests)).faces;
    expect(tf.memory().numTensors).toBe(before);
    // Three first cuts; then the one recut crop and the three final crops' mirrors.
    expect(calls).toEqual([3, 4]);
    expect(together[0]!.crop).toEqual(guesses[0]!.crop);
    expect(together[1]!.crop).not.toEqual(guesses[1]!.crop);
    for (const [i, request] of requests.entries()) {
      const alone = fakeModel(
        headCard('predicted-landmarks', null, beyond),
        dotCentroids(32, 0.01),
      );
      const face = (await predictFaces(alone.model, [request])).faces[0]!;
      expect(together[i]!.crop).toEqual(face.crop);
      together[i]!.labels.points.forEach((p, j) => {
        expect(p.x).toBeCloseTo(face.labels.points[j]!.x, 4);
        expect(p.y).toBeCloseTo(face.labels.points[j]!.y, 4);
      });
    }
    // Recut or kept, the points land on the dots.
    for (const face of together)
      face.labels.points.forEach((p, i) => {
        expect(Math.abs(p.x - DOTS[i]!.x)).toBeLessThan(2);
        expect(Math.abs(p.y - DOTS[i]!.y)).toBeLessThan(1);
      });
  });

  it("gives a point the mirror disagrees on a larger σ, by the card's calibration", async () => {
    const calibration = { a: 1, c: 4, pointError: [0.01, 0.01] };
    const centroids = dotCentroids(32);
    // On the mirrored crops (the second half of a batch) point 0 moves 0.2 of the crop right:
    // un-mirrored, that is point 1 of the face moved 0.2 left.
    const shifted = (pixels: Float32Array, n: number) => {
      const out = centroids(pixels, n);
      const l = out.landmarks!;
      for (let face = n / 2; face < n; face++) l[face * 4] = l[face * 4]! + 0.2;
      return out;
    };
    const { model } = fakeModel(headCard('none', calibration), shifted);
    const [face] = (await predictFaces(model, [{ file: image, box: BOX }])).faces;
    const [steady, moved] = face!.labels.points.map((p) => p.uncertainty!);
    // Point 0 agrees with its mirror: σ is its typical error alone.
    expect(steady).toBeCloseTo(0.01, 3);
    // Point 1 is 0.2 off on one of the two crops: σ = √(a·s² + c·d²) with d ≈ 0.2.
    expect(moved).toBeCloseTo(Math.sqrt(0.01 ** 2 + 4 * 0.2 ** 2), 2);
    expect(moved!).toBeGreaterThan(10 * steady!);
  });

  it('refuses a calibration for another number of points, naming the model', async () => {
    const { model } = fakeModel(
      headCard('none', { a: 1, c: 1, pointError: [0.01, 0.01, 0.01] }),
      dotCentroids(32),
    );
    await expect(predictFaces(model, [{ file: image, box: BOX }])).rejects.toThrow(
      /fake.*3 points; the schema has 2/,
    );
  });
});
