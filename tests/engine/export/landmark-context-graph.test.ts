/**
 * The exported graph of a landmark head with a context window (landmarkHead.context 3, with and
 * without the channel projection) against predictFinetune, within 1e-5: the window's constant
 * neighbour matrix and transposes must match landmark-head.ts's for any batch size.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportHeadOf } from '../../../src-main/engine/export/graph-model';
import { weightsFromFlat } from '../../../src-main/engine/export/export-model';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import {
  buildFinetuneModel,
  predictFinetune,
} from '../../../src-main/engine/finetune/finetune-model';
import { initParams, tensorsOf } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../../support/engine-helpers';
import { maxAbsDiff, runGraph, SMALL_MODEL, testImages, THREE_POINTS } from './export-fixtures';

beforeAll(useWasm);

describe('exported landmark head with a context window', () => {
  for (const contextChannels of [0, 5])
    it(`predicts as predictFinetune does (contextChannels ${contextChannels})`, async () => {
      const config = parseFinetuneConfig({
        task: 'landmarks',
        model: SMALL_MODEL,
        landmarkHead: { channels: [8, 4], temperature: 4, context: 3, contextChannels },
      });
      const model = buildFinetuneModel(config, {
        task: 'landmarks',
        schema: THREE_POINTS,
        train: {
          size: 0,
          labels: new Float32Array(0),
          images: async () => tf.zeros([0, 32, 32, 3]),
        },
      });
      const rng = new Rng(5);
      const flat = initParams(model.layout, rng);
      // Every weight random and the head's scaled up, so each tensor (and each neighbour) matters.
      for (let i = 0; i < flat.length; i++) flat[i]! += 0.3 * rng.normal();
      for (const e of model.layout.entries)
        if (e.name.startsWith('landmarks.'))
          for (let i = e.offset; i < e.offset + e.size; i++) flat[i]! *= 4;
      const images = testImages(3);
      const params = tensorsOf(model.layout, flat);
      const expected = await predictFinetune(model, params, images, 2);
      const out = await runGraph(
        { vit: model.vit, head: exportHeadOf(model) },
        weightsFromFlat(model.layout, flat),
        images,
      );
      expect(out.shape).toEqual([3, 3, 2]);
      expect(maxAbsDiff(out.values, expected)).toBeLessThan(1e-5);
      tf.dispose([images, ...params.values()]);
    });
});
