/**
 * Pre-labelling: predictions become FaceAnnotations keyed by image id, each point the model's and
 * not confirmed; an attributes model's one-of-N groups become the face's `classes`.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prelabelFaces, prelabelImages } from '../../../src-main/engine/predict/prelabel';
import { FaceAnnotation, type FaceDetection } from '../../../src-main/shared/domain';
import { useWasm } from '../../support/engine-helpers';
import {
  DOT_BOX,
  DOT_IMAGE,
  dotCentroids,
  dotImageFolder,
  fakeCard,
  fakeModel,
} from './fake-model';

let dir: string;
let image: string;
let notAnImage: string;
const record: FaceDetection = { box: DOT_BOX, crop: DOT_BOX, score: 0.8 };

beforeAll(async () => {
  await useWasm();
  ({ dir, image, notAnImage } = await dotImageFolder('prelabel-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pre-labelling', () => {
  it('returns valid annotations with each point the model’s, unconfirmed, with its doubt', async () => {
    // An x bias of 0.02 of the crop: the face and its mirror disagree by 0.04 on every point.
    const { model } = fakeModel(fakeCard(), dotCentroids(32, 0.02));
    const id = 'a'.repeat(64);
    const images = [
      { imageId: id, file: image, ...DOT_IMAGE, face: record },
      { imageId: 'b'.repeat(64), file: notAnImage, ...DOT_IMAGE, face: record },
    ];
    const outcome = await prelabelImages(model, images, {
      now: () => new Date('2025-02-03T04:05:06.000Z'),
    });
    expect(outcome.annotations).toHaveLength(1);
    const [annotation] = outcome.annotations;
    expect(FaceAnnotation.parse(annotation)).toEqual(annotation);
    expect(annotation).toMatchObject({
      imageId: id,
      box: DOT_BOX,
      updatedAt: '2025-02-03T04:05:06.000Z',
      expression: null,
      attributes: {},
    });
    for (const p of annotation!.points) {
      expect(p).toMatchObject({ v: 2, source: 'model', confirmed: false });
      expect(p.uncertainty).toBeCloseTo(0.04, 5);
    }
    expect(outcome.failed.map((f) => f.imageId)).toEqual(['b'.repeat(64)]);
    expect(outcome.failed[0]!.message).toContain(notAnImage);

    const annotations = await prelabelFaces(model, images);
    expect(annotations.map((a) => a.imageId)).toEqual([id]);
  });

  it('answers an attributes model’s one-of-N group (MTFL pose) with its most probable class', async () => {
    const groups = [{ name: 'pose', classes: ['left', 'frontal', 'right'] }];
    const { model } = fakeModel(
      fakeCard({ task: 'attributes', schema: null, attributes: ['Smiling'], groups }),
      (_, n) => ({
        probabilities: Float32Array.from({ length: 4 * n }, (_, i) => [0.3, 0.1, 0.2, 0.7][i % 4]!),
      }),
    );
    const id = 'c'.repeat(64);
    const [annotation] = await prelabelFaces(model, [
      { imageId: id, file: image, ...DOT_IMAGE, face: record },
    ]);
    expect(FaceAnnotation.parse(annotation)).toEqual(annotation);
    expect(annotation).toMatchObject({
      imageId: id,
      points: [],
      attributes: { Smiling: false },
      classes: { pose: 'right' },
    });
  });
});
