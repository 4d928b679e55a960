/**
 * Fine-tuned models exported to folders: the files tfjs expects, a card with the derived fields
 * filled in, and — loaded in a fresh process — the same predictions as the engine before export.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportFinetunedModel } from '../../../src-main/engine/export/export-model';
import { loadExportedModel, readModelCard } from '../../../src-main/engine/export/load-model';
import { predictFinetune } from '../../../src-main/engine/finetune/finetune-model';
import { checksum, tensorsOf } from '../../../src-main/engine/model/params';
import { StudioError } from '../../../src-main/shared/errors';
import { useWasm } from '../../support/engine-helpers';
import {
  cardFieldsFor,
  maxAbsDiff,
  predictInChild,
  randomResult,
  testImages,
} from './export-fixtures';
import type { FinetuneTaskName } from './export-fixtures';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TASKS = ['landmarks', 'attributes', 'expression'] as const;
const OUTPUT_KEY = {
  landmarks: 'landmarks',
  attributes: 'probabilities',
  expression: 'probabilities',
} as const;

describe('exportFinetunedModel', () => {
  it('writes graph models that predict as the engine did, in a fresh process', async () => {
    const images = testImages(3);
    const expected = new Map<FinetuneTaskName, Float32Array>();
    const dirs: string[] = [];
    for (const [i, task] of TASKS.entries()) {
      const result = randomResult(task, 10 + i);
      const params = tensorsOf(result.model.layout, result.params);
      expected.set(task, await predictFinetune(result.model, params, images, 2));
      tf.dispose([...params.values()]);
      const modelDir = path.join(dir, 'models', task);
      const sum = await exportFinetunedModel(modelDir, result, cardFieldsFor(task, task));
      expect(sum).toBe(checksum(result.params));
      dirs.push(modelDir);
    }

    // The files tfjs expects: model.json naming its shards, nothing half-written left beside.
    const modelJson = JSON.parse(
      await readFile(path.join(dirs[0]!, 'model.json'), 'utf8'),
    ) as tf.io.ModelJSON;
    expect(modelJson.format).toBe('graph-model');
    const shards = modelJson.weightsManifest[0]!.paths;
    expect((await readdir(dirs[0]!)).sort()).toEqual(['card.json', ...shards, 'model.json'].sort());
    expect((await readdir(path.join(dir, 'models'))).sort()).toEqual([...TASKS].sort());
    const names = modelJson.weightsManifest[0]!.weights.map((w) => w.name);
    expect(names).toContain('block1.qkv.w');
    expect(names).toContain('landmarks.prior');

    // The card: derived fields filled from the model.
    const card = await readModelCard(dirs[0]!);
    expect(card).toMatchObject({
      format: 'face-studio-model',
      task: 'landmarks',
      outputs: ['landmarks'],
      input: { size: 32, range: [0, 1] },
      backbone: { preset: 'tiny', pretrainedFrom: null },
    });
    expect(
      (card.config as { landmarkHead: { temperature: number } }).landmarkHead.temperature,
    ).toBe(4);

    const child = await predictInChild(dirs, images, dir);
    for (const [i, task] of TASKS.entries()) {
      const got = child[dirs[i]!]!;
      expect(got.task).toBe(task);
      expect(got.inputSize).toBe(32);
      expect(maxAbsDiff(got[OUTPUT_KEY[task]]!, expected.get(task)!)).toBeLessThan(1e-5);
    }
    images.dispose();
  }, 60_000);

  it('replaces an earlier export in place and predicts other input sizes by resizing', async () => {
    // Its own folder: the first test lists models/ and must not see this one, whatever the order.
    const modelDir = path.join(dir, 'replaced', 'again');
    await exportFinetunedModel(
      modelDir,
      randomResult('expression', 1),
      cardFieldsFor('expression', 'again'),
    );
    const second = randomResult('expression', 2);
    await exportFinetunedModel(modelDir, second, cardFieldsFor('expression', 'again'));
    const model = await loadExportedModel(modelDir);
    const images = testImages(2);
    const params = tensorsOf(second.model.layout, second.params);
    const expected = await predictFinetune(second.model, params, images, 2);
    const same = await model.predict(images);
    expect(maxAbsDiff(same.probabilities!, expected)).toBeLessThan(1e-5);
    // A 64-px crop is resized to the graph's 32 px: probabilities of 3 classes per face.
    const big = tf.image.resizeBilinear(images, [64, 64]);
    const resized = await model.predict(big);
    expect(resized.probabilities).toHaveLength(2 * 3);
    expect(
      resized.probabilities![0]! + resized.probabilities![1]! + resized.probabilities![2]!,
    ).toBeCloseTo(1, 5);
    await expect(model.predict(tf.zeros([1, 32, 32, 1]) as tf.Tensor4D)).rejects.toThrow(
      StudioError,
    );
    model.dispose();
    tf.dispose([images, big, ...params.values()]);
  });

  it('refuses card names that do not match the head', async () => {
    const result = randomResult('attributes', 4);
    const fields = { ...cardFieldsFor('attributes', 'bad'), attributes: ['only one'] };
    const modelDir = path.join(dir, 'models', 'bad');
    await expect(exportFinetunedModel(modelDir, result, fields)).rejects.toThrow(
      /predicts 4 attributes; the card names 1/,
    );
    await expect(readdir(modelDir)).rejects.toThrow(); // nothing written
  });
});
