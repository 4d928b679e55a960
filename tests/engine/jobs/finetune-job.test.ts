/**
 * The fine-tuning job end to end on a tiny real project (HELEN faces, 68 points) with a very small
 * model: the run folder, validation lines with sample faces, the exported model and card, pause,
 * cancel and an exact resume. A bad config fails where it enters (run-config.test.ts).
 */
import { access, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { readLabelledFaces } from '../../../src-main/app/training/finetune-faces';
import { exportBackbone, readBackboneShape } from '../../../src-main/engine/export/saved-backbone';
import { readFinetuneCheckpoint } from '../../../src-main/engine/finetune/finetune-checkpoint';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import {
  flatMetrics,
  runFinetuneJob,
  type FinetuneJobSpec,
} from '../../../src-main/engine/jobs/finetune-job';
import { resolveFinetuneConfig } from '../../../src-main/engine/jobs/run-config';
import { mean, nmeOfFace } from '../../../src-main/engine/metrics/landmark-metrics';
import { layoutOf } from '../../../src-main/engine/model/params';
import { vitParamSpecs, type VitConfig } from '../../../src-main/engine/model/vit';
import { ModelCard } from '../../../src-main/shared/model-card';
import { toCrop } from '../../../src-main/engine/data/face-crop';
import {
  labelledFaceCropBox,
  type LabelledFace,
} from '../../../src-main/engine/data/labelled-faces';
import {
  JobProgress,
  JobValidation,
  type JobEvent,
} from '../../../src-main/shared/worker-protocol';
import { createLabelledProject, type LabelledProjectImage } from '../data/labelled-project';
import { useWasm } from '../../support/engine-helpers';

const VIT: VitConfig = { imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, mlpRatio: 2 };
/** 8 train faces, batch 4: 2 steps an epoch, 6 in all; 2 validation and 2 test faces. */
const CONFIG = {
  task: 'landmarks',
  batchSize: 4,
  epochs: 3,
  warmupEpochs: 1,
  evalBatchSize: 8,
  landmarkHead: { channels: [8, 8] },
  seed: 1,
};
const WITH_MODEL = { ...CONFIG, model: { preset: 'tiny', ...VIT } };

let root: string;
let projectDir: string;
let images: LabelledProjectImage[];
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-ft-job-'));
  projectDir = path.join(root, 'project');
  images = await createLabelledProject(projectDir, { train: 8, val: 2, test: 2 });
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface SpecExtra {
  /** A config as a caller writes it: parsed here as where it enters would (run-config.ts). */
  config?: Record<string, unknown>;
  resume?: true;
  backboneDir?: string;
  faces?: FinetuneJobSpec['faces'];
}

function spec(id: string, extra: SpecExtra = {}): FinetuneJobSpec {
  const { config = WITH_MODEL, resume, ...rest } = extra;
  return {
    jobId: id,
    runDir: path.join(projectDir, 'runs', id),
    modelsDir: path.join(projectDir, 'models'),
    faces: (task, options) => readLabelledFaces(projectDir, task, options),
    ...rest,
    ...(resume ? { resume, config } : { config: parseFinetuneConfig(config) }),
  };
}

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
const readLines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('fine-tuning job', { timeout: 120_000 }, () => {
  it('trains from a backbone, logs progress and validations with samples, and exports a model with its card', async () => {
    // A backbone to start from; the config names no model, so where it enters it takes the
    // backbone's (run-config.ts), and the job trains that shape from the backbone's weights.
    const backboneDir = path.join(projectDir, 'models', 'bb');
    const weights = new Float32Array(layoutOf(vitParamSpecs(VIT)).total).map(
      (_, i, a) => ((i * 7919) % a.length) / a.length - 0.5,
    );
    await exportBackbone(
      backboneDir,
      VIT,
      weights.map((v) => v * 0.1),
      {
        id: 'bb',
        preset: 'tiny',
        runId: null,
        config: {},
        data: { project: null, train: 0, val: 0, test: 0 },
      },
    );
    const events: JobEvent[] = [];
    const resolved = resolveFinetuneConfig(CONFIG, await readBackboneShape(backboneDir));
    const outcome = await runFinetuneJob(spec('run-a', { config: resolved, backboneDir }), {
      emit: (e) => events.push(e),
    });
    if (outcome.type !== 'done') throw new Error(JSON.stringify(outcome));
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('started'), count('progress'), count('validation'), count('checkpoint')]).toEqual(
      [1, 6, 3, 3],
    );
    expect(events.at(-1)).toBe(outcome);

    const runDir = path.join(projectDir, 'runs', 'run-a');
    expect((await readdir(runDir)).sort()).toEqual([
      'checkpoints',
      'config.json',
      'metrics.jsonl',
      'run.json',
      'validation.jsonl',
    ]);
    const config = await readJson(path.join(runDir, 'config.json'));
    expect(config.model).toMatchObject({ dim: 32, depth: 1, imageSize: 32 });
    expect(config.$comments['augment.rotation']).toMatch(/Rotation range/);
    const progress = (await readLines(path.join(runDir, 'metrics.jsonl'))).map((l) =>
      JobProgress.parse(l),
    );
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress[0]).toMatchObject({ totalSteps: 6, momentum: null, teacherEntropy: null });

    const validations = (await readLines(path.join(runDir, 'validation.jsonl'))).map((l) =>
      JobValidation.parse(l),
    );
    expect(validations.map((v) => v.step)).toEqual([2, 4, 6]);
    expect(validations[0]).toMatchObject({ monitored: 'nme', lowerIsBetter: true });
    // Both val faces are the samples, so each line's NME is their mean NME, computed here from
    // the logged points (in image pixels: NME is a ratio, the crop's scale drops out).
    for (const v of validations) {
      const perFace = v.samples.map((s) =>
        nmeOfFace(s.points!.flat(), s.truth!.flat(), builtinLandmarkSchema('ibug68').normaliser),
      );
      expect(v.metrics.nme).toBeCloseTo(mean(perFace), 4);
    }
    // The two val faces, the same each time, in image pixels, with their labelled points.
    const samples = validations.map((v) => v.samples.map((s) => s.imageId));
    expect(samples).toEqual(Array(3).fill([images[8]!.id, images[9]!.id]));
    const sample = validations[2]!.samples[0]!;
    expect(sample.points).toHaveLength(68);
    const set = await readLabelledFaces(projectDir, 'landmarks');
    const truth = set.faces.find((f) => f.imageId === sample.imageId)!.points;
    expect(sample.truth).toEqual(truth.map((p) => [p.x, p.y]));
    // Predictions land near the face: within its box grown by half.
    const xs = truth.map((p) => p.x);
    const side = Math.max(...xs) - Math.min(...xs);
    for (const [x] of sample.points!) {
      expect(x).toBeGreaterThan(Math.min(...xs) - side);
      expect(x).toBeLessThan(Math.max(...xs) + side);
    }

    expect(outcome.modelDir).toBe(path.join(projectDir, 'models', 'run-a'));
    const card = ModelCard.parse(await readJson(path.join(outcome.modelDir!, 'card.json')));
    expect(card).toMatchObject({
      id: 'run-a',
      task: 'landmarks',
      runId: 'run-a',
      input: { size: 32 },
      crop: { from: 'face-box', margin: 0.25, landmarksToFaceBox: 1 },
      data: { project: 'helen', train: 8, val: 2, test: 2 },
      backbone: { pretrainedFrom: 'bb' },
    });
    expect(card.schema!.points).toHaveLength(68);
    // The mean shape of the 8 training faces in crop coordinates, placed in each test crop.
    const faces = (await readLabelledFaces(projectDir, 'landmarks')).faces;
    const inCrop = (face: LabelledFace) =>
      toCrop(face.points, labelledFaceCropBox(face, card.crop)).flatMap((p) => [p.x, p.y]);
    const trainShapes = faces.filter((f) => f.split === 'train').map(inCrop);
    const meanShape = trainShapes[0]!.map(
      (_, j) => trainShapes.reduce((sum, shape) => sum + shape[j]!, 0) / trainShapes.length,
    );
    const baselineNme = mean(
      faces
        .filter((f) => f.split === 'test')
        .map((f) => nmeOfFace(meanShape, inCrop(f), card.schema!.normaliser)),
    );
    expect(card.metrics).toHaveLength(1);
    const [measured] = card.metrics;
    expect(measured).toMatchObject({
      data: 'test split of project "helen"',
      faces: 2,
      values: outcome.result.metrics,
      baseline: { rule: 'mean-shape', fittedOn: 8 },
    });
    expect(measured!.baseline!.values.nme).toBeCloseTo(baselineNme, 5);
    expect(Object.keys(measured!.baseline!.values).sort()).toEqual(['auc', 'failureRate', 'nme']);
    expect(measured!.verdict).toBe(
      measured!.values.nme! < measured!.baseline!.values.nme! ? 'better' : 'no-better',
    );
    // The project names no subjects: no subject counts.
    expect(measured!.subjects).toBeUndefined();
    expect(Object.keys(outcome.result.metrics!).sort()).toEqual(['auc', 'failureRate', 'nme']);
    expect(outcome.result.ced!.fractions).toHaveLength(outcome.result.ced!.thresholds.length);

    const run = await readJson(path.join(runDir, 'run.json'));
    expect(run).toMatchObject({
      id: 'run-a',
      kind: 'finetune',
      task: 'landmarks',
      status: 'done',
      step: 6,
      totalSteps: 6,
      backboneId: 'bb',
      modelId: 'run-a',
      metrics: outcome.result.metrics,
      ced: outcome.result.ced,
    });
  });

  it('records a pause, and resumes a cancelled run at its step to the same weights as a straight run', async () => {
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const straight = runFinetuneJob(spec('straight'), {
      emit: () => undefined,
      beforeStep: async (step) => {
        if (step !== 2) return;
        holding();
        await gate;
      },
    });
    await held;
    const runFile = path.join(projectDir, 'runs', 'straight', 'run.json');
    for (let i = 0; i < 100 && (await readJson(runFile)).status !== 'paused'; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await readJson(runFile)).toMatchObject({ status: 'paused', step: 2 });
    release();
    const done = await straight;
    if (done.type !== 'done') throw new Error(JSON.stringify(done));

    const controller = new AbortController();
    const first: JobEvent[] = [];
    const cancelled = await runFinetuneJob(spec('resumed'), {
      signal: controller.signal,
      emit: (e) => {
        first.push(e);
        if (e.type === 'progress' && e.progress.step === 3) controller.abort();
      },
    });
    expect(cancelled.type).toBe('cancelled');
    const runDir = path.join(projectDir, 'runs', 'resumed');
    const file = path.join(runDir, 'checkpoints', 'latest.ckpt');
    expect(cancelled).toMatchObject({ lastCheckpoint: file });
    expect((await readFinetuneCheckpoint(file)).step).toBe(3);
    expect(await readJson(path.join(runDir, 'run.json'))).toMatchObject({
      status: 'cancelled',
      step: 3,
    });
    await expect(access(path.join(projectDir, 'models', 'resumed'))).rejects.toThrow();

    const second: JobEvent[] = [];
    const resumed = await runFinetuneJob(spec('resumed', { config: {}, resume: true }), {
      emit: (e) => second.push(e),
    });
    if (resumed.type !== 'done') throw new Error(JSON.stringify(resumed));
    const steps = second.flatMap((e) => (e.type === 'progress' ? [e.progress.step] : []));
    expect(steps).toEqual([4, 5, 6]);
    expect(resumed.result.checksum).toBe(done.result.checksum);
    const logged = (await readLines(path.join(runDir, 'metrics.jsonl'))).map((l) => l.step);
    expect(logged).toEqual([1, 2, 3, 4, 5, 6]);
    const validated = (await readLines(path.join(runDir, 'validation.jsonl'))).map((l) => l.step);
    expect(validated).toEqual([2, 4, 6]);
  });

  it('trains binary attributes on the faces labelled for them, with scores as samples', async () => {
    // The fixture labels attributes on every other face: 4 train, 1 val, 1 test.
    const outcome = await runFinetuneJob(
      spec('attrs', { config: { ...WITH_MODEL, task: 'attributes', epochs: 2 } }),
      { emit: () => undefined },
    );
    if (outcome.type !== 'done') throw new Error(JSON.stringify(outcome));
    const runDir = path.join(projectDir, 'runs', 'attrs');
    const validations = (await readLines(path.join(runDir, 'validation.jsonl'))).map((l) =>
      JobValidation.parse(l),
    );
    expect(validations).toHaveLength(2);
    expect(validations[0]).toMatchObject({ monitored: 'meanAccuracy', lowerIsBetter: false });
    const sample = validations[0]!.samples[0]!;
    expect(sample.imageId).toBe(images[8]!.id);
    expect(Object.keys(sample.scores!)).toEqual(['Male', 'Smiling', 'Eyeglasses']);
    expect(Object.values(sample.scores!).every((p) => p > 0 && p < 1)).toBe(true);
    const card = ModelCard.parse(await readJson(path.join(outcome.modelDir!, 'card.json')));
    expect(card).toMatchObject({
      task: 'attributes',
      attributes: ['Male', 'Smiling', 'Eyeglasses'],
      schema: null,
      data: { train: 4, val: 1, test: 1 },
    });
    // Face 10 (test) is labelled Male only: no accuracy for the others, so none reported.
    expect(Object.keys(outcome.result.metrics!).sort()).toEqual(['accuracy.Male', 'meanAccuracy']);
    // The baseline answers each attribute's majority among the 4 training faces: Male is a tie
    // (faces 0 and 4 male, 2 and 6 not), so "no"; face 10 is not male, so the rule is right.
    const baseline = card.metrics[0]!.baseline!;
    expect(baseline).toEqual({
      rule: 'majority-value',
      fittedOn: 4,
      values: { 'accuracy.Male': 1, meanAccuracy: 1 },
    });
  });

  it('names per-class values, drops NaN, and spreads samples over a split', () => {
    expect(
      flatMetrics({ task: 'expression', accuracy: 0.5, recall: [1, NaN], confusion: [] }, [
        'happy',
        'sad',
      ]),
    ).toEqual({ accuracy: 0.5, 'recall.happy': 1 });
  });

  it("reads the faces with the config's includeUnconfirmed, saved in the run's config", async () => {
    const asked: unknown[] = [];
    const stop = (id: string, config: Record<string, unknown>) =>
      runFinetuneJob(
        spec(id, {
          config,
          faces: async (_task, options) => {
            asked.push(options);
            throw new Error('enough: the faces were asked for');
          },
        }),
        { emit: () => undefined },
      );
    expect(await stop('confirmed-only', WITH_MODEL)).toMatchObject({ type: 'failed' });
    expect(
      await stop('with-unconfirmed', { ...WITH_MODEL, includeUnconfirmed: true }),
    ).toMatchObject({ type: 'failed' });
    expect(asked).toEqual([{ includeUnconfirmed: false }, { includeUnconfirmed: true }]);
    const saved = await readJson(path.join(projectDir, 'runs', 'with-unconfirmed', 'config.json'));
    expect(saved).toMatchObject({ includeUnconfirmed: true });
  });
});
