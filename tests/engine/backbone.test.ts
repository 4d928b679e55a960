import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBackbone, loadBackbone, NORMALISATION } from '../../src-main/engine/backbone';
import { extractFeatures } from '../../src-main/engine/embed';
import { modelLayout } from '../../src-main/engine/model';
import { initParams } from '../../src-main/engine/params';
import { modelConfigOf } from '../../src-main/engine/pretrain';
import { parsePretrainConfig } from '../../src-main/engine/pretrain-config';
import { Rng } from '../../src-main/engine/rng';
import { probeImages } from './fixtures/probe-images';
import { TINY_TEST_CONFIG, useWasm } from './helpers';

const CHILD = fileURLToPath(new URL('./fixtures/backbone-features.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-backbone-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function childFeatures(modelDir: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', TSX, CHILD, modelDir], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as number[]);
    });
  });
}

describe('backbone export', () => {
  it('writes a tfjs weights manifest and reloads to the same features in a fresh process', async () => {
    const config = parsePretrainConfig(TINY_TEST_CONFIG);
    const model = modelConfigOf(config);
    const weights = initParams(modelLayout(model), new Rng(5));
    const modelDir = path.join(dir, 'models', 'run-1');
    await exportBackbone(modelDir, model.vit, weights, {
      task: 'backbone',
      preset: 'tiny',
      inputSize: model.vit.imageSize,
      normalisation: NORMALISATION,
      input: 'RGB in [0, 1]',
      createdAt: new Date().toISOString(),
      runId: 'run-1',
      trainingConfig: config,
      data: { projectDir: null, images: 0 },
      steps: 0,
      finalLoss: null,
    });

    const modelJson = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as {
      weightsManifest: tf.io.WeightsManifestConfig;
    };
    const group = modelJson.weightsManifest[0]!;
    expect((await readdir(modelDir)).sort()).toEqual(
      ['card.json', ...group.paths, 'model.json'].sort(),
    );
    // Standard tfjs decoding reads the shards: the patch embedding matches the flat weights.
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
    expect(named['head.fc1.w']).toBeUndefined(); // the head is not part of the backbone
    tf.dispose(Object.values(named));

    const images = probeImages();
    const expected = Array.from(extractFeatures(model, weights, images).dataSync());
    const loaded = await loadBackbone(modelDir);
    const here = Array.from(loaded.features(images).dataSync());
    loaded.dispose();
    images.dispose();
    const there = await childFeatures(modelDir);
    expect(there).toHaveLength(3 * model.vit.dim);
    for (const [i, v] of expected.entries()) {
      expect(Math.abs(there[i]! - v)).toBeLessThan(1e-5);
      expect(Math.abs(here[i]! - v)).toBeLessThan(1e-5);
    }
  }, 60_000);
});
