/**
 * evaluateModel with a real exported model (helen-model.ts) on HELEN test faces: its NME equals
 * the one computed here step by step (crop, predict the crop and its mirror, un-mirror, average,
 * map back, NME) without predictFaces; faces without the labels are counted, not scored; bad
 * input is named.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledInput } from '../../../src-main/core/library/labelled-input';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { loadExportedModel, type ExportedModel } from '../../../src-main/engine/export/load-model';
import type { FaceDetector } from '../../../src-main/core/library/face-detect';
import {
  cedAuc,
  failureRate,
  mean,
  nmeOfFace,
} from '../../../src-main/engine/metrics/landmark-metrics';
import { evaluateModel } from '../../../src-main/engine/predict/evaluate-model';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { useWasm } from '../../support/engine-helpers';
import {
  DOT_BOX,
  dotCentroids,
  DOTS,
  fakeCard,
  fakeHeadCard,
  fakeModel,
  writeDotImage,
} from './fake-model';
import { directHelenPredictions, exportHelenModel } from './helen-model';
import { HELEN } from '../../support/helen-crops';

let dir: string;
let model: ExportedModel;

beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(tmpdir(), 'evaluate-model-'));
  await exportHelenModel(path.join(dir, 'model'));
  model = await loadExportedModel(path.join(dir, 'model'));
}, 120_000);

afterAll(async () => {
  model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('evaluating a landmarks model', () => {
  it('gives the NME, FR and AUC computed directly', { timeout: 60_000 }, async () => {
    const input = await readLabelledInput(path.join(HELEN, 'test'), 'pts', {
      landmarks: builtinLandmarkSchema('ibug68'),
      attributes: null,
    });
    const before = tf.memory().numTensors;
    const report = await evaluateModel(model, input, { limit: 6, batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    const { nmes, uncertainties } = await directHelenPredictions(model, 6);
    expect(report.faces).toBe(6);
    expect(report.unlabelled).toBe(0);
    expect(report.landmarks!.nme).toBeCloseTo(mean(nmes), 6);
    expect(report.landmarks!.failureRate).toBeCloseTo(failureRate(nmes), 9);
    expect(report.landmarks!.auc).toBeCloseTo(cedAuc(nmes), 6);
    expect(report.landmarks!.normaliser).toEqual([36, 45]);
    expect(report.landmarks!.meanUncertainty).toBeCloseTo(mean(uncertainties), 6);
  });

  it('counts faces without every point and names a face it cannot score', async () => {
    const input = await readLabelledInput(path.join(HELEN, 'test'), 'pts', {
      landmarks: builtinLandmarkSchema('ibug68'),
      attributes: null,
    });
    const images = input.images.slice(0, 3).map((image) => structuredClone(image));
    images[0]!.faces[0]!.points[10]!.v = 0;
    const report = await evaluateModel(model, { root: input.root, images }, {});
    expect(report.faces).toBe(2);
    expect(report.unlabelled).toBe(1);

    images[1]!.file = 'missing.jpg';
    await expect(evaluateModel(model, { root: input.root, images }, {})).rejects.toThrow(
      /missing\.jpg/,
    );
    await expect(
      evaluateModel(model, { root: input.root, images }, { split: 'val' }),
    ).rejects.toThrow(/no face in split val/);
  });
});

describe('evaluating class models', () => {
  it('scores attributes and expressions against the labels the faces have', async () => {
    const root = path.join(dir, 'dots');
    await mkdir(root, { recursive: true });
    await writeDotImage(path.join(root, 'a.png'));
    const face = (labels: object) => ({
      file: 'a.png',
      faces: [{ points: [], box: DOT_BOX, ...labels }],
    });

    // Always "Smiling yes, Male no".
    const attributes = fakeModel(
      fakeCard({ task: 'attributes', schema: null, attributes: ['Smiling', 'Male'] }),
      (_, n) => ({
        probabilities: Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.1 : 0.9)),
      }),
    ).model;
    const a = await evaluateModel(attributes, {
      root,
      images: [
        face({ attributes: { Smiling: true, Male: true } }),
        face({ attributes: { Smiling: false } }),
        face({ expression: 'happy' }),
      ],
    });
    expect(a.faces).toBe(2);
    expect(a.unlabelled).toBe(1);
    // Smiling right 1 of 2, Male wrong 0 of 1 (the second face has no Male label).
    expect(a.attributes).toEqual({ meanAccuracy: 0.25, accuracy: { Smiling: 0.5, Male: 0 } });

    // One attribute and a three-class pose group: always "Smiling yes", pose "frontal".
    const posed = fakeModel(
      fakeCard({
        task: 'attributes',
        schema: null,
        attributes: ['Smiling'],
        groups: [{ name: 'pose', classes: ['left', 'frontal', 'right'] }],
      }),
      (_, n) => ({
        probabilities: Float32Array.from({ length: 4 * n }, (_, i) => [0.9, 0.2, 0.7, 0.1][i % 4]!),
      }),
    ).model;
    const g = await evaluateModel(posed, {
      root,
      images: [
        face({ attributes: { Smiling: true }, classes: { pose: 'frontal' } }),
        face({ classes: { pose: 'frontal' } }),
        face({ classes: { pose: 'left' } }),
        face({ expression: 'happy' }),
      ],
    });
    expect(g.faces).toBe(3);
    expect(g.attributes).toEqual({
      meanAccuracy: (1 + 2 / 3) / 2,
      accuracy: { Smiling: 1 },
      groups: { pose: { faces: 3, accuracy: 2 / 3, majorityRate: 2 / 3 } },
    });

    // Always "sad".
    const classes = ['happy', 'sad'];
    const expression = fakeModel(
      fakeCard({ task: 'expression', schema: null, classes }),
      (_, n) => ({
        probabilities: Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.8 : 0.2)),
      }),
    ).model;
    const e = await evaluateModel(expression, {
      root,
      images: [
        face({ expression: 'sad' }),
        face({ expression: 'happy' }),
        face({ expression: 'sad' }),
      ],
    });
    expect(e.expression).toEqual({
      accuracy: 2 / 3,
      recall: { happy: 0, sad: 1 },
      confusion: [
        [0, 1],
        [0, 2],
      ],
      classes,
    });
    await expect(
      evaluateModel(expression, { root, images: [face({ expression: 'angry' })] }),
    ).rejects.toThrow(/a\.png: expression "angry" is not one of the model's classes/);
  });
});

describe('evaluating a backbone-headed landmarks model', () => {
  it('cuts faces as predict does by default, and names the true-points crop when asked', async () => {
    const root = path.join(dir, 'head-dots');
    await mkdir(root, { recursive: true });
    await writeDotImage(path.join(root, 'a.png'));
    // The truth a little off the dots, so the NME is not 0.
    const points = DOTS.map((d) => ({ x: d.x + 2, y: d.y - 1, v: 2 as const }));
    const { model } = fakeModel(fakeHeadCard('predicted-landmarks', null), dotCentroids(32));
    const detection = { box: DOT_BOX, crop: DOT_BOX, score: 0.9 };
    const detector = {
      detect: async () => ({ face: detection, detectorBox: DOT_BOX, faceCount: 1, flags: [] }),
    } as unknown as FaceDetector;
    const images = [
      { file: 'a.png', faces: [{ points, box: DOT_BOX }] },
      { file: 'a.png', faces: [{ points }] },
    ];
    const report = await evaluateModel(model, { root, images }, { detector });
    expect(report).toMatchObject({ crop: 'inference', cutFrom: { box: 1, detector: 1 }, faces: 2 });

    const predicted = await predictFaces(
      model,
      [{ file: path.join(root, 'a.png'), box: DOT_BOX }],
      { detect: false },
    );
    const flat = (ps: readonly { x: number; y: number }[]) => ps.flatMap((p) => [p.x, p.y]);
    const nme = nmeOfFace(flat(predicted.faces[0]!.labels.points), flat(points), [0, 1]);
    // Both faces are cut from the same box (given, or found by the detector): predict's NME.
    expect(report.landmarks!.nme).toBeCloseTo(nme, 9);

    const byTruth = await evaluateModel(model, { root, images }, { crop: 'true-points' });
    expect(byTruth).toMatchObject({ crop: 'true-points', cutFrom: { points: 2 } });
  });
});
