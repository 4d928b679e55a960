import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBackbone, loadBackbone } from '../../../src-main/engine/export/saved-backbone';
import { extractFeatures } from '../../../src-main/engine/model/embed';
import { readModelCard } from '../../../src-main/engine/export/load-model';
import { modelLayout } from '../../../src-main/engine/pretrain/pretrain-model';
import { initParams, layoutOf } from '../../../src-main/engine/model/params';
import { modelConfigOf } from '../../../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';
import { Rng } from '../../../src-main/engine/model/rng';
import { vitParamSpecs } from '../../../src-main/engine/model/vit';
import { maxAbsDiff, predictInChild } from './export-fixtures';
import { probeImages } from '../fixtures/probe-images';
import { TINY_TEST_CONFIG, useWasm } from '../helpers';

const CHILD = fileURLToPath(new URL('../fixtures/backbone-features.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-backbone-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** CLS features from loadBackbone in a fresh process (fixtures/backbone-features.ts). */
function childFeatures(modelDir: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', TSX, CHILD, modelDir], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as number[]);
    });
  });
}

function tinyBackbone(seed: number) {
  const config = parsePretrainConfig(TINY_TEST_CONFIG);
  const model = modelConfigOf(config);
  return { config, model, weights: initParams(modelLayout(model), new Rng(seed)) };
}

describe('backbone export', () => {
  it('writes a graph model and card that load back to the same features, here and in a fresh process', async () => {
    const { config, model, weights } = tinyBackbone(5);
    const modelDir = path.join(dir, 'models', 'run-1');
    const sum = await exportBackbone(modelDir, model.vit, weights, {
      id: 'run-1',
      preset: 'tiny',
      runId: 'run-1',
      config,
      data: { project: null, train: 12, val: 0, test: 0 },
    });
    expect(sum).toMatch(/^[0-9a-f]+-[0-9a-f]+$/);

    const modelJson = JSON.parse(
      await readFile(path.join(modelDir, 'model.json'), 'utf8'),
    ) as tf.io.ModelJSON;
    expect(modelJson.format).toBe('graph-model');
    const group = modelJson.weightsManifest[0]!;
    expect((await readdir(modelDir)).sort()).toEqual(
      ['card.json', ...group.paths, 'model.json'].sort(),
    );
    // Standard tfjs decoding reads the shards by name: the patch embedding matches the weights.
    const bytes = Buffer.concat(
      await Promise.all(group.paths.map((p) => readFile(path.join(modelDir, p)))),
    );
    const named = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      group.weights,
    );
    const patch = modelLayout(model).entries.find((e) => e.name === 'patch.w')!;
    expect(Array.from(named['patch.w']!.dataSync())).toEqual(
      Array.from(weights.subarray(patch.offset, patch.offset + patch.size)),
    );
    expect(named['head.fc1.w']).toBeUndefined(); // the pre-training head is not part of it
    tf.dispose(Object.values(named));

    const card = await readModelCard(modelDir);
    expect(card).toMatchObject({
      task: 'backbone',
      outputs: ['features'],
      input: { size: model.vit.imageSize },
      backbone: { preset: 'tiny', pretrainedFrom: null },
      data: { train: 12 },
    });

    const images = probeImages();
    const expected = Array.from(extractFeatures(model, weights, images).dataSync());
    const loaded = await loadBackbone(modelDir);
    expect(loaded.card.id).toBe('run-1');
    const here = Array.from(loaded.features(images).dataSync());
    expect(loaded.weights.get('patch.w')).toEqual(
      weights.subarray(patch.offset, patch.offset + patch.size),
    );
    loaded.dispose();
    expect(maxAbsDiff(here, expected)).toBeLessThan(1e-5);

    // Fresh processes: loadBackbone (fine-tuning's reader), and the graph itself through
    // loadExportedModel at the model's input size.
    const sized = tf.image.resizeBilinear(images, [model.vit.imageSize, model.vit.imageSize]);
    const atSize = Array.from(extractFeatures(model, weights, sized).dataSync());
    const [there, child] = await Promise.all([
      childFeatures(modelDir),
      predictInChild([modelDir], sized, dir),
    ]);
    expect(maxAbsDiff(there, expected)).toBeLessThan(1e-5);
    expect(child[modelDir]!.task).toBe('backbone');
    expect(maxAbsDiff(child[modelDir]!.features!, atSize)).toBeLessThan(1e-5);
    tf.dispose([images, sized]);
  }, 60_000);

  it('still loads a backbone exported in the first format (face-studio-vit)', async () => {
    const { model, weights } = tinyBackbone(6);
    const legacyDir = path.join(dir, 'models', 'legacy');
    await mkdir(legacyDir, { recursive: true });
    const layout = layoutOf(vitParamSpecs(model.vit));
    const bytes = Buffer.from(weights.buffer, weights.byteOffset, layout.total * 4);
    await writeFile(path.join(legacyDir, 'weights-shard1of1.bin'), bytes);
    await writeFile(
      path.join(legacyDir, 'model.json'),
      JSON.stringify({
        format: 'face-studio-vit',
        formatVersion: 1,
        vit: model.vit,
        weightsManifest: [
          {
            paths: ['weights-shard1of1.bin'],
            weights: layout.entries.map((e) => ({
              name: e.name,
              shape: e.shape,
              dtype: 'float32',
            })),
          },
        ],
      }),
    );
    await writeFile(
      path.join(legacyDir, 'card.json'),
      JSON.stringify({
        task: 'backbone',
        preset: 'tiny',
        inputSize: model.vit.imageSize,
        createdAt: '2026-01-01T00:00:00.000Z',
        runId: 'old-run',
        trainingConfig: {},
        data: { projectDir: '/p', images: 7 },
        steps: 3,
        finalLoss: 1.5,
      }),
    );
    const loaded = await loadBackbone(legacyDir);
    expect(loaded.card).toMatchObject({
      task: 'backbone',
      runId: 'old-run',
      data: { project: '/p', train: 7 },
    });
    const images = probeImages();
    const expected = extractFeatures(model, weights, images).dataSync();
    expect(maxAbsDiff(loaded.features(images).dataSync(), expected)).toBeLessThan(1e-5);
    loaded.dispose();
    images.dispose();
  });
});
