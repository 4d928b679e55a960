import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readCheckpoint,
  writeCheckpoint,
} from '../../../src-main/engine/pretrain/pretrain-checkpoint';
import { modelLayout } from '../../../src-main/engine/pretrain/pretrain-model';
import { initParams } from '../../../src-main/engine/model/params';
import {
  augmentConfigOf,
  modelConfigOf,
  pretrain,
} from '../../../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';
import type { PretrainProgress } from '../../../src-main/engine/pretrain/pretrain';
import { Rng, deriveSeed } from '../../../src-main/engine/model/rng';
import { TINY_TEST_CONFIG, syntheticData, useWasm } from '../helpers';

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
    const started = performance.now();
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
    // The loop's clock runs inside this test's, so its speed is at least 80 images over the
    // test's time, however busy the machine; the ETA follows from the speed and steps left.
    const testSeconds = (performance.now() - started) / 1000;
    expect(last.imagesPerSec).toBeGreaterThanOrEqual((20 * 4) / testSeconds);
    for (const p of progress) {
      expect(p.etaSeconds).toBeCloseTo(((20 - p.step) * 4) / p.imagesPerSec, 6);
    }
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

  it('keeps the prototypes frozen through the first epoch, then trains them', async () => {
    // 16 images, batch 4: steps 1-4 are epoch 0 (frozen), step 5 is the first of epoch 1.
    const config = { ...TINY_TEST_CONFIG, freezePrototypesEpochs: 1 };
    const layout = modelLayout(modelConfigOf(parsePretrainConfig(config)));
    // The loop's starting weights: initParams seeded as pretrain() seeds it.
    const initial = initParams(layout, new Rng(deriveSeed(config.seed, 0x1417)));
    const prototypes = layout.entries.filter((e) => e.prototypes === true);
    expect(prototypes.map((e) => e.name)).toEqual(['head.prototypes']);
    const slice = (values: Float32Array, e: (typeof prototypes)[number]) =>
      Array.from(values.subarray(e.offset, e.offset + e.size));
    const frozen = await pretrain({ ...config, maxSteps: 4 }, syntheticData(16));
    const after = await pretrain({ ...config, maxSteps: 5 }, syntheticData(16));
    for (const e of prototypes) {
      expect(slice(frozen.student, e)).toEqual(slice(initial, e));
      expect(slice(after.student, e)).not.toEqual(slice(initial, e));
    }
    // Everything else did train during the freeze.
    const other = layout.entries.find((e) => e.name === 'head.fc1.w')!;
    expect(slice(frozen.student, other)).not.toEqual(slice(initial, other));
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
    const r = await pretrain(
      { ...TINY_TEST_CONFIG, maxSteps: 2, workers: 2, koleoWeight: 0 },
      syntheticData(16),
      { onProgress: (p) => progress.push(p) },
    );
    expect(r.step).toBe(2);
    expect(progress.map((p) => p.step)).toEqual([1, 2]);
    // The DINO loss is a cross-entropy against the teacher's targets, so it is at least their
    // entropy, which is at most log K (uniform over the 32 prototypes). Workers' gradients are
    // compared with one batch's in tests/engine/parallel/gradient-engine.test.ts.
    for (const p of progress) {
      expect(p.teacherEntropy).toBeLessThanOrEqual(Math.log(32) + 1e-5);
      expect(p.loss).toBeGreaterThanOrEqual(p.teacherEntropy - 1e-5);
    }
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
