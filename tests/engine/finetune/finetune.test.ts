/**
 * The fine-tuning loop on synthetic data with a very small backbone: config checks, learning,
 * no tensor leaks, early stopping, checkpoint + resume, backbone weights, the class heads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LandmarkSchema } from '../../../src-main/shared/schemas';
import { finetune } from '../../../src-main/engine/finetune/finetune';
import {
  readFinetuneCheckpoint,
  writeFinetuneCheckpoint,
} from '../../../src-main/engine/finetune/finetune-checkpoint';
import type { FinetuneProgress } from '../../../src-main/engine/finetune/finetune';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import { tensorSplit } from '../../../src-main/engine/finetune/finetune-data';
import { evaluateSplit } from '../../../src-main/engine/finetune/finetune-evaluate';
import type { FinetuneData } from '../../../src-main/engine/finetune/finetune-data';
import { peakLrOf } from '../../../src-main/engine/finetune/finetune-model';
import { tensorsOf } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { useWasm } from '../helpers';

const MODEL = { preset: 'tiny', imageSize: 16, patchSize: 8, dim: 16, depth: 2, heads: 2 } as const;
const NO_AUGMENT = { flip: 0, rotation: 0, scale: [1, 1], shift: 0, colour: 0 } as const;

const TWO_DOTS: LandmarkSchema = {
  id: 'two-dots',
  name: 'two dots',
  points: ['left', 'right'],
  groups: [],
  edges: [],
  mirror: [[0, 1]],
  normaliser: [0, 1],
  template: [
    [0, 0.5],
    [1, 0.5],
  ],
};

/** 16-px images with a bright 2×2 dot on each half; the labels are the dots' centres. */
function dotImages(n: number, seed: number): { images: tf.Tensor4D; points: Float32Array } {
  const rng = new Rng(seed);
  const s = 16;
  const pixels = new Float32Array(n * s * s * 3).fill(0.1);
  const points = new Float32Array(n * 4);
  for (let i = 0; i < n; i++)
    [0, 8].forEach((x0, dot) => {
      const x = x0 + 1 + Math.floor(rng.next() * 5);
      const y = 1 + Math.floor(rng.next() * 13);
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ])
        pixels.fill(
          0.9,
          ((i * s + y + dy!) * s + x + dx!) * 3,
          ((i * s + y + dy!) * s + x + dx!) * 3 + 3,
        );
      points[i * 4 + dot * 2] = (x + 1) / s;
      points[i * 4 + dot * 2 + 1] = (y + 1) / s;
    });
  return { images: tf.tensor4d(pixels, [n, s, s, 3]), points };
}

let dots: { images: tf.Tensor4D; points: Float32Array };
let dir: string;

beforeAll(async () => {
  await useWasm();
  dots = dotImages(48, 5);
  dir = await mkdtemp(path.join(tmpdir(), 'finetune-'));
});

afterAll(async () => {
  dots.images.dispose();
  await rm(dir, { recursive: true, force: true });
});

function landmarkData(): FinetuneData {
  return { task: 'landmarks', schema: TWO_DOTS, train: tensorSplit(dots.images, dots.points) };
}

const BASE = {
  task: 'landmarks',
  model: MODEL,
  batchSize: 8,
  epochs: 6,
  warmupEpochs: 1,
  headLr: 1e-2,
  backboneLr: 3e-3,
  valFraction: 0.25,
  augment: NO_AUGMENT,
  landmarkHead: { channels: [16, 8], heatmapLossWeight: 0.5 },
  seed: 2,
} as const;

describe('fine-tuning config', () => {
  it('fills defaults and rejects unknown keys and wrong types by name', () => {
    const c = parseFinetuneConfig({ task: 'landmarks' });
    expect(c.layerDecay).toBe(0.75);
    expect(c.augment.rotation).toBe(20);
    expect(() => parseFinetuneConfig({ task: 'landmarks', learningRate: 1 })).toThrow(
      /learningRate/,
    );
    expect(() => parseFinetuneConfig({ task: 'landmarks', epochs: 'ten' })).toThrow(/epochs/);
    expect(() => parseFinetuneConfig({})).toThrow(/task/);
  });

  it('gives deeper blocks smaller rates (layer-wise decay) and freezes blocks below the top', () => {
    const c = parseFinetuneConfig({ ...BASE, model: { ...MODEL, depth: 3 }, backboneLr: 1 });
    const model = {
      vit: { depth: 3 },
      backboneNames: new Set(['pos', 'block0.qkv.w', 'block2.qkv.w', 'norm.g']),
    };
    const lr = (name: string, cfg = c): number => peakLrOf(model as never, cfg, { name } as never);
    expect(lr('block2.qkv.w')).toBe(1);
    expect(lr('norm.g')).toBe(1);
    expect(lr('block0.qkv.w')).toBeCloseTo(0.75 ** 2, 12);
    expect(lr('pos')).toBeCloseTo(0.75 ** 3, 12);
    expect(lr('landmarks.out.w')).toBe(c.headLr);
    const top = { ...c, trainableBlocks: 1 };
    expect(lr('block2.qkv.w', top)).toBe(1);
    expect(lr('block0.qkv.w', top)).toBe(0);
    expect(lr('pos', top)).toBe(0);
    expect(lr('norm.g', { ...c, trainableBlocks: 0 })).toBe(0);
  });

  it('refuses data labelled for another task', async () => {
    await expect(finetune({ ...BASE, task: 'expression' }, landmarkData())).rejects.toThrow(
      /landmarks/,
    );
  });
});

describe('fine-tuning landmarks', () => {
  it('learns, validates every epoch, and leaks no tensors', { timeout: 120_000 }, async () => {
    const progress: FinetuneProgress[] = [];
    const before = tf.memory().numTensors;
    let duringSteps: number[] = [];
    const result = await finetune({ ...BASE, epochs: 30 }, landmarkData(), {
      onProgress: (p) => {
        progress.push(p);
        if (p.kind === 'step') duringSteps.push(tf.memory().numTensors);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    // Tensor count constant across steps (the variables exist throughout; nothing else piles up).
    duringSteps = duringSteps.slice(1);
    expect(Math.max(...duringSteps)).toBe(Math.min(...duringSteps));
    const steps = progress.filter((p) => p.kind === 'step');
    expect(steps).toHaveLength(30 * 4); // 36 training faces → 4 batches of 8 per epoch
    expect(result.history).toHaveLength(30);
    const first = result.history[0]!.metrics;
    const bestRecord = result.history.find((h) => h.epoch === result.bestEpoch)!;
    if (first.task !== 'landmarks' || bestRecord.metrics.task !== 'landmarks')
      throw new Error('wrong task');
    // The dots move over the whole image; learning to find them must cut the error clearly.
    expect(bestRecord.metrics.nme).toBeLessThan(first.nme * 0.8);
  });

  it(
    "returns the best epoch's weights, which reproduce that epoch's metric",
    { timeout: 120_000 },
    async () => {
      // Validation labels with left and right swapped: the better the model learns the dots,
      // the worse it scores there, so an early epoch is the best and the last one is not.
      const valDots = dotImages(16, 11);
      const swapped = valDots.points.slice();
      for (let i = 0; i < 16; i++)
        swapped.set(valDots.points.subarray(i * 4, i * 4 + 4).reverse(), i * 4);
      const val = tensorSplit(valDots.images, swapped);
      const data: FinetuneData = { ...landmarkData(), val };
      const result = await finetune({ ...BASE, epochs: 8 }, data);
      const nmeOf = (epoch: number): number => {
        const m = result.history.find((h) => h.epoch === epoch)!.metrics;
        if (m.task !== 'landmarks') throw new Error('wrong task');
        return m.nme;
      };
      const last = result.history.at(-1)!.epoch;
      expect(last).toBe(7);
      expect(result.bestEpoch).toBeLessThan(last);
      // The last epoch must score clearly worse (about 0.70 against 0.67), far beyond the 1e-6
      // the check below allows, or this test could not tell the two sets of weights apart.
      expect(nmeOf(last) - nmeOf(result.bestEpoch)).toBeGreaterThan(0.01);
      const params = tensorsOf(result.model.layout, result.params);
      const again = await evaluateSplit(
        result.model,
        data,
        params,
        val,
        result.config.evalBatchSize,
      );
      tf.dispose([...params.values()]);
      valDots.images.dispose();
      if (again.task !== 'landmarks') throw new Error('wrong task');
      expect(again.nme).toBeCloseTo(nmeOf(result.bestEpoch), 6);
    },
  );

  it('stops early when validation stalls', { timeout: 60_000 }, async () => {
    // A zero learning rate cannot improve on epoch 0, so patience 2 stops after epoch 2.
    const result = await finetune(
      { ...BASE, headLr: 1e-12, backboneLr: 0, patience: 2, epochs: 10 },
      landmarkData(),
    );
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    expect(result.bestEpoch).toBe(0);
  });

  it(
    'resumes from a checkpoint to the same weights as an uninterrupted run',
    { timeout: 120_000 },
    async () => {
      const config = { ...BASE, epochs: 4, augment: { ...NO_AUGMENT, flip: 0.5, rotation: 10 } };
      const whole = await finetune(config, landmarkData());
      const controller = new AbortController();
      const checkpointDir = path.join(dir, 'resume');
      const first = await finetune({ ...config, checkpointDir }, landmarkData(), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.kind === 'step' && p.step === 6) controller.abort(); // mid-epoch 1
        },
      });
      expect(first.cancelled).toBe(true);
      expect(first.step).toBe(6);
      const resumed = await finetune({ ...config, checkpointDir }, landmarkData(), {
        resumeFrom: first.checkpoint!,
      });
      expect(resumed.step).toBe(whole.step);
      expect(resumed.history.map((h) => h.epoch)).toEqual(whole.history.map((h) => h.epoch));
      expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(whole.params.buffer))).toBe(
        true,
      );
    },
  );

  it(
    'resumes a checkpoint written before a config key existed, with that key at its default',
    { timeout: 120_000 },
    async () => {
      // No validation split, so the result holds the last weights, not the best epoch's.
      const config = { ...BASE, epochs: 2, valFraction: 0 };
      const whole = await finetune(config, landmarkData());
      const checkpointDir = path.join(dir, 'older');
      const controller = new AbortController();
      const first = await finetune({ ...config, checkpointDir }, landmarkData(), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.kind === 'step' && p.step === 3) controller.abort();
        },
      });
      const state = await readFinetuneCheckpoint(first.checkpoint!);
      const { weightDecay, ...older } = state.config;
      expect(weightDecay).toBe(parseFinetuneConfig({ task: 'landmarks' }).weightDecay);
      const olderFile = path.join(checkpointDir, 'older.ckpt');
      await writeFinetuneCheckpoint(olderFile, { ...state, config: older as typeof state.config });
      const resumed = await finetune({ ...config, checkpointDir }, landmarkData(), {
        resumeFrom: olderFile,
      });
      expect(resumed.step).toBe(whole.step);
      expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(whole.params.buffer))).toBe(
        true,
      );
    },
  );

  it('starts from given backbone weights and names a mismatch', { timeout: 60_000 }, async () => {
    const trained = await finetune({ ...BASE, epochs: 1 }, landmarkData());
    const backbone = new Map<string, Float32Array>();
    for (const e of trained.model.layout.entries)
      if (trained.model.backboneNames.has(e.name))
        backbone.set(e.name, trained.params.slice(e.offset, e.offset + e.size));
    // A frozen backbone (no training at all) must come out exactly as it went in.
    const frozen = await finetune({ ...BASE, epochs: 1, trainableBlocks: 0 }, landmarkData(), {
      backbone,
    });
    for (const e of frozen.model.layout.entries)
      if (frozen.model.backboneNames.has(e.name))
        expect([...frozen.params.subarray(e.offset, e.offset + e.size)]).toEqual([
          ...backbone.get(e.name)!,
        ]);
    backbone.set('block1.fc1.w', new Float32Array(3));
    await expect(finetune(BASE, landmarkData(), { backbone })).rejects.toThrow(/block1\.fc1\.w/);
  });
});

describe('cached backbone tokens', () => {
  const FROZEN = { ...BASE, trainableBlocks: 0, epochs: 2, valFraction: 0 } as const;

  it(
    'give the same loss as the full forward pass, and train the head only',
    { timeout: 60_000 },
    async () => {
      const firstLoss = async (cache: boolean): Promise<number> => {
        let loss = NaN;
        await finetune({ ...FROZEN, cacheBackboneTokens: cache, maxSteps: 1 }, landmarkData(), {
          onProgress: (p) => {
            if (p.kind === 'step') loss = p.loss;
          },
        });
        return loss;
      };
      expect(await firstLoss(true)).toBeCloseTo(await firstLoss(false), 5);
      const before = tf.memory().numTensors;
      const result = await finetune(
        { ...FROZEN, cacheBackboneTokens: true, augment: { ...NO_AUGMENT, flip: 0.5 } },
        landmarkData(),
      );
      expect(tf.memory().numTensors).toBe(before); // the cache is disposed with the run
      expect(result.step).toBe(2 * 6);
    },
  );

  it('are refused with a trainable backbone or geometric augmentation', async () => {
    await expect(
      finetune(
        {
          ...BASE,
          cacheBackboneTokens: true,
          trainableBlocks: 0,
          augment: { ...NO_AUGMENT, rotation: 10 },
        },
        landmarkData(),
      ),
    ).rejects.toThrow(/flip-only/);
    await expect(
      finetune({ ...BASE, cacheBackboneTokens: true, trainableBlocks: null }, landmarkData()),
    ).rejects.toThrow(/trainableBlocks: 0/);
  });
});

describe('fine-tuning the class heads', () => {
  it('expression: separates bright from dark faces', { timeout: 60_000 }, async () => {
    const n = 32;
    const classes = Int32Array.from({ length: n }, (_, i) => i % 2);
    const images = tf.tidy(() =>
      tf.mul(
        tf.randomUniform([n, 16, 16, 3], 0, 0.5, 'float32', 9),
        tf.tensor4d(
          Float32Array.from(classes, (c) => 1 + c),
          [n, 1, 1, 1],
        ),
      ),
    ) as tf.Tensor4D;
    const result = await finetune(
      {
        ...BASE,
        task: 'expression',
        epochs: 6,
        valFraction: 0.25,
        augment: { ...NO_AUGMENT, flip: 0.5 },
      },
      { task: 'expression', classes: 2, train: tensorSplit(images, classes) },
    );
    images.dispose();
    const best = result.history.find((h) => h.epoch === result.bestEpoch)!.metrics;
    if (best.task !== 'expression') throw new Error('wrong task');
    expect(best.accuracy).toBeGreaterThanOrEqual(0.875); // 7 of 8 held-out faces
    expect(best.recall).toHaveLength(2);
  });

  it(
    'attributes: a dot on the left vs the right, with unlabelled entries',
    { timeout: 60_000 },
    async () => {
      const n = 32;
      const truth = new Float32Array(n * 2);
      const pixels = new Float32Array(n * 16 * 16 * 3).fill(0.1);
      for (let i = 0; i < n; i++) {
        const left = i % 2 === 0;
        truth[2 * i] = left ? 1 : 0;
        truth[2 * i + 1] = i % 5 === 0 ? NaN : left ? 0 : 1; // attribute 1 = "right", partly unknown
        const x = left ? 2 : 12;
        pixels.fill(1, ((i * 16 + 7) * 16 + x) * 3, ((i * 16 + 7) * 16 + x + 2) * 3);
      }
      const images = tf.tensor4d(pixels, [n, 16, 16, 3]);
      const result = await finetune(
        { ...BASE, task: 'attributes', epochs: 20, valFraction: 0.25 },
        { task: 'attributes', attributes: 2, train: tensorSplit(images, truth) },
      );
      images.dispose();
      const best = result.history.find((h) => h.epoch === result.bestEpoch)!.metrics;
      if (best.task !== 'attributes') throw new Error('wrong task');
      expect(best.meanAccuracy).toBeGreaterThanOrEqual(0.875);
    },
  );
});
