/**
 * The cluster recipe's train.py computes the engine's step: one step of the studio's engine
 * (engine/pretrain/pretrain-step.ts Replica, on real faces and seeded views) written to disk,
 * recomputed by `train.py step-check` from the same weights, centre and views — the loss and every
 * one of the student's gradients (ViT and head, through train.py's name mapping) agree within
 * 1e-4 relative. Fails (never skips) without python3-torch.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPretrainSources } from '../../../src-main/app/training/pretrain-sources';
import { ProjectFacesData } from '../../../src-main/engine/data/project-faces';
import { initParams } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { makeViews } from '../../../src-main/engine/pretrain/augment';
import { augmentConfigOf, modelConfigOf } from '../../../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';
import { modelLayout } from '../../../src-main/engine/pretrain/pretrain-model';
import { Replica } from '../../../src-main/engine/pretrain/pretrain-step';
import { recipeScriptPath } from '../../../src-main/engine/torch/torch-recipe';
import { useWasm } from '../../support/engine-helpers';
import { pythonWithTorch, TINY_TORCH_RUN } from '../../support/python-torch';
import { createTinyProject } from '../../support/tiny-project';

const CONFIG = TINY_TORCH_RUN;
const AUG_SEED = 5;

let work: string;
beforeAll(async () => {
  await useWasm();
  work = await mkdtemp(path.join(os.tmpdir(), 'train-step-'));
  await createTinyProject(path.join(work, 'project'), 4);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('train.py step-check', () => {
  it('recomputes the engine step: the same loss and gradients', { timeout: 300_000 }, async () => {
    const py = await pythonWithTorch();
    const config = parsePretrainConfig(CONFIG);
    const model = modelConfigOf(config);
    const layout = modelLayout(model);
    const augment = augmentConfigOf(config, model);
    const sources = await readPretrainSources(path.join(work, 'project'));
    const images = await new ProjectFacesData(sources, model.vit.imageSize).batch([0, 1, 2, 3]);
    // Two different inits, so the teacher's targets are not the student's own.
    const student = initParams(layout, new Rng(11));
    const teacher = initParams(layout, new Rng(12));
    const center = Float32Array.from(
      { length: model.head.prototypes },
      (_, i) => 0.01 * Math.sin(i),
    );
    const settings = { teacherTemperature: 0.05, studentTemperature: 0.1, koleoWeight: 0 };
    // The views computeGradients draws: the same function on the same seed.
    const [globals, locals] = tf.tidy(() => {
      const v = makeViews(images, new Rng(AUG_SEED), augment);
      return [v.globals.dataSync() as Float32Array, v.locals!.dataSync() as Float32Array];
    });
    const grads = new Float32Array(layout.total);
    const replica = new Replica(model, layout, augment, student, teacher);
    const result = await replica.computeGradients(images, AUG_SEED, center, settings, grads);
    images.dispose();

    const dir = path.join(work, 'step');
    await mkdir(dir);
    const files: Record<string, Float32Array> = {
      student,
      teacher,
      center,
      grads,
      globals,
      locals,
    };
    for (const [name, values] of Object.entries(files))
      await writeFile(
        path.join(dir, `${name}.f32`),
        new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      );
    await writeFile(
      path.join(dir, 'step.json'),
      JSON.stringify({
        model,
        loss: result.loss,
        ...settings,
        globalSize: augment.globalSize,
        localSize: augment.localSize,
        localCrops: augment.localCrops,
        entries: layout.entries.map((e) => ({ name: e.name, shape: e.shape, offset: e.offset })),
      }),
    );

    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        py,
        [recipeScriptPath(), 'step-check', dir],
        { env: { ...process.env, OMP_NUM_THREADS: '1' } },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
      ),
    );
    expect(out.code, out.stderr + out.stdout).toBe(0);
    const report = JSON.parse(out.stdout) as {
      loss: number;
      engineLoss: number;
      tensors: number;
      worstRelative: number;
    };
    expect(report.tensors).toBe(layout.entries.length); // every tensor, the head's included
    expect(Math.abs(report.loss - result.loss) / result.loss).toBeLessThan(1e-5);
    expect(report.worstRelative).toBeLessThanOrEqual(1e-4);
    // Not a trivial agreement: the engine's gradients are not all zero.
    expect(Math.max(...grads.map(Math.abs))).toBeGreaterThan(1e-4);
  });
});
