/**
 * The webgpu backend computes what wasm computes: one pre-training step (augmented views,
 * teacher and student, DINO loss and its gradients) and one fine-tuning step (ViT backbone and
 * landmark head, loss and gradients) at tiny sizes, on WebGPU through Dawn against wasm; and a
 * backbone-head fit and prediction (FaceMesh's taps on a few real HELEN faces, the closed-form
 * landmark head, the sharpness the quality notes read), which reads every tensor asynchronously:
 * a synchronous read left on that path fails here, as it would on a real GPU in Node.
 *
 * No GPU here or in CI: the adapter is SwiftShader, the Vulkan CPU emulation that Debian's
 * chromium package ships (`/usr/lib/chromium/vk_swiftshader_icd.json`), with Debian's Vulkan
 * loader `libvulkan1` (.ci/run installs both). It is slow, but it runs the same WGSL shaders a
 * real GPU runs, so a wrong kernel or a missing op shows here. Tolerance: float32 sums taken in
 * another order differ by a few ulps of the largest value, so 1e-5 of the largest gradient
 * (measured: 7e-7 pre-training, 2e-6 fine-tuning). The landmark head's points and σ agree
 * within 1e-4 crop units (a ten-thousandth of the crop's side), with the same penalty.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src-main/engine/backend';
import { parseFinetuneConfig } from '../../src-main/engine/finetune/finetune-config';
import { tensorSplit } from '../../src-main/engine/finetune/finetune-data';
import {
  backboneTokens,
  buildFinetuneModel,
  headLoss,
} from '../../src-main/engine/finetune/finetune-model';
import { createVariables, flattenGrads, initParams } from '../../src-main/engine/model/params';
import { Rng } from '../../src-main/engine/model/rng';
import { judgeFaces } from '../../src-main/engine/attributes/face-quality';
import { loadFaceMesh } from '../../src-main/engine/backbones/facemesh';
import {
  fitLandmarkRidge,
  predictLandmarkRidge,
} from '../../src-main/engine/landmarks/landmark-ridge-head';
import { flipIndexOf } from '../../src-main/engine/landmarks/schema-flip';
import { builtinLandmarkSchema } from '../../src-main/core/schemas/builtin';
import { loadHelenCrops } from '../support/helen-crops';
import { helenThroughMesh } from './landmarks/helen-mesh';
import { matMulTransposedB } from '../../src-main/engine/model/mat-mul-transposed';
import { InProcessEngine } from '../../src-main/engine/parallel/gradient-engine';
import { augmentConfigOf, modelConfigOf } from '../../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../../src-main/engine/pretrain/pretrain-config';
import { modelLayout } from '../../src-main/engine/pretrain/pretrain-model';
import type { LandmarkSchema } from '../../src-main/shared/schemas';
import { TINY_TEST_CONFIG } from '../support/engine-helpers';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface StepFigures {
  loss: number;
  grads: Float32Array;
}

/** Same seeds, same images: only the backend differs between two calls. */
type Step<T> = () => Promise<T>;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function largest(values: Float32Array): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** The step on wasm, then on webgpu; each result computed under its backend. */
async function onBothBackends<T = StepFigures>(step: Step<T>): Promise<{ wasm: T; webgpu: T }> {
  await chooseBackend({ force: 'wasm' });
  const wasm = await step();
  const report = await chooseBackend({ force: 'webgpu' });
  expect(report.name).toBe('webgpu');
  expect(tf.getBackend()).toBe('webgpu');
  const webgpu = await step();
  await chooseBackend({ force: 'wasm' });
  return { wasm, webgpu };
}

beforeAll(async () => {
  // The CI machine's only Vulkan driver; a desktop's own GPU driver is found without this.
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= await mkdtemp(path.join(tmpdir(), 'xdg-'));
  const report = await chooseBackend({ force: 'webgpu' });
  // Says which adapter ran; a test machine without SwiftShader fails here with the reason.
  expect(report.device).toMatch(/\S/);
});

describe('webgpu against wasm', () => {
  it('one pre-training step: the same loss and gradients', { timeout: 300_000 }, async () => {
    const config = parsePretrainConfig({ ...TINY_TEST_CONFIG });
    const model = modelConfigOf(config);
    const layout = modelLayout(model);
    const augment = augmentConfigOf(config, model);
    const student = initParams(layout, new Rng(3));
    const teacher = initParams(layout, new Rng(4));
    for (let i = 0; i < teacher.length; i++) teacher[i] = 0.9 * student[i]! + 0.1 * teacher[i]!;
    const center = Float32Array.from({ length: model.head.prototypes }, (_, i) => 0.01 * (i % 5));
    const pixels = new Float32Array(4 * 24 * 24 * 3);
    const rng = new Rng(9);
    for (let i = 0; i < pixels.length; i++) pixels[i] = rng.next();
    const settings = { teacherTemperature: 0.04, studentTemperature: 0.1, koleoWeight: 0.1 };

    const { wasm, webgpu } = await onBothBackends(async () => {
      const images = tf.tensor4d(pixels, [4, 24, 24, 3]);
      const engine = new InProcessEngine(model, layout, augment, student, teacher, 0);
      const out = await engine.step(images, 11, center, settings);
      const figures = { loss: out.loss, grads: out.grads.slice() };
      await engine.dispose();
      images.dispose();
      return figures;
    });
    expect(Number.isFinite(wasm.loss)).toBe(true);
    expect(largest(wasm.grads)).toBeGreaterThan(0.01);
    expect(webgpu.loss).toBeCloseTo(wasm.loss, 4);
    expect(maxAbsDiff(webgpu.grads, wasm.grads)).toBeLessThan(1e-5 * largest(wasm.grads));
  });

  it('one fine-tuning step: the same loss and gradients', { timeout: 300_000 }, async () => {
    const schema: LandmarkSchema = {
      id: 'three-dots',
      name: 'three dots',
      points: ['left', 'right', 'middle'],
      groups: [],
      edges: [],
      mirror: [[0, 1]],
      normaliser: [0, 1],
      template: [
        [0.2, 0.5],
        [0.8, 0.5],
        [0.5, 0.6],
      ],
    };
    const config = parseFinetuneConfig({
      task: 'landmarks',
      model: { preset: 'tiny', imageSize: 16, patchSize: 8, dim: 16, depth: 2, heads: 2 },
      batchSize: 4,
      landmarkHead: { channels: [16, 8], heatmapLossWeight: 0.5 },
      seed: 2,
    });
    const rng = new Rng(5);
    const pixels = Float32Array.from({ length: 4 * 16 * 16 * 3 }, () => rng.next());
    const points = Float32Array.from({ length: 4 * 6 }, () => 0.2 + 0.6 * rng.next());

    const { wasm, webgpu } = await onBothBackends(async () => {
      const images = tf.tensor4d(pixels, [4, 16, 16, 3]);
      const model = buildFinetuneModel(config, {
        task: 'landmarks',
        schema,
        train: tensorSplit(images, points),
      });
      const vars = createVariables(model.layout, initParams(model.layout, new Rng(7)), 'parity');
      const { value, grads: g } = tf.variableGrads(() =>
        headLoss(model, config, vars, backboneTokens(model, vars, images), 4, points),
      );
      const byName: Record<string, tf.Tensor> = {};
      for (const [name, v] of vars) byName[name] = g[v.name]!;
      const grads = new Float32Array(model.layout.total);
      await flattenGrads(model.layout, byName, grads);
      const loss = (await value.data())[0]!;
      tf.dispose([value, g, images, ...vars.values()]);
      return { loss, grads };
    });
    expect(Number.isFinite(wasm.loss)).toBe(true);
    expect(largest(wasm.grads)).toBeGreaterThan(0.01);
    expect(webgpu.loss).toBeCloseTo(wasm.loss, 4);
    expect(maxAbsDiff(webgpu.grads, wasm.grads)).toBeLessThan(1e-5 * largest(wasm.grads));
  });

  it(
    'a FaceMesh landmark head on 8 HELEN faces: fit and predict, the same points',
    { timeout: 600_000 },
    async () => {
      const schema = builtinLandmarkSchema('ibug68');
      const flip = flipIndexOf(68, schema.mirror);
      const { wasm, webgpu } = await onBothBackends(async () => {
        // The gram of 16 rows of 3000 features: webgpu's split-K path (mat-mul-transposed.ts).
        const rows = tf.tensor2d(
          Float32Array.from({ length: 16 * 3000 }, (_, i) => Math.sin(i)),
          [16, 3000],
        );
        const product = matMulTransposedB(rows, rows);
        const gram = (await product.data()) as Float32Array;
        tf.dispose([rows, product]);
        const mesh = await loadFaceMesh();
        try {
          const train = await helenThroughMesh(mesh, 'train', 8);
          const test = await helenThroughMesh(mesh, 'test', 2);
          const model = await fitLandmarkRidge(train.faces, train.mirrored, train.points, flip);
          const { shapes, sigma } = await predictLandmarkRidge(model, test.faces, test.mirrored);
          const crops = await loadHelenCrops('test', 2, mesh.inputSize, 1.6);
          const quality = await judgeFaces(crops.images, [200, 200]);
          crops.images.dispose();
          return {
            gram,
            lambda: model.global.lambda,
            shapes,
            sigma,
            sharpness: quality.map((q) => q.sharpness),
            truth: test.points,
          };
        } finally {
          mesh.dispose();
        }
      });
      const gap = (a: ArrayLike<number>, b: ArrayLike<number>) =>
        Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      // The wasm head is a real one: near the true points (a broken fit lands far off).
      let error = 0;
      for (let i = 0; i < wasm.shapes.length; i++)
        error = Math.max(error, Math.abs(wasm.shapes[i]! - wasm.truth[i]!));
      expect(error).toBeLessThan(0.2);
      expect(gap(webgpu.gram, wasm.gram)).toBeLessThan(1e-5 * Math.max(...wasm.gram));
      expect(webgpu.lambda).toBe(wasm.lambda);
      console.log(
        `landmark head webgpu vs wasm: points ${gap(webgpu.shapes, wasm.shapes).toExponential(1)}, ` +
          `σ ${gap(webgpu.sigma, wasm.sigma).toExponential(1)}, ` +
          `sharpness ${gap(webgpu.sharpness, wasm.sharpness).toExponential(1)}`,
      );
      expect(gap(webgpu.shapes, wasm.shapes)).toBeLessThan(1e-4);
      expect(gap(webgpu.sigma, wasm.sigma)).toBeLessThan(1e-4);
      expect(gap(webgpu.sharpness, wasm.sharpness)).toBeLessThan(
        1e-4 * Math.max(...wasm.sharpness),
      );
    },
  );
});
