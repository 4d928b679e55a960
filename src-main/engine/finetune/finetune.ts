/**
 * Fine-tuning (docs/ARCHITECTURE.md, "Training recipe"): `finetune(config, data, { onProgress,
 * signal, backbone })`. The worker, the CLI and the tests call this one function. Read top to
 * bottom: set up (model, splits, weights, optimiser, resume), then per epoch — per step: schedule,
 * augment, gradients, AdamW per learning-rate group; at the epoch's end: validate, keep the best
 * weights, checkpoint, stop early when the validation metric stalls.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { ADAMW_DEFAULTS, adamwStep, createAdamWState } from '../optim/adamw';
import { createVariables, flattenGrads, initParams } from '../model/params';
import { Rng, deriveSeed } from '../model/rng';
import { learningRate } from '../optim/schedules';
import { loadBackboneWeights } from './token-backbone';
import type { BackboneWeights } from './token-backbone';
import { readFinetuneCheckpoint, writeFinetuneCheckpoint } from './finetune-checkpoint';
import type { ValidationRecord } from './finetune-checkpoint';
import { parseFinetuneConfig } from './finetune-config';
import type { FinetuneConfig } from './finetune-config';
import { labelWidth, trainValSplits } from './finetune-data';
import type { FinetuneData, FinetuneSplit } from './finetune-data';
import { metricsOf, monitoredValue, predictSplit } from './finetune-evaluate';
import type { TaskMetrics } from './finetune-evaluate';
import { backboneTokens, buildFinetuneModel, headLoss, peakLrOf } from './finetune-model';
import type { FinetuneModel } from './finetune-model';
import { augmentClassBatch, augmentLandmarkBatch, flipPoints } from './landmark-augment';
import { heatmapSide, meanShapePrior } from './landmark-head';
import { TokenCache } from './token-cache';
import { latestCheckpointFile } from '../model/tensor-record';
import { TrainingClock } from '../training-clock';

export type FinetuneProgress =
  | {
      kind: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      loss: number;
      /** The head's learning rate at this step. */
      lr: number;
      imagesPerSec: number;
      etaSeconds: number;
    }
  | {
      kind: 'validation';
      epoch: number;
      step: number;
      /** null when there is no validation split (too few faces to hold any out). */
      metrics: TaskMetrics | null;
      bestEpoch: number;
      improved: boolean;
      /** Predictions `[m·outputs]` for `sampleFaces`, as the metrics saw them; absent without. */
      samples?: Float32Array;
    };

export interface FinetuneOptions {
  onProgress?: (p: FinetuneProgress) => void;
  signal?: AbortSignal;
  /** Backbone weights to start from (vit.ts names); none = a fresh random backbone. */
  backbone?: BackboneWeights;
  /** A checkpoint file to continue from (weights, optimiser, early-stopping state). */
  resumeFrom?: string;
  /** Awaited before each step: holds the loop while a job is paused. */
  beforeStep?: (step: number) => Promise<void>;
  /** Told after each checkpoint is written. */
  onCheckpoint?: (step: number, file: string) => void;
  /**
   * Validation faces (indices into the validation split) whose predictions every validation
   * event carries, for the dashboard: the same faces each epoch, so their change shows.
   */
  sampleFaces?: readonly number[];
}

export interface FinetuneResult {
  config: FinetuneConfig;
  model: FinetuneModel;
  /** The weights with the best validation metric (the last ones when nothing was validated). */
  params: Float32Array;
  step: number;
  bestEpoch: number;
  history: ValidationRecord[];
  cancelled: boolean;
  stoppedEarly: boolean;
  checkpoint: string | null;
}

let runCounter = 0;

/** Labels of the faces at `indices`, row-major. */
function labelsAt(
  split: FinetuneSplit,
  indices: number[],
  width: number,
): Float32Array | Int32Array {
  const out = new (split.labels.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(
    indices.length * width,
  );
  indices.forEach((src, i) =>
    out.set(split.labels.subarray(src * width, (src + 1) * width), i * width),
  );
  return out;
}

/** Landmark labels `[B·K·2]` with the faces where `flips` is true mirrored (pairs swapped). */
function flipFaces(labels: Float32Array, flips: boolean[], flip: number[]): Float32Array {
  const out = labels.slice();
  const w = flip.length * 2;
  flips.forEach((f, i) => {
    if (f) out.set(flipPoints(labels.subarray(i * w, (i + 1) * w), flip), i * w);
  });
  return out;
}

function isBetter(value: number, best: number, lowerIsBetter: boolean): boolean {
  if (Number.isNaN(value)) return false;
  if (Number.isNaN(best)) return true;
  return lowerIsBetter ? value < best : value > best;
}

/** Parses `input` (a config as tests and benches write it) and trains: see runFinetune. */
export async function finetune(
  input: unknown,
  data: FinetuneData,
  options: FinetuneOptions = {},
): Promise<FinetuneResult> {
  return runFinetune(parseFinetuneConfig(input), data, options);
}

/** Trains with a config parsed where it entered (engine/jobs/run-config.ts). */
export async function runFinetune(
  parsed: FinetuneConfig,
  data: FinetuneData,
  options: FinetuneOptions = {},
): Promise<FinetuneResult> {
  // ---- set-up ----
  let config = parsed;
  const resumed = options.resumeFrom ? await readFinetuneCheckpoint(options.resumeFrom) : null;
  if (resumed)
    config = { ...resumed.config, maxSteps: config.maxSteps, checkpointDir: config.checkpointDir };
  const a = config.augment;
  if (
    config.cacheBackboneTokens &&
    (config.trainableBlocks !== 0 ||
      a.rotation ||
      a.shift ||
      a.colour ||
      a.scale.some((v) => v !== 1))
  )
    throw new StudioError(
      'invalid-payload',
      'cacheBackboneTokens needs a frozen backbone (trainableBlocks: 0) and flip-only augmentation ' +
        '(rotation 0, shift 0, scale [1, 1], colour 0)',
    );
  if (config.task !== data.task)
    throw new StudioError(
      'invalid-payload',
      `The config fine-tunes "${config.task}" but the data is labelled for "${data.task}"`,
    );
  const model = buildFinetuneModel(config, data);
  const { layout } = model;
  const width = labelWidth(data);
  const { train, val } = trainValSplits(data, config.valFraction, config.seed);
  if (train.size < config.batchSize)
    throw new StudioError(
      'invalid-payload',
      `Fine-tuning needs at least ${config.batchSize} training faces (one batch); there are ${train.size}`,
    );
  const stepsPerEpoch = Math.floor(train.size / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const lastStep = config.maxSteps > 0 ? Math.min(totalSteps, config.maxSteps) : totalSteps;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);

  // Weights: the heads (and a fresh backbone) from the seed, then the given backbone over them.
  const params = new Float32Array(layout.total);
  initParams(layout, new Rng(deriveSeed(config.seed, 0x1417)), params);
  if (options.backbone) loadBackboneWeights(layout, model.backboneNames, options.backbone, params);
  if (model.landmarkHead && config.landmarkHead.meanShapePrior) {
    const prior = layout.entries.find((e) => e.name === 'landmarks.prior')!;
    const side = heatmapSide(model.landmarkHead);
    // σ of 2 cells: wide enough that the soft-argmax lands on the mean, not on a cell centre.
    params.set(
      meanShapePrior(train.labels as Float32Array, model.landmarkHead.points, side, 2),
      prior.offset,
    );
  }
  // Peak learning rate per tensor; one AdamW pass per distinct rate, 0 = frozen.
  const peaks = layout.entries.map((e) => peakLrOf(model, config, e));
  const groups = [...new Set(peaks.filter((p) => p > 0))];
  const peakOf = new Map(layout.entries.map((e, i) => [e.name, peaks[i]!]));
  let adam = createAdamWState(layout);
  let best: Float32Array = params.slice();
  let bestEpoch = -1;
  let bestValue = NaN;
  let history: ValidationRecord[] = [];
  let step = 0;
  if (resumed) {
    if (resumed.names.join() !== layout.entries.map((e) => e.name).join())
      throw new StudioError(
        'invalid-payload',
        `Checkpoint ${options.resumeFrom} holds a different model`,
      );
    params.set(resumed.params);
    best = resumed.best;
    adam = { steps: resumed.adamSteps, m: resumed.adamM, v: resumed.adamV };
    ({ bestEpoch, bestValue, history, step } = resumed);
  }

  const vars = createVariables(layout, params, `finetune${runCounter++}`);
  const trainable = layout.entries.filter((_, i) => peaks[i]! > 0);
  const trainableVars = trainable.map((e) => vars.get(e.name)!);
  const grads = new Float32Array(layout.total);
  const cache = config.cacheBackboneTokens
    ? await TokenCache.build(model, vars, train, config.evalBatchSize)
    : null;
  const checkpointFile = config.checkpointDir ? latestCheckpointFile(config.checkpointDir) : null;
  let lastCheckpoint: string | null = null;
  const save = async (): Promise<void> => {
    if (!checkpointFile) return;
    await writeFinetuneCheckpoint(checkpointFile, {
      step,
      config,
      names: layout.entries.map((e) => e.name),
      adamSteps: adam.steps,
      bestEpoch,
      bestValue,
      history,
      params,
      best,
      adamM: adam.m,
      adamV: adam.v,
    });
    lastCheckpoint = checkpointFile;
    options.onCheckpoint?.(step, checkpointFile);
  };

  // ---- the loop ----
  // Speed and ETA count the time spent training, not the time held paused.
  const clock = new TrainingClock();
  const startStep = step;
  let cancelled = false;
  let stoppedEarly = false;
  try {
    for (let epoch = Math.floor(step / stepsPerEpoch); step < lastStep; epoch++) {
      // Data order: one seeded permutation per epoch, so a resumed run needs no saved order.
      const order = new Rng(deriveSeed(config.seed, 0xda7a, epoch)).permutation(train.size);
      const epochEnd = Math.min((epoch + 1) * stepsPerEpoch, lastStep);
      while (step < epochEnd) {
        const gate = options.beforeStep;
        if (gate) await clock.hold(() => gate(step));
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
        const factor = learningRate(step, totalSteps, warmupSteps, 1, config.minLrFactor);
        const at = (step % stepsPerEpoch) * config.batchSize;
        const indices = order.slice(at, at + config.batchSize);
        const labels = labelsAt(train, indices, width);
        const rng = new Rng(deriveSeed(config.seed, 0xa06, step));
        const images = cache ? null : await train.images(indices);
        // The loss and gradients leave the tidy as tensors and are read after it: reads are
        // asynchronous (a GPU backend has no synchronous read in Node).
        const { value: lossTensor, grads: gradTensors } = tf.tidy(() => {
          // The batch: cached tokens (frozen backbone) or augmented images through the backbone.
          let y = labels;
          let tokens: () => tf.Tensor2D;
          if (cache) {
            const flips = indices.map(() => rng.chance(config.augment.flip));
            const cached = cache.batch(indices, flips);
            tokens = () => cached;
            if (model.landmarkHead) y = flipFaces(labels as Float32Array, flips, model.flip);
          } else {
            let x = images!;
            if (model.landmarkHead) {
              const aug = augmentLandmarkBatch(x, labels as Float32Array, model.flip, rng, a);
              x = aug.images;
              y = aug.points;
            } else x = augmentClassBatch(x, rng, a);
            tokens = () => backboneTokens(model, vars, x);
          }
          const { value, grads: g } = tf.variableGrads(
            () => headLoss(model, config, vars, tokens(), indices.length, y),
            trainableVars,
          );
          const byName: Record<string, tf.Tensor> = {};
          for (const e of trainable) byName[e.name] = g[vars.get(e.name)!.name]!;
          return { value, grads: byName };
        });
        images?.dispose();
        await flattenGrads(layout, gradTensors, grads);
        const loss = (await lossTensor.data())[0]!;
        tf.dispose([lossTensor, gradTensors]);
        if (!Number.isFinite(loss))
          throw new StudioError(
            'internal',
            `Fine-tuning stopped: the loss became ${loss} at step ${step}. ` +
              (lastCheckpoint
                ? `The last good checkpoint is ${lastCheckpoint}.`
                : 'No checkpoint was written.') +
              ' Try a lower learning rate.',
          );
        for (const peak of groups)
          adamwStep(
            layout,
            params,
            grads,
            adam,
            {
              lr: factor * peak,
              weightDecay: config.weightDecay,
              frozen: (e) => peakOf.get(e.name) !== peak,
            },
            { ...ADAMW_DEFAULTS, clip: config.gradClip },
          );
        for (const e of trainable) {
          const v = vars.get(e.name)!;
          tf.tidy(() => v.assign(tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape)));
        }
        step++;

        const speed = clock.speed(
          (step - startStep) * config.batchSize,
          (lastStep - step) * config.batchSize,
        );
        options.onProgress?.({
          kind: 'step',
          step,
          totalSteps: lastStep,
          epoch,
          loss,
          lr: factor * config.headLr,
          imagesPerSec: speed.perSecond,
          etaSeconds: speed.etaSeconds,
        });
      }
      if (cancelled) break;

      // ---- end of epoch: validate, keep the best, checkpoint, maybe stop ----
      const predicted = val ? await predictSplit(model, vars, val, config.evalBatchSize) : null;
      const metrics = val && predicted ? metricsOf(model, data, predicted, val.labels) : null;
      const samples =
        predicted && options.sampleFaces
          ? Float32Array.from(
              options.sampleFaces.flatMap((i) =>
                Array.from(predicted.subarray(i * model.outputs, (i + 1) * model.outputs)),
              ),
            )
          : undefined;
      let improved = false;
      if (metrics) {
        const { value, lowerIsBetter } = monitoredValue(metrics);
        improved = isBetter(value, bestValue, lowerIsBetter);
        if (improved) {
          bestValue = value;
          bestEpoch = epoch;
          best.set(params);
        }
        history.push({ epoch, step, metrics });
      }
      options.onProgress?.({
        kind: 'validation',
        epoch,
        step,
        metrics,
        bestEpoch,
        improved,
        ...(samples ? { samples } : {}),
      });
      await save();
      if (metrics && config.patience > 0 && epoch - bestEpoch >= config.patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (cancelled) await save();
  } finally {
    tf.dispose([...vars.values()]);
    cache?.dispose();
  }
  return {
    config,
    model,
    params: bestEpoch >= 0 ? best : params,
    step,
    bestEpoch,
    history,
    cancelled,
    stoppedEarly,
    checkpoint: lastCheckpoint,
  };
}
