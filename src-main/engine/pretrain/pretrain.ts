/**
 * Self-supervised pre-training (docs/ARCHITECTURE.md, "Training recipe"): `pretrain(config, data, {
 * onProgress, signal })`. The worker, the CLI and the tests call this one function. Read top to
 * bottom: set up, then per step — schedules, gradients, AdamW, EMA, centre, progress, checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { adamwStep, createAdamWState, ADAMW_DEFAULTS } from '../optim/adamw';
import type { AugmentConfig } from './augment';
import { readCheckpoint, writeCheckpoint } from './pretrain-checkpoint';
import { emaUpdate } from './ema';
import { updateCenter } from './loss';
import { modelLayout } from './pretrain-model';
import type { ModelConfig } from './pretrain-model';
import { InProcessEngine, WorkerPoolEngine } from '../parallel/gradient-engine';
import type { GradientEngine } from '../parallel/gradient-engine';
import { checksum, initParams } from '../model/params';
import { parsePretrainConfig } from './pretrain-config';
import type { PretrainConfig } from './pretrain-config';
import type { PretrainData } from './pretrain-data';
import { Rng, deriveSeed } from '../model/rng';
import * as schedule from '../optim/schedules';
import { VIT_PRESETS } from '../model/vit';
import { latestCheckpointFile } from '../model/tensor-record';
import { TrainingClock } from '../training-clock';

export interface PretrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  weightDecay: number;
  momentum: number;
  teacherTemperature: number;
  /** Mean entropy (nats) of the teacher's targets; log K = uniform, 0 = one-hot. */
  teacherEntropy: number;
  imagesPerSec: number;
  etaSeconds: number;
  memory: { rssBytes: number; tensors: number; tensorBytes: number };
}

export interface PretrainOptions {
  onProgress?: (p: PretrainProgress) => void;
  signal?: AbortSignal;
  /** A checkpoint file to continue from (same step, weights, optimiser, centre). */
  resumeFrom?: string;
  /**
   * Awaited before each step: a job queue's pause holds the loop here (between steps, so a
   * paused run holds no half-done step). Cancelling while held still ends the run.
   */
  beforeStep?: (step: number) => Promise<void>;
  /** Called after each checkpoint is durable on disk. */
  onCheckpoint?: (step: number, file: string) => void;
}

export interface PretrainResult {
  step: number;
  cancelled: boolean;
  config: PretrainConfig;
  student: Float32Array;
  teacher: Float32Array;
  center: Float32Array;
  /** Checksum of the teacher weights, to compare runs. */
  checksum: string;
  checkpoint: string | null;
}

export function modelConfigOf(c: PretrainConfig): ModelConfig {
  const { preset, ...overrides } = c.model;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    vit: { ...VIT_PRESETS[preset], ...defined },
    head: { hiddenDim: c.headHidden, bottleneckDim: c.headBottleneck, prototypes: c.prototypes },
  };
}

export function augmentConfigOf(c: PretrainConfig, m: ModelConfig): AugmentConfig {
  const p = m.vit.patchSize;
  // Local crops: input·96/224 rounded down to the patch size (24 px for tiny), unless set.
  const localSize = c.localSize || Math.max(p, Math.floor((m.vit.imageSize * 96) / 224 / p) * p);
  if (localSize % p !== 0 || localSize > m.vit.imageSize)
    throw new StudioError(
      'invalid-payload',
      `Invalid pre-training config — localSize: ${localSize} px must be a multiple of the patch size (${p} px) and at most the input size (${m.vit.imageSize} px)`,
    );
  return {
    globalSize: m.vit.imageSize,
    localSize,
    localCrops: c.localCrops,
    globalScale: c.globalScale,
    localScale: c.localScale,
    colourJitter: c.colourJitter,
    solarize: c.solarize,
  };
}

function sharedArray(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

/** Parses `input` (a config as tests and benches write it) and trains: see runPretrain. */
export async function pretrain(
  input: unknown,
  data: PretrainData,
  options: PretrainOptions = {},
): Promise<PretrainResult> {
  return runPretrain(parsePretrainConfig(input), data, options);
}

/** Trains with a config parsed where it entered (engine/jobs/run-config.ts). */
export async function runPretrain(
  parsed: PretrainConfig,
  data: PretrainData,
  options: PretrainOptions = {},
): Promise<PretrainResult> {
  // ---- set-up ----
  let config = parsed;
  const resumed = options.resumeFrom ? await readCheckpoint(options.resumeFrom) : null;
  if (resumed)
    config = {
      ...resumed.config,
      maxSteps: config.maxSteps,
      checkpointDir: config.checkpointDir,
      workers: config.workers,
    };
  const model = modelConfigOf(config);
  const layout = modelLayout(model);
  const augment = augmentConfigOf(config, model);
  if (data.size < config.batchSize) {
    throw new StudioError(
      'invalid-payload',
      `Pre-training needs at least ${config.batchSize} images (one batch); the data has ${data.size}`,
    );
  }
  const stepsPerEpoch = Math.floor(data.size / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const lastStep = config.maxSteps > 0 ? Math.min(totalSteps, config.maxSteps) : totalSteps;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
  const peakLr = (config.lr * config.batchSize) / 256;

  const student = sharedArray(layout.total);
  const teacher = sharedArray(layout.total);
  let center: Float32Array = new Float32Array(model.head.prototypes);
  let adam = createAdamWState(layout);
  let step = 0;
  if (resumed) {
    if (resumed.names.join() !== layout.entries.map((e) => e.name).join()) {
      throw new StudioError(
        'invalid-payload',
        `Checkpoint ${options.resumeFrom} holds a different model`,
      );
    }
    student.set(resumed.student);
    teacher.set(resumed.teacher);
    adam = { steps: resumed.adamSteps, m: resumed.adamM, v: resumed.adamV };
    center = resumed.center;
    step = resumed.step;
  } else {
    initParams(layout, new Rng(deriveSeed(config.seed, 0x1417)), student);
    teacher.set(student); // the teacher starts as a copy of the student
  }

  // Worker threads only for the JS backends: the native addon loads in one thread per process.
  const parallel = config.workers > 1 && ['wasm', 'cpu'].includes(tf.getBackend());
  const engine: GradientEngine = parallel
    ? await WorkerPoolEngine.start(
        config.workers,
        model,
        layout,
        augment,
        student,
        teacher,
        tf.getBackend(),
        config.microBatch,
      )
    : new InProcessEngine(model, layout, augment, student, teacher, config.microBatch);
  const checkpointFile = config.checkpointDir ? latestCheckpointFile(config.checkpointDir) : null;
  // A resumed run's last good checkpoint is the one it resumed from, until it writes another.
  let lastCheckpoint: string | null = options.resumeFrom ?? null;
  let savedStep = -1;
  const save = async (): Promise<void> => {
    if (!checkpointFile) return;
    await writeCheckpoint(checkpointFile, {
      step,
      config,
      rng: { seed: config.seed, step },
      names: layout.entries.map((e) => e.name),
      adamSteps: adam.steps,
      student,
      teacher,
      adamM: adam.m,
      adamV: adam.v,
      center,
    });
    lastCheckpoint = checkpointFile;
    savedStep = step;
    options.onCheckpoint?.(step, checkpointFile);
  };

  // Data order: one seeded permutation per epoch, so resuming at a step needs no saved order.
  const orders = new Map<number, number[]>();
  const indicesFor = (s: number): number[] => {
    const epoch = Math.floor(s / stepsPerEpoch);
    let order = orders.get(epoch);
    if (!order) {
      orders.clear();
      orders.set(
        epoch,
        (order = new Rng(deriveSeed(config.seed, 0xda7a, epoch)).permutation(data.size)),
      );
    }
    const at = (s % stepsPerEpoch) * config.batchSize;
    return order.slice(at, at + config.batchSize);
  };

  // ---- the loop ----
  // Speed and ETA count the time spent training, not the time held paused.
  const clock = new TrainingClock();
  const startStep = step;
  let cancelled = false;
  let next = step < lastStep ? data.batch(indicesFor(step)) : null;
  try {
    while (step < lastStep) {
      const gate = options.beforeStep;
      if (gate) await clock.hold(() => gate(step));
      if (options.signal?.aborted) {
        cancelled = true;
        break;
      }
      const epoch = Math.floor(step / stepsPerEpoch);
      const lr = schedule.learningRate(step, totalSteps, warmupSteps, peakLr, config.minLr);
      const wd = schedule.weightDecay(step, totalSteps, config.weightDecay, config.weightDecayEnd);
      const momentum = schedule.teacherMomentum(
        step,
        totalSteps,
        config.momentum,
        config.momentumEnd,
      );
      const tau = schedule.teacherTemperature(
        step,
        totalSteps,
        config.teacherTemperature,
        config.teacherTemperatureFinal,
        config.teacherTemperatureWarmup,
      );

      const images = await next!;
      // Prefetch: the next batch decodes (sharp runs off the JS thread) while this step computes.
      next = step + 1 < lastStep ? data.batch(indicesFor(step + 1)) : null;
      const out = await engine.step(images, deriveSeed(config.seed, 0xa06, step), center, {
        teacherTemperature: tau,
        studentTemperature: config.studentTemperature,
        koleoWeight: config.koleoWeight,
      });
      images.dispose();
      if (!Number.isFinite(out.loss)) {
        throw new StudioError(
          'internal',
          `Pre-training stopped: the loss became ${out.loss} at step ${step}. ` +
            (lastCheckpoint
              ? `The last good checkpoint is ${lastCheckpoint}.`
              : 'No checkpoint was written.') +
            ' Try a lower learning rate.',
        );
      }

      adamwStep(
        layout,
        student,
        out.grads,
        adam,
        {
          lr,
          weightDecay: wd,
          frozen: (e) => e.prototypes === true && epoch < config.freezePrototypesEpochs,
        },
        { ...ADAMW_DEFAULTS, clip: config.gradClip },
      );
      emaUpdate(teacher, student, momentum);
      updateCenter(center, out.teacherSum, out.teacherRows, config.centerMomentum);
      step++;

      const speed = clock.speed(
        (step - startStep) * config.batchSize,
        (lastStep - step) * config.batchSize,
      );
      const mem = tf.memory();
      options.onProgress?.({
        step,
        totalSteps: lastStep,
        epoch,
        loss: out.loss,
        lr,
        weightDecay: wd,
        momentum,
        teacherTemperature: tau,
        teacherEntropy: out.teacherEntropy,
        imagesPerSec: speed.perSecond,
        etaSeconds: speed.etaSeconds,
        memory: {
          rssBytes: process.memoryUsage().rss,
          tensors: mem.numTensors,
          tensorBytes: mem.numBytes,
        },
      });
      if (step % config.checkpointEvery === 0) await save();
    }
    // At the end or at cancel, unless this very step was just saved.
    if (savedStep !== step) await save();
  } finally {
    (await next?.catch(() => null))?.dispose();
    await engine.dispose();
  }
  return {
    step,
    cancelled,
    config,
    student,
    teacher,
    center,
    checksum: checksum(teacher),
    checkpoint: lastCheckpoint,
  };
}
