/**
 * One fine-tuning job, start to finish (docs/ARCHITECTURE.md, "Training recipe"), as
 * pretrain-job.ts is for pre-training: takes the config parsed where it entered (a resumed run
 * starts from its saved config.json, parsed here), writes the run folder (run-folder.ts), reads the
 * project's labelled faces for the config's task, runs `runFinetune` from the given backbone's
 * weights with the queue's pause gate and cancel signal, logs metrics.jsonl (MetricsLine lines)
 * and validation.jsonl (JobValidation lines, with a few validation faces' predictions in image
 * pixels), measures the best weights on the test split (else validation), and exports the model
 * with its card to models/<run id>/. run.json is rewritten on every change of status, as main
 * lists runs from it. It reports through `emit` with the protocol's job events, so the training
 * process and the CLI share it. The caller reads the faces (core): the engine opens no project.
 */
import path from 'node:path';
import type { CropPolicy, CardMetrics, ModelCard } from '../../shared/model-card';
import type {
  CedCurve,
  JobProgress,
  JobValidation,
  SamplePrediction,
} from '../../shared/worker-protocol';
import { loadBackbone } from '../export/saved-backbone';
import { DEFAULT_CROP_POLICY, fromCrop } from '../data/face-crop';
import {
  type FaceSetOptions,
  labelledFacesData,
  measuredCropPolicy,
  type LabelledFaceSet,
  type LabelledFacesData,
  type SplitFaces,
} from '../data/labelled-faces';
import { exportFinetunedModel } from '../export/export-model';
import type { BackboneWeights } from '../finetune/token-backbone';
import { runFinetune, type FinetuneProgress, type FinetuneResult } from '../finetune/finetune';
import { readFinetuneCheckpoint } from '../finetune/finetune-checkpoint';
import {
  finetuneConfigSchema,
  parseFinetuneConfig,
  type FinetuneConfig,
  type FinetuneTask,
} from '../finetune/finetune-config';
import type { FinetuneSplit } from '../finetune/finetune-data';
import {
  metricsOf,
  monitoredValue,
  predictSplit,
  type TaskMetrics,
} from '../finetune/finetune-evaluate';
import { vitConfigOf } from '../finetune/finetune-model';
import { tensorsOf } from '../model/params';
import { cedCurve, nmePerFace } from '../metrics/landmark-metrics';
import { heldOutSubjects, honestMetrics, type BaselineData } from '../metrics/baselines';
import { cardSchemaOf } from '../predict/card-schema';
import {
  memoryNow,
  runConfigOf,
  runRecorder,
  settleRun,
  type JobRunControls,
  type JobRunOutcome,
  type RecordRun,
} from './job-run';
import type { RunStart } from './run-config';
import { configComments, RunFolder } from './run-folder';
import { runBackboneHeadJob, type BackboneHeadJobSpec } from './backbone-head-job';
import { sampleIndices } from './dashboard-samples';
import { HEAD_TASKS } from './head-tasks';

export type FinetuneJobSpec = FinetuneJobBase & RunStart<FinetuneConfig>;

interface FinetuneJobBase {
  jobId: string;
  /** runs/<id>/; the run id is its name (and the exported model's). */
  runDir: string;
  /** The project's models/ folder: the model goes to models/<run id>/. */
  modelsDir: string;
  /**
   * The labelled faces for a task; called once the config (and so the task) is known valid.
   * `includeUnconfirmed` is the config's: whether points no person confirmed count as labels.
   */
  faces: (task: FinetuneTask, options: FaceSetOptions) => Promise<LabelledFaceSet>;
  /**
   * models/<id>/ of a pre-trained backbone whose weights a new run starts from; absent = from
   * scratch. The config already has its shape (run-config.ts).
   */
  backboneDir?: string;
  /** The crop policy; default: DEFAULT_CROP_POLICY with its ratio measured on the faces. */
  crop?: CropPolicy;
}

/** A metric object as numbers by name: per-attribute and per-class values as `name.item`. */
export function flatMetrics(m: TaskMetrics, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (m.task === 'landmarks')
    Object.assign(out, { nme: m.nme, failureRate: m.failureRate, auc: m.auc });
  else if (m.task === 'attributes') {
    out.meanAccuracy = m.meanAccuracy;
    m.accuracy.forEach((v, i) => (out[`accuracy.${names[i] ?? i}`] = v));
  } else {
    out.accuracy = m.accuracy;
    m.recall.forEach((v, i) => (out[`recall.${names[i] ?? i}`] = v));
  }
  // NaN (an attribute no face was labelled for) has no JSON form; leave it out.
  return Object.fromEntries(Object.entries(out).filter(([, v]) => Number.isFinite(v)));
}

/** The names of the model's outputs, for metrics and samples. */
function outputNames(set: LabelledFaceSet): string[] {
  if (set.task === 'landmarks') return set.schema.points;
  return set.task === 'attributes' ? set.attributes : set.classes;
}

/** Predictions of faces (rows of `values`) as the dashboard draws them: image px or scores. */
export function samplePredictions(
  set: LabelledFaceSet,
  faces: SplitFaces,
  indices: readonly number[],
  values: Float32Array,
): SamplePrediction[] {
  const names = outputNames(set);
  const width = set.task === 'landmarks' ? names.length * 2 : names.length;
  return indices.map((index, row) => {
    const face = faces.faces[index]!;
    const out = values.subarray(row * width, (row + 1) * width);
    if (set.task === 'landmarks') {
      const uv = names.map((_, k) => ({ x: out[2 * k]!, y: out[2 * k + 1]! }));
      return {
        imageId: face.imageId,
        points: fromCrop(uv, faces.boxes[index]!).map((p) => [p.x, p.y] as [number, number]),
        truth: face.points.map((p) => [p.x, p.y] as [number, number]),
      };
    }
    return {
      imageId: face.imageId,
      scores: Object.fromEntries(names.map((name, i) => [name, out[i]!])),
    };
  });
}

/** A split's labels as rows of `width` numbers. */
function rowsOf(labels: ArrayLike<number>, size: number, width: number): number[][] {
  return Array.from({ length: size }, (_, i) =>
    Array.from({ length: width }, (_, j) => labels[i * width + j]!),
  );
}

/** The training and held-out targets the baseline is fitted and scored on. */
export function baselineDataOf(
  set: LabelledFaceSet,
  train: FinetuneSplit,
  heldOut: FinetuneSplit,
): BaselineData {
  if (set.task === 'landmarks') {
    const width = set.schema.points.length * 2;
    return {
      task: 'landmarks',
      train: rowsOf(train.labels, train.size, width),
      heldOut: rowsOf(heldOut.labels, heldOut.size, width),
      normaliser: set.schema.normaliser,
    };
  }
  if (set.task === 'attributes') {
    const width = set.attributes.length;
    return {
      task: 'attributes',
      train: rowsOf(train.labels, train.size, width),
      heldOut: rowsOf(heldOut.labels, heldOut.size, width),
      attributes: set.attributes,
    };
  }
  return {
    task: 'expression',
    train: Array.from(train.labels),
    heldOut: Array.from(heldOut.labels),
    classes: set.classes,
  };
}

/** Metrics of the exported weights on `split`, and the CED of landmark models. */
async function finalMetrics(
  result: FinetuneResult,
  prepared: LabelledFacesData,
  split: FinetuneSplit,
  names: readonly string[],
): Promise<{ values: Record<string, number>; ced: CedCurve | null }> {
  const params = tensorsOf(result.model.layout, result.params);
  let predicted: Float32Array;
  try {
    predicted = await predictSplit(result.model, params, split, result.config.evalBatchSize);
  } finally {
    for (const t of params.values()) t.dispose();
  }
  const metrics = metricsOf(result.model, prepared.data, predicted, split.labels);
  let ced: CedCurve | null = null;
  if (prepared.data.task === 'landmarks') {
    const w = result.model.outputs;
    const rows = (a: ArrayLike<number>) =>
      Array.from({ length: split.size }, (_, i) =>
        Array.from({ length: w }, (_, j) => a[i * w + j]!),
      );
    const curve = cedCurve(
      nmePerFace(rows(predicted), rows(split.labels), prepared.data.schema.normaliser),
    );
    ced = { thresholds: curve.thresholds, fractions: curve.fraction };
  }
  return { values: flatMetrics(metrics, names), ced };
}

/**
 * Whether the run fits a head on frozen face backbones (`method: 'backbone-head'`) rather than
 * training the ViT: a resumed run is what its saved config (with the changes laid over) says.
 */
async function isBackboneHeadRun(spec: FinetuneJobSpec): Promise<boolean> {
  if (!spec.resume) return spec.config.method === 'backbone-head';
  const saved = await new RunFolder(path.resolve(spec.runDir)).readConfigIfAny();
  return (spec.config.method ?? saved.method) === 'backbone-head';
}

export async function runFinetuneJob(
  spec: FinetuneJobSpec & Pick<BackboneHeadJobSpec, 'loadBackbone'>,
  controls: JobRunControls,
): Promise<JobRunOutcome> {
  if (await isBackboneHeadRun(spec)) return runBackboneHeadJob(spec, controls, HEAD_TASKS);
  const { jobId } = spec;
  const run = new RunFolder(path.resolve(spec.runDir));
  const previous = spec.resume ? await run.readRecord() : null;
  const createdAt = previous?.createdAt ?? new Date().toISOString();
  let lastCheckpoint: string | null = null;
  let step = 0;
  let totalSteps: number | null = null;
  let finalLoss: number | null = null;
  let task: FinetuneTask | undefined;
  const backboneId: string | null = spec.resume
    ? (previous?.backboneId ?? null)
    : spec.backboneDir
      ? path.basename(path.resolve(spec.backboneDir))
      : null;
  const record = runRecorder(run, 'finetune', createdAt, () => ({
    step,
    totalSteps,
    ...(task ? { task } : {}),
    backboneId,
    lastCheckpoint,
  }));
  return settleRun(
    jobId,
    controls,
    record,
    () => lastCheckpoint,
    async () => {
      const config = await runConfigOf(run, spec, parseFinetuneConfig);
      task = config.task;
      let backbone: BackboneWeights | undefined;
      if (spec.backboneDir && !spec.resume) {
        const loaded = await loadBackbone(spec.backboneDir);
        backbone = loaded.weights;
        loaded.dispose(); // the weights stay, as arrays; finetune makes its own tensors
      }
      await run.create();
      if (spec.resume) {
        lastCheckpoint = run.checkpointFile;
        step = (await readFinetuneCheckpoint(run.checkpointFile)).step;
        await run.truncateMetrics(step);
        await run.truncateMetrics(step, run.validationFile);
      } else {
        await run.writeConfig(config, configComments(finetuneConfigSchema));
      }
      await record('running');

      const set = await spec.faces(config.task, {
        includeUnconfirmed: config.includeUnconfirmed,
      });
      const names = outputNames(set);
      const policy = spec.crop ?? measuredCropPolicy(set.faces, DEFAULT_CROP_POLICY);
      const prepared = labelledFacesData(set, {
        imageSize: vitConfigOf(config).imageSize,
        policy,
        valFraction: config.valFraction,
        seed: config.seed,
      });
      const perEpoch = Math.floor(prepared.data.train.size / config.batchSize);
      totalSteps =
        config.maxSteps > 0
          ? Math.min(perEpoch * config.epochs, config.maxSteps)
          : perEpoch * config.epochs;
      await record('running');
      controls.emit({ type: 'started', jobId, runDir: run.dir });

      const samples = sampleIndices(prepared.faces.val.faces.length);
      const pending: Promise<void>[] = [];
      const onProgress = (p: FinetuneProgress): void => {
        if (p.kind === 'step') {
          step = p.step;
          finalLoss = p.loss;
          const progress: JobProgress = {
            step: p.step,
            totalSteps: p.totalSteps,
            epoch: p.epoch,
            loss: p.loss,
            lr: p.lr,
            momentum: null,
            teacherEntropy: null,
            imagesPerSec: p.imagesPerSec,
            etaSeconds: Number.isFinite(p.etaSeconds) ? p.etaSeconds : 0,
            memory: memoryNow(),
          };
          pending.push(run.appendMetrics(progress));
          controls.emit({ type: 'progress', jobId, progress });
          return;
        }
        if (!p.metrics) return; // no validation faces: nothing to report
        const validation: JobValidation = {
          epoch: p.epoch,
          step: p.step,
          metrics: flatMetrics(p.metrics, names),
          monitored:
            p.metrics.task === 'landmarks'
              ? 'nme'
              : p.metrics.task === 'attributes'
                ? 'meanAccuracy'
                : 'accuracy',
          lowerIsBetter: monitoredValue(p.metrics).lowerIsBetter,
          improved: p.improved,
          samples: p.samples ? samplePredictions(set, prepared.faces.val, samples, p.samples) : [],
        };
        pending.push(run.appendValidation(validation));
        controls.emit({ type: 'validation', jobId, validation });
      };
      const gate = controls.beforeStep;
      const result = await runFinetune(config, prepared.data, {
        ...(controls.signal ? { signal: controls.signal } : {}),
        ...(gate ? { beforeStep: pausable(gate, record) } : {}),
        ...(spec.resume ? { resumeFrom: run.checkpointFile } : {}),
        ...(backbone ? { backbone } : {}),
        sampleFaces: samples,
        onCheckpoint: (at, file) => {
          lastCheckpoint = file;
          controls.emit({ type: 'checkpoint', jobId, step: at, file });
        },
        onProgress,
      });
      await Promise.all(pending);
      step = result.step;
      lastCheckpoint = result.checkpoint ?? lastCheckpoint;
      if (result.cancelled) {
        await record('cancelled');
        return { type: 'cancelled', jobId, lastCheckpoint };
      }
      const measured = prepared.test ?? prepared.data.val ?? null;
      const on = prepared.test ? 'test split' : `validation faces (${prepared.valSource})`;
      const project = set.project === null ? '' : ` of project "${set.project}"`;
      const final = measured ? await finalMetrics(result, prepared, measured, names) : null;
      const cardMetrics: CardMetrics[] = final
        ? [
            honestMetrics(baselineDataOf(set, prepared.data.train, measured!), {
              data: `${on}${project}`,
              values: final.values,
              subjects: heldOutSubjects(
                prepared.faces.train.faces.map((f) => f.subject),
                (prepared.test ? prepared.faces.test : prepared.faces.val).faces.map(
                  (f) => f.subject,
                ),
              ),
            }),
          ]
        : [];
      const modelDir = path.join(path.resolve(spec.modelsDir), run.id);
      const checksum = await exportFinetunedModel(modelDir, result, {
        id: run.id,
        runId: run.id,
        schema: set.task === 'landmarks' ? cardSchemaOf(set.schema) : null,
        attributes: set.task === 'attributes' ? set.attributes : null,
        classes: set.task === 'expression' ? set.classes : null,
        crop: policy,
        metrics: cardMetrics,
        data: {
          project: set.project,
          train: prepared.data.train.size,
          val: prepared.data.val?.size ?? 0,
          test: prepared.test?.size ?? 0,
        } satisfies ModelCard['data'],
        backbone: { pretrainedFrom: backboneId },
      });
      await record('done', {
        modelDir,
        modelId: run.id,
        finalLoss,
        metrics: final?.values ?? null,
        ced: final?.ced ?? null,
      });
      return {
        type: 'done',
        jobId,
        result: {
          step: result.step,
          finalLoss,
          checksum,
          checkpoint: lastCheckpoint,
          ...(final ? { metrics: final.values } : {}),
          ...(final?.ced ? { ced: final.ced } : {}),
        },
        modelDir,
      };
    },
  );
}

/**
 * The queue's pause gate, recording `paused` in run.json while it holds. An open gate resolves
 * within the microtasks of this turn; one still pending after a macrotask is holding.
 */
function pausable(
  gate: (step: number) => Promise<void>,
  record: RecordRun,
): (step: number) => Promise<void> {
  return async (step) => {
    let held = true;
    const passed = gate(step).finally(() => (held = false));
    await new Promise((resolve) => setImmediate(resolve));
    if (!held) return passed;
    await record('paused').catch(() => undefined);
    await passed;
    await record('running').catch(() => undefined);
  };
}
