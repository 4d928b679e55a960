/**
 * Data-parallel gradients: a batch split across two worker threads, each in micro-batches, gives
 * the gradient of the whole batch's mean loss — the same as one full batch in this thread.
 *
 * Augmentation draws from a seed that differs per worker and per micro-batch, so the images are
 * chosen to make every view independent of the draw: each image is one flat grey, and colour
 * jitter and solarisation are off. Crops, flips, blur and greyscale leave a flat grey image as it
 * is, so both ways see the same views and only the splitting and averaging is compared.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelLayout } from '../../../src-main/engine/pretrain/pretrain-model';
import {
  InProcessEngine,
  WorkerPoolEngine,
} from '../../../src-main/engine/parallel/gradient-engine';
import type { StepOutput } from '../../../src-main/engine/parallel/gradient-engine';
import { initParams } from '../../../src-main/engine/model/params';
import { augmentConfigOf, modelConfigOf } from '../../../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';
import { Rng } from '../../../src-main/engine/model/rng';
import { TINY_TEST_CONFIG, useWasm } from '../helpers';

/** 7 images: the two workers take 4 and 3, in micro-batches of 3 (3 + 1, and 3). */
const BATCH = 7;

let images: tf.Tensor4D;
beforeAll(async () => {
  await useWasm();
  images = tf.tidy(() =>
    tf.stack(Array.from({ length: BATCH }, (_, i) => tf.fill([24, 24, 3], 0.15 + 0.1 * i))),
  ) as tf.Tensor4D;
});
afterAll(() => {
  images.dispose();
});

function setUp() {
  const config = parsePretrainConfig({ ...TINY_TEST_CONFIG, colourJitter: 0, solarize: 0 });
  const model = modelConfigOf(config);
  const layout = modelLayout(model);
  const augment = augmentConfigOf(config, model);
  const shared = () => new Float32Array(new SharedArrayBuffer(layout.total * 4));
  const student = shared();
  initParams(layout, new Rng(3), student);
  const teacher = shared();
  // A teacher a little off the student, as after some steps, so the loss is not at a fixed point.
  initParams(layout, new Rng(4), teacher);
  for (let i = 0; i < teacher.length; i++) teacher[i] = 0.9 * student[i]! + 0.1 * teacher[i]!;
  const center = Float32Array.from({ length: model.head.prototypes }, (_, i) => 0.01 * (i % 5));
  return { model, layout, augment, student, teacher, center };
}

const SETTINGS = { teacherTemperature: 0.04, studentTemperature: 0.1, koleoWeight: 0 };

function copyOf(out: StepOutput): StepOutput {
  return { ...out, grads: out.grads.slice(), teacherSum: out.teacherSum.slice() };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('the gradient engines', () => {
  it(
    'give the same gradients from two workers with micro-batches as from one full batch',
    { timeout: 120_000 },
    async () => {
      const { model, layout, augment, student, teacher, center } = setUp();
      const single = new InProcessEngine(model, layout, augment, student, teacher, 0);
      const whole = copyOf(await single.step(images, 11, center, SETTINGS));
      await single.dispose();

      const pool = await WorkerPoolEngine.start(
        2,
        model,
        layout,
        augment,
        student,
        teacher,
        'wasm',
        3,
      );
      let split: StepOutput;
      try {
        split = copyOf(await pool.step(images, 11, center, SETTINGS));
      } finally {
        await pool.dispose();
      }

      // Within 1e-5 of the largest gradient (float32 sums in another order differ by a few
      // ulps; the largest here is in the thousands, from the sharp teacher temperature).
      const largest = whole.grads.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
      expect(largest).toBeGreaterThan(1);
      expect(maxAbsDiff(split.grads, whole.grads)).toBeLessThan(1e-5 * largest);
      expect(split.loss).toBeCloseTo(whole.loss, 5);
      expect(split.teacherEntropy).toBeCloseTo(whole.teacherEntropy, 5);
      expect(maxAbsDiff(split.teacherSum, whole.teacherSum)).toBeLessThan(1e-4);
      expect(split.teacherRows).toBe(2 * BATCH);
      expect(split.images).toBe(BATCH);
    },
  );
});
