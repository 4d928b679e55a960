/**
 * The exported graph, run by tfjs's own graph executor, against the engine's forward pass: CLS
 * features (vitForward) and each fine-tuning head (predictFinetune), within 1e-5.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraphModel, exportHeadOf } from '../../../src-main/engine/export/graph-model';
import { weightsFromFlat } from '../../../src-main/engine/export/export-model';
import { predictFinetune } from '../../../src-main/engine/finetune/finetune-model';
import { layoutOf, tensorsOf } from '../../../src-main/engine/model/params';
import { normaliseImages } from '../../../src-main/engine/model/normalise';
import { vitForward, vitParamSpecs } from '../../../src-main/engine/model/vit';
import { useWasm } from '../../support/engine-helpers';
import { maxAbsDiff, randomResult, runGraph, testImages } from './export-fixtures';
import type { FinetuneTaskName } from './export-fixtures';

beforeAll(async () => {
  await useWasm();
});

describe('exported graph', () => {
  it('computes the backbone CLS features as vitForward does, for any batch size', async () => {
    const result = randomResult('attributes', 1);
    const vit = result.model.vit;
    const layout = layoutOf(vitParamSpecs(vit));
    for (const n of [3, 1]) {
      const images = testImages(n);
      const params = tensorsOf(layout, result.params);
      const expected = tf.tidy(() => vitForward(vit, params, normaliseImages(images)));
      const graph = await runGraph(
        { vit, head: null },
        weightsFromFlat(layout, result.params),
        images,
      );
      expect(graph.shape).toEqual([n, vit.dim]);
      expect(maxAbsDiff(graph.values, expected.dataSync())).toBeLessThan(1e-5);
      // The features are not trivially equal (e.g. all zero): images differ, so rows differ.
      if (n > 1)
        expect(
          maxAbsDiff(
            graph.values.subarray(0, vit.dim),
            graph.values.subarray(vit.dim, 2 * vit.dim),
          ),
        ).toBeGreaterThan(1e-3);
      tf.dispose([images, expected, ...params.values()]);
    }
  });

  const shapes: Record<FinetuneTaskName, (n: number) => number[]> = {
    landmarks: (n) => [n, 3, 2],
    attributes: (n) => [n, 4],
    expression: (n) => [n, 3],
  };
  for (const task of ['landmarks', 'attributes', 'expression'] as const)
    it(`predicts ${task} as predictFinetune does`, async () => {
      const result = randomResult(task, 2);
      const images = testImages(3);
      const params = tensorsOf(result.model.layout, result.params);
      const expected = await predictFinetune(result.model, params, images, 2);
      const graph = await runGraph(
        { vit: result.model.vit, head: exportHeadOf(result.model) },
        weightsFromFlat(result.model.layout, result.params),
        images,
      );
      expect(graph.shape).toEqual(shapes[task](3));
      expect(maxAbsDiff(graph.values, expected)).toBeLessThan(1e-5);
      tf.dispose([images, ...params.values()]);
    });

  it('refuses weights of the wrong size by name', () => {
    const result = randomResult('expression', 3);
    const spec = { vit: result.model.vit, head: exportHeadOf(result.model) };
    expect(() => buildGraphModel(spec, () => new Float32Array(5))).toThrow(/patch\.w/);
  });
});
