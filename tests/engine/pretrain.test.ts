import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../src-main/engine/checkpoint';
import { augmentConfigOf, modelConfigOf, pretrain } from '../../src-main/engine/pretrain';
import { parsePretrainConfig } from '../../src-main/engine/pretrain-config';
import type { PretrainProgress } from '../../src-main/engine/pretrain';
import { TINY_TEST_CONFIG, syntheticData, useWasm } from './helpers';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-pretrain-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pretrain loop', () => {
  it('leaks no tensors over 20 steps and reports progress', async () => {
    const progress: PretrainProgress[] = [];
    // One short run first: kernels and backend caches made on first use are not leaks.
    await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 1 }, syntheticData(16));
    const before = tf.memory().numTensors;
    // microBatch 2 of batch 4: the accumulate-over-chunks path is the one checked for leaks.
    await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 20, microBatch: 2 }, syntheticData(16), {
      onProgress: (p) => progress.push(p),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toHaveLength(20);
    // Tensors alive during training must not grow. The last step is left out: it has no
    // prefetched next batch, so it holds one tensor fewer.
    const counts = progress.slice(0, -1).map((p) => p.memory.tensors);
    expect(Math.max(...counts)).toBe(Math.min(...counts));
    const last = progress.at(-1)!;
    expect(last.step).toBe(20);
    expect(Number.isFinite(last.loss)).toBe(true);
    expect(last.imagesPerSec).toBeGreaterThan(0);
    expect(last.epoch).toBe(4); // 16 images / batch 4 = 4 steps per epoch; step 19 is in epoch 4
  });

  it('resumes from a checkpoint at the same step with the same weights as an uninterrupted run', async () => {
    const straight = await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 6 }, syntheticData(16));
    const ckptDir = path.join(dir, 'resume');
    const first = await pretrain(
      { ...TINY_TEST_CONFIG, maxSteps: 3, checkpointDir: ckptDir, checkpointEvery: 100 },
      syntheticData(16),
    );
    expect(first.checkpoint).not.toBeNull();
    expect((await readCheckpoint(first.checkpoint!)).step).toBe(3);
    const steps: number[] = [];
    const resumed = await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 6 }, syntheticData(16), {
      resumeFrom: first.checkpoint!,
      onProgress: (p) => steps.push(p.step),
    });
    expect(steps).toEqual([4, 5, 6]);
    expect(resumed.checksum).toBe(straight.checksum);
    expect(resumed.checksum).not.toBe(first.checksum);
  });

  it('resumes a checkpoint written before a config key existed, with that key at its default', async () => {
    const ckptDir = path.join(dir, 'older');
    const straight = await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 4 }, syntheticData(16));
    const first = await pretrain(
      { ...TINY_TEST_CONFIG, maxSteps: 2, checkpointDir: ckptDir, checkpointEvery: 100 },
      syntheticData(16),
    );
    const state = await readCheckpoint(first.checkpoint!);
    const { colourJitter, solarize, ...older } = state.config;
    expect([colourJitter, solarize]).toEqual([1, 0.2]);
    const olderFile = path.join(ckptDir, 'older.ckpt');
    await writeCheckpoint(olderFile, { ...state, config: older as typeof state.config });
    const resumed = await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 4 }, syntheticData(16), {
      resumeFrom: olderFile,
    });
    expect(resumed.checksum).toBe(straight.checksum);
    const badFile = path.join(ckptDir, 'bad.ckpt');
    await writeCheckpoint(badFile, { ...state, config: { ...state.config, lr: -1 } });
    await expect(readCheckpoint(badFile)).rejects.toThrow(/bad\.ckpt: .*lr/);
  });

  it('saves a checkpoint when cancelled', async () => {
    const controller = new AbortController();
    const ckptDir = path.join(dir, 'cancel');
    const result = await pretrain(
      { ...TINY_TEST_CONFIG, maxSteps: 50, checkpointDir: ckptDir, checkpointEvery: 100 },
      syntheticData(16),
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 2) controller.abort();
        },
      },
    );
    expect(result.cancelled).toBe(true);
    expect(result.step).toBe(2);
    expect((await readCheckpoint(path.join(ckptDir, 'latest.ckpt'))).step).toBe(2);
  });

  it('stops with a clear error on a non-finite loss', async () => {
    // An absurd learning rate blows the weights up after the first update.
    const run = pretrain(
      { ...TINY_TEST_CONFIG, lr: 1e30, warmupEpochs: 0, gradClip: 0, maxSteps: 5 },
      syntheticData(16),
    );
    await expect(run).rejects.toThrow(/loss became (NaN|-?Infinity) at step [1-4]\./);
  });

  it('splits a batch across two worker threads', async () => {
    const progress: PretrainProgress[] = [];
    const r = await pretrain({ ...TINY_TEST_CONFIG, maxSteps: 2, workers: 2 }, syntheticData(16), {
      onProgress: (p) => progress.push(p),
    });
    expect(r.step).toBe(2);
    expect(progress.every((p) => Number.isFinite(p.loss) && p.loss > 0)).toBe(true);
  });
});

describe('the views of a run', () => {
  const viewsOf = (input: Record<string, unknown>) => {
    const c = parsePretrainConfig(input);
    return augmentConfigOf(c, modelConfigOf(c));
  };

  it('sizes local crops at input·96/224 rounded down to the patch, unless localSize is set', () => {
    expect(viewsOf({}).localSize).toBe(24);
    expect(viewsOf({ model: { preset: 'tiny', imageSize: 32 } }).localSize).toBe(8);
    expect(viewsOf({ model: { preset: 'tiny', imageSize: 32 }, localSize: 16 }).localSize).toBe(16);
  });

  it('rejects a local size off the patch grid or above the input, naming the key', () => {
    expect(() => viewsOf({ localSize: 20 })).toThrow(/localSize: 20 px .*patch size \(8 px\)/);
    expect(() => viewsOf({ localSize: 72 })).toThrow(/localSize.*input size \(64 px\)/);
  });
});
