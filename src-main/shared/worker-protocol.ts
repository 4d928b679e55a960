/**
 * The protocol between the main process and the one long-lived training process
 * (docs/ARCHITECTURE.md, "Layers and processes").
 *
 * Both directions are discriminated unions on `type`. Each side validates what it *receives* with
 * the zod schemas below, so a message from a stale build or a bug is reported, never acted on.
 * To add a message, add one object to the union: the inferred types and the validators follow.
 *
 * Jobs: the process runs one job at a time from a FIFO queue. A job's messages carry its `jobId`;
 * its lifecycle is queued → started → (progress | paused | resumed | checkpoint)* → done | failed |
 * cancelled. The job's config travels as a plain object, parsed where it entered main; the training
 * process validates it once more on arrival (strictly, naming any bad key: this is a process
 * boundary), so a bad config comes back as `failed`.
 *
 * No Node or Electron imports: main, workers and tests share this module.
 */
import { z } from 'zod';
import { ComparisonProgress } from './backbone-comparison';
import { BackendReport, FaceAnnotation } from './domain';
import { FinetuneTaskName } from './model-card';

const JobId = z.string().min(1).max(200);

/** One logged training step (pre-training or fine-tuning). */
export const JobProgress = z
  .object({
    step: z.number().int().nonnegative(),
    totalSteps: z.number().int().nonnegative(),
    epoch: z.number().int().nonnegative(),
    loss: z.number(),
    /** Learning rate (fine-tuning: the head's). */
    lr: z.number(),
    /** Teacher EMA momentum; null when fine-tuning. */
    momentum: z.number().nullable(),
    /** Mean entropy of the teacher's prototype distribution; null when fine-tuning. */
    teacherEntropy: z.number().nullable(),
    imagesPerSec: z.number(),
    etaSeconds: z.number(),
    memory: z
      .object({
        rssBytes: z.number().nonnegative(),
        tensors: z.number().int().nonnegative(),
        tensorBytes: z.number().nonnegative(),
      })
      .strict(),
  })
  .strict();
export type JobProgress = z.infer<typeof JobProgress>;

/**
 * One line of a run's metrics.jsonl: the step's JobProgress, and what pre-training also measures
 * (its weight decay and teacher temperature schedules, and when the step was logged). Both jobs
 * write it through RunFolder.appendMetrics; the runs index reads it back as JobProgress.
 */
export const MetricsLine = JobProgress.extend({
  weightDecay: z.number().optional(),
  teacherTemperature: z.number().optional(),
  /** ISO time the step was logged. */
  time: z.string().optional(),
}).strict();
export type MetricsLine = z.infer<typeof MetricsLine>;

/** The cumulative error distribution of a landmark model: fraction of faces with NME ≤ x. */
export const CedCurve = z
  .object({ thresholds: z.array(z.number()), fractions: z.array(z.number()) })
  .strict();
export type CedCurve = z.infer<typeof CedCurve>;

/** One face's prediction drawn on the dashboard: points in image pixels, or class scores. */
export const SamplePrediction = z
  .object({
    imageId: z.string(),
    points: z.array(z.tuple([z.number(), z.number()])).optional(),
    truth: z.array(z.tuple([z.number(), z.number()])).optional(),
    scores: z.record(z.string(), z.number()).optional(),
  })
  .strict();
export type SamplePrediction = z.infer<typeof SamplePrediction>;

/** A fine-tuning evaluation on the validation split, at the end of an epoch. */
export const JobValidation = z
  .object({
    epoch: z.number().int().nonnegative(),
    step: z.number().int().nonnegative(),
    /** e.g. nme, failureRate, auc (landmarks); meanAccuracy (attributes); accuracy (expression). */
    metrics: z.record(z.string(), z.number()),
    /** The metric early stopping watches, and whether lower is better. */
    monitored: z.string(),
    lowerIsBetter: z.boolean(),
    improved: z.boolean(),
    /** A few validation faces (the same ones every time), for the dashboard. */
    samples: z.array(SamplePrediction).max(16),
  })
  .strict();
export type JobValidation = z.infer<typeof JobValidation>;

/** What a finished job produced. */
export const JobResult = z
  .object({
    step: z.number().int().nonnegative(),
    /** Loss of the last step, or null when the job ran no step (resumed at its end). */
    finalLoss: z.number().nullable(),
    /** Checksum of the exported weights (compares runs bit for bit). */
    checksum: z.string(),
    /** The last checkpoint file. */
    checkpoint: z.string().nullable(),
    /** Fine-tuning: the exported model's metrics on the test split (else validation), if any. */
    metrics: z.record(z.string(), z.number()).optional(),
    /** Landmark fine-tuning: the CED curve on the same faces. */
    ced: CedCurve.optional(),
  })
  .strict();
export type JobResult = z.infer<typeof JobResult>;

const jobEvent = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), jobId: JobId, ...shape }).strict();

/** Parent → training process. */
export const ToTrainingMessage = z.discriminatedUnion('type', [
  /** Asks the process to report its state again; it answers `ready` or `error`. */
  z.object({ type: z.literal('hello') }).strict(),
  /** Asks the process to exit cleanly (it finishes nothing; jobs are cancelled). */
  z.object({ type: z.literal('shutdown') }).strict(),
  /**
   * Queues a job; it starts when the jobs before it have ended.
   * - `pretrain`: the project's pool and train images with a face are the data.
   * - `finetune`: the project's labelled faces (train, val; test for the final metrics), starting
   *   from `backboneDir` when given.
   * - `prelabel`: runs the model in `modelDir` on `imageIds` and reports `prelabelled` faces.
   * - `compare`: the project's faces labelled for `task` through every offered face backbone,
   *   each fitted on train and scored on val and test; reports `compareProgress` and saves the
   *   comparison in the project before `done`.
   */
  z
    .object({
      type: z.literal('submit'),
      jobId: JobId,
      kind: z.enum(['pretrain', 'finetune', 'prelabel', 'compare']),
      projectDir: z.string().min(1),
      /** runs/<id>/ of that project: config.json, metrics.jsonl, checkpoints/ (not prelabel). */
      runDir: z.string().min(1),
      /** A PretrainConfigInput or FinetuneConfigInput; validated when the job starts. */
      config: z.record(z.string(), z.unknown()),
      /** Continue the run in `runDir` from its last checkpoint. */
      resume: z.boolean().optional(),
      /** finetune: models/<id>/ of a pre-trained backbone; absent = from scratch. */
      backboneDir: z.string().min(1).optional(),
      /** prelabel: models/<id>/ of a landmarks (or attributes, expression) model. */
      modelDir: z.string().min(1).optional(),
      /** prelabel: the images to predict. */
      imageIds: z.array(z.string()).max(1_000_000).optional(),
      /** compare: the task whose labelled faces the backbones are compared on. */
      task: FinetuneTaskName.optional(),
    })
    .strict(),
  /** Holds the job between steps (a queued job holds at its first step). */
  z.object({ type: z.literal('pause'), jobId: JobId }).strict(),
  z.object({ type: z.literal('resume'), jobId: JobId }).strict(),
  /** Cancels a queued job, or stops a running one after a checkpoint. */
  z.object({ type: z.literal('cancel'), jobId: JobId }).strict(),
]);
export type ToTrainingMessage = z.infer<typeof ToTrainingMessage>;

/** Training process → parent. */
export const FromTrainingMessage = z.discriminatedUnion('type', [
  /** The backend is chosen and initialised; the process accepts work. */
  z.object({ type: z.literal('ready'), backend: BackendReport }).strict(),
  /** Something failed in the process (e.g. a forced backend that does not load). */
  z.object({ type: z.literal('error'), message: z.string() }).strict(),
  /** `position`: how many jobs are ahead of it (0: it starts now). */
  jobEvent('queued', { position: z.number().int().nonnegative() }),
  jobEvent('started', { runDir: z.string() }),
  jobEvent('progress', { progress: JobProgress }),
  jobEvent('validation', { validation: JobValidation }),
  /**
   * prelabel: faces predicted so far (points `source: 'model'`, unconfirmed, with `uncertainty`);
   * `done` of `total` images. The parent saves them; the job never writes labels.
   */
  jobEvent('prelabelled', {
    faces: z.array(FaceAnnotation),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
  }),
  /** compare: which backbone is at work and how far it is. */
  jobEvent('compareProgress', { progress: ComparisonProgress }),
  jobEvent('paused', { step: z.number().int().nonnegative() }),
  jobEvent('resumed', {}),
  jobEvent('checkpoint', { step: z.number().int().nonnegative(), file: z.string() }),
  /** `modelDir`: models/<id>/ holding the exported model (null for prelabel). */
  jobEvent('done', { result: JobResult, modelDir: z.string().nullable() }),
  jobEvent('failed', { message: z.string(), lastCheckpoint: z.string().nullable() }),
  jobEvent('cancelled', { lastCheckpoint: z.string().nullable() }),
]);
export type FromTrainingMessage = z.infer<typeof FromTrainingMessage>;

/** The messages about one job (all but `ready` and `error`). */
export type JobEvent = Exclude<FromTrainingMessage, { type: 'ready' } | { type: 'error' }>;
export type SubmitJob = Extract<ToTrainingMessage, { type: 'submit' }>;

/** Describes why a received value is not a valid message, for logs and error events. */
export function describeInvalidMessage(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`)
    .join('; ');
}
