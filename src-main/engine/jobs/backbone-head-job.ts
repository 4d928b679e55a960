/**
 * A fine-tuning run with `method: 'backbone-head'` (docs/ARCHITECTURE.md, "Backbones and tasks"):
 * a head fitted in closed form on frozen face backbones shipped with the app, instead of gradient
 * steps on the studio's ViT. The run looks like any fine-tuning run from outside — run.json,
 * config.json, metrics.jsonl and validation.jsonl in its folder (run-folder.ts), `progress`,
 * `validation` and `done` events, the model exported to models/<run id>/ — so the Train view, the
 * CLI and the runs index need nothing new:
 *
 * - progress steps count faces: each training face embedded (as is and mirrored) is a step, the
 *   fit one more, each measured face one more; `loss` is the fit's leave-one-out error once fitted
 *   (0 before: there is none yet), `imagesPerSec` faces per second;
 * - one validation line: the fitted model on the measured faces (test split, else validation),
 *   with a few of them drawn;
 * - the model is measured through the inference path (`predictFaces`, as predict and eval run it),
 *   never on the training crops.
 *
 * A fit takes seconds to minutes, so there are no checkpoints: a resumed run fits again from the
 * start with its saved config. The parts each task needs (which faces, how they are cut, what is
 * fitted, how it is measured and exported) are a `HeadTask`; landmarks are landmark-head-job.ts.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pkg from '../../../package.json' with { type: 'json' };
import { MODEL_CARD_VERSION, ModelCard, type CardMetrics } from '../../shared/model-card';
import type {
  CedCurve,
  JobProgress,
  JobValidation,
  SamplePrediction,
} from '../../shared/worker-protocol';
import { StudioError } from '../../shared/errors';
import type { FaceBackbone } from '../backbones/face-backbone';
import { defaultFaceBackbones, loadFaceBackbone } from '../backbones/load-face-backbone';
import type { FaceSetOptions, LabelledFace, LabelledFaceSet } from '../data/labelled-faces';
import type { ExportedModel } from '../export/load-model';
import { describeIssues } from '../export/model-folder';
import { predictFaces, type ImageToPredict, type PredictedFace } from '../predict/predict-faces';
import {
  finetuneConfigSchema,
  parseFinetuneConfig,
  type FinetuneConfig,
  type FinetuneTask,
} from '../finetune/finetune-config';
import { heldOutSubjects, honestMetrics, type BaselineData } from '../metrics/baselines';
import { deriveSeed, Rng } from '../model/rng';
import type { RunStart } from './run-config';
import {
  memoryNow,
  runConfigOf,
  runRecorder,
  settleRun,
  type JobRunControls,
  type JobRunOutcome,
} from './job-run';
import { configComments, RunFolder } from './run-folder';
import { TrainingClock } from '../training-clock';

/**
 * What a backbone-head run is given: a fine-tuning run's spec less the ViT's backbone and crop
 * (a `FinetuneJobSpec` is one), and where the face backbones come from.
 */
export type BackboneHeadJobSpec = {
  jobId: string;
  /** runs/<id>/; the run id is its name (and the exported model's). */
  runDir: string;
  /** The project's models/ folder: the model goes to models/<run id>/. */
  modelsDir: string;
  /** The labelled faces for a task (as the fine-tuning job reads them). */
  faces: (task: FinetuneTask, options: FaceSetOptions) => Promise<LabelledFaceSet>;
  /** Loads a face backbone by id (default: the app's, load-face-backbone.ts); tests share one. */
  loadBackbone?: (id: string) => Promise<FaceBackbone>;
} & RunStart<FinetuneConfig>;

/** The faces of a run by role. */
export interface HeadSplits {
  train: LabelledFace[];
  /** The faces the model is measured on: the test split, else validation; may be empty. */
  measured: LabelledFace[];
  /** What `measured` is, for the card: `test split`, `validation faces (val split)`, … */
  measuredOn: string;
  val: number;
  test: number;
}

/** The card fields a run determines, whatever its task. */
export type HeadCardBase = Pick<
  ModelCard,
  'id' | 'createdAt' | 'data' | 'backbone' | 'config' | 'runId'
>;

/** A complete, valid card: `base` and the task's fields, with this app's format and version. */
export function completeHeadCard(
  base: HeadCardBase,
  fields: Omit<ModelCard, keyof HeadCardBase | 'format' | 'version' | 'studio'>,
): ModelCard {
  const parsed = ModelCard.safeParse({
    ...base,
    ...fields,
    format: 'face-studio-model',
    version: MODEL_CARD_VERSION,
    studio: pkg.version,
  });
  if (!parsed.success)
    throw new StudioError(
      'internal',
      `The card of model ${base.id} is not valid: ${describeIssues(parsed.error.issues)}`,
    );
  return parsed.data;
}

/** What the frame gives a task's fit. */
export interface HeadTaskContext {
  config: FinetuneConfig;
  set: LabelledFaceSet;
  splits: HeadSplits;
  /** Loaded in the order the config names them; the frame disposes the ones it loaded. */
  backbones: FaceBackbone[];
  /** The card's fields every task fills alike (`completeHeadCard` adds the rest). */
  card: HeadCardBase;
  /** Reports `steps` more steps done (of `plan.total`), with the fit's loss once there is one. */
  advance: (steps: number, loss?: number) => Promise<void>;
  signal?: AbortSignal;
}

/** What a task's fit ends with. */
export interface HeadTaskOutcome {
  /** Metrics on the measured faces by name (nme, failureRate, auc; accuracy, …). */
  metrics: Record<string, number> | null;
  /** The metric the validation line watches, and whether lower is better. */
  monitored: string;
  lowerIsBetter: boolean;
  ced: CedCurve | null;
  samples: SamplePrediction[];
  /** How the measured faces were cut, said on the card beside the figure. */
  measuredHow: string;
  /**
   * The baseline's training and measured targets (metrics/baselines.ts): the card states the
   * figure beside the mean shape or the majority class, and says when the model is no better.
   */
  baseline: BaselineData | null;
  /** Writes the model to `dir` with `metrics` on its card; returns the export's checksum. */
  exportTo: (dir: string, metrics: CardMetrics[]) => Promise<string>;
}

export interface HeadTask {
  /** Steps the run takes for `splits` (for the progress bar). */
  steps(splits: HeadSplits): number;
  fit(context: HeadTaskContext): Promise<HeadTaskOutcome>;
}

/** The tasks a backbone head can be fitted for; the frame refuses the others by name. */
export type HeadTasks = Partial<Record<LabelledFaceSet['task'], HeadTask>>;

/** What the faces to measure are cut from: their detection if any, else their labelled points. */
export function inferenceRequest(face: LabelledFace): ImageToPredict {
  return face.detection
    ? { file: face.file, face: face.detection }
    : { file: face.file, points: face.points };
}

/** Faces per `predictFaces` call while measuring; each chunk is one dashboard step update. */
const MEASURE_CHUNK = 16;

/**
 * `runner`'s predictions for the measured faces, in order, through `predictFaces` as predict and
 * eval run the exported model: cut from `inferenceRequest`, a chunk at a time, each chunk
 * reported as steps done. A face that cannot be read fails the measurement, named.
 */
export async function measureFaces(
  runner: ExportedModel,
  measured: readonly LabelledFace[],
  context: Pick<HeadTaskContext, 'advance' | 'signal'>,
): Promise<PredictedFace[]> {
  const faces: PredictedFace[] = [];
  for (let from = 0; from < measured.length; from += MEASURE_CHUNK) {
    const part = measured.slice(from, from + MEASURE_CHUNK);
    const outcome = await predictFaces(runner, part.map(inferenceRequest), {
      detect: false,
      batchSize: MEASURE_CHUNK,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    context.signal?.throwIfAborted();
    if (outcome.failed.length > 0)
      throw new StudioError(
        'invalid-payload',
        `Cannot measure the model: ${outcome.failed.map((f) => `${f.file}: ${f.message}`).join('; ')}`,
      );
    faces.push(...outcome.faces);
    await context.advance(part.length);
  }
  return faces;
}

/** sha-256 over the exported folder's files (names and bytes, in name order): the run's checksum. */
export async function folderChecksum(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await fs.readdir(dir)).sort()) {
    hash.update(name);
    hash.update(await fs.readFile(path.join(dir, name)));
  }
  return hash.digest('hex');
}

/**
 * Train, validation and test faces: validation from the val split; with neither val nor test
 * faces, a seeded `valFraction` of train is held out so the model is measured on faces it did
 * not see (leave-one-out chooses λ, so nothing else needs them).
 */
export function headSplits(faces: readonly LabelledFace[], config: FinetuneConfig): HeadSplits {
  let train = faces.filter((f) => f.split === 'train');
  let val = faces.filter((f) => f.split === 'val');
  const test = faces.filter((f) => f.split === 'test');
  let valSource = 'val split';
  if (val.length === 0 && test.length === 0) {
    const held = Math.round(train.length * config.valFraction);
    if (held > 0 && train.length - held >= 2) {
      const order = new Rng(deriveSeed(config.seed, 0x5e7)).permutation(train.length);
      val = order.slice(0, held).map((i) => train[i]!);
      train = order.slice(held).map((i) => train[i]!);
      valSource = 'held out of train';
    }
  }
  const measured = test.length > 0 ? test : val;
  return {
    train,
    measured,
    measuredOn: test.length > 0 ? 'test split' : `validation faces (${valSource})`,
    val: val.length,
    test: test.length,
  };
}

export async function runBackboneHeadJob(
  spec: BackboneHeadJobSpec,
  controls: JobRunControls,
  tasks: HeadTasks,
): Promise<JobRunOutcome> {
  const { jobId } = spec;
  const run = new RunFolder(path.resolve(spec.runDir));
  const previous = spec.resume ? await run.readRecord() : null;
  const createdAt = previous?.createdAt ?? new Date().toISOString();
  let step = 0;
  let totalSteps: number | null = null;
  let finalLoss: number | null = null;
  let task: FinetuneConfig['task'] | undefined;
  const record = runRecorder(run, 'finetune', createdAt, () => ({
    step,
    totalSteps,
    ...(task ? { task } : {}),
    backboneId: null,
    lastCheckpoint: null,
  }));
  return settleRun(
    jobId,
    controls,
    record,
    () => null,
    async () => {
      const config = await runConfigOf(run, spec, parseFinetuneConfig);
      task = config.task;
      await run.create();
      // No checkpoints: a resumed run fits again from the start, its logs from the start too.
      if (spec.resume) {
        await run.truncateMetrics(0);
        await run.truncateMetrics(0, run.validationFile);
      }
      await run.writeConfig(config, configComments(finetuneConfigSchema));
      await record('running');

      const set = await spec.faces(config.task, { includeUnconfirmed: config.includeUnconfirmed });
      const headTask = tasks[set.task];
      if (!headTask)
        throw new StudioError(
          'invalid-payload',
          `A backbone head cannot be fitted for ${set.task} yet; use method "gradient"`,
        );
      const splits = headSplits(set.faces, config);
      if (splits.train.length < 2)
        throw new StudioError(
          'not-found',
          `A backbone head needs 2 or more labelled ${set.task} faces in the train split; the project has ${splits.train.length}`,
        );
      totalSteps = headTask.steps(splits);
      await record('running');
      controls.emit({ type: 'started', jobId, runDir: run.dir });

      const ids = config.faceBackbones ?? defaultFaceBackbones(config.task);
      const load = spec.loadBackbone ?? loadFaceBackbone;
      const owned = !spec.loadBackbone;
      const backbones: FaceBackbone[] = [];
      // Speed and ETA count the time spent fitting, not the time held paused.
      const clock = new TrainingClock();
      const pending: Promise<void>[] = [];
      const gate = controls.beforeStep;
      try {
        for (const id of ids) backbones.push(await load(id));
        const advance = async (steps: number, loss?: number): Promise<void> => {
          if (gate) {
            // Held here while paused, recorded as such.
            await clock.hold(async () => {
              let held = true;
              const passed = gate(step).finally(() => (held = false));
              await new Promise((resolve) => setImmediate(resolve));
              if (held) {
                await record('paused').catch(() => undefined);
                await passed;
                await record('running').catch(() => undefined);
              }
            });
          }
          controls.signal?.throwIfAborted();
          step += steps;
          if (loss !== undefined) finalLoss = loss;
          const speed = clock.speed(step, totalSteps! - step);
          const progress: JobProgress = {
            step,
            totalSteps: totalSteps!,
            epoch: 0,
            loss: finalLoss ?? 0,
            lr: 0,
            momentum: null,
            teacherEntropy: null,
            imagesPerSec: speed.perSecond,
            etaSeconds: speed.etaSeconds,
            memory: memoryNow(),
          };
          pending.push(run.appendMetrics(progress));
          controls.emit({ type: 'progress', jobId, progress });
        };
        const outcome = await headTask.fit({
          config,
          set,
          splits,
          backbones,
          advance,
          ...(controls.signal ? { signal: controls.signal } : {}),
          card: {
            id: run.id,
            createdAt: new Date().toISOString(),
            data: {
              project: set.project,
              train: splits.train.length,
              val: splits.val,
              test: splits.test,
            },
            backbone: { preset: `face-backbones:${ids.join('+')}`, pretrainedFrom: null },
            config: { ...config },
            runId: run.id,
          },
        });
        if (outcome.metrics) {
          const validation: JobValidation = {
            epoch: 0,
            step,
            metrics: outcome.metrics,
            monitored: outcome.monitored,
            lowerIsBetter: outcome.lowerIsBetter,
            improved: true,
            samples: outcome.samples,
          };
          pending.push(run.appendValidation(validation));
          controls.emit({ type: 'validation', jobId, validation });
        }
        await Promise.all(pending);
        const project = set.project === null ? '' : ` of project "${set.project}"`;
        const data = `${splits.measuredOn}${project}; ${outcome.measuredHow}`;
        const subjects = heldOutSubjects(
          splits.train.map((f) => f.subject),
          splits.measured.map((f) => f.subject),
        );
        const cardMetrics: CardMetrics[] = outcome.metrics
          ? [
              outcome.baseline
                ? honestMetrics(outcome.baseline, { data, values: outcome.metrics, subjects })
                : {
                    data,
                    faces: splits.measured.length,
                    values: outcome.metrics,
                    ...(subjects ?? {}),
                  },
            ]
          : [];
        const modelDir = path.join(path.resolve(spec.modelsDir), run.id);
        const checksum = await outcome.exportTo(modelDir, cardMetrics);
        await record('done', {
          modelDir,
          modelId: run.id,
          finalLoss,
          metrics: outcome.metrics,
          ced: outcome.ced,
        });
        return {
          type: 'done',
          jobId,
          result: {
            step,
            finalLoss,
            checksum,
            checkpoint: null,
            ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
            ...(outcome.ced ? { ced: outcome.ced } : {}),
          },
          modelDir,
        };
      } catch (error) {
        if (controls.signal?.aborted) {
          await Promise.all(pending).catch(() => undefined);
          await record('cancelled');
          return { type: 'cancelled', jobId, lastCheckpoint: null };
        }
        throw error;
      } finally {
        if (owned) for (const b of backbones) b.dispose();
      }
    },
  );
}
