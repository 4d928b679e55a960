/**
 * What the renderer sees of training runs and models (Train and Models views): the records the
 * `training:*` and `models:*` channels carry. Runs and models describe themselves on disk
 * (runs/<id>/run.json, models/<id>/card.json; docs/ARCHITECTURE.md, "Files on disk"); main reads
 * them, so the training process never writes project.json. No Node imports: shared by all
 * processes.
 */
import { z } from 'zod';
import { FinetuneTaskName, ModelCard, ModelTask } from './model-card';
import { JobProgress, JobValidation, CedCurve } from './worker-protocol';

export const RunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'not a run id');
export const ModelId = RunId;
/** How a model leaves the project: its TF.js folder as it is, or model.onnx with the card. */
export const ModelExportFormat = z.enum(['tfjs', 'onnx']);
export type ModelExportFormat = z.infer<typeof ModelExportFormat>;

export const TrainingKind = z.enum(['pretrain', 'finetune']);
export type TrainingKind = z.infer<typeof TrainingKind>;
export { FinetuneTaskName };

export const RunStatus = z.enum(['queued', 'running', 'paused', 'done', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** One setting that differs between two runs' configs (values as JSON). */
export const ConfigChange = z
  .object({
    /** Dotted key (`augment.rotation`); `backbone` for the model the run started from. */
    key: z.string(),
    from: z.string(),
    to: z.string(),
  })
  .strict();
export type ConfigChange = z.infer<typeof ConfigChange>;

/** One run in the history list. */
export const RunInfo = z
  .object({
    id: RunId,
    kind: TrainingKind,
    /** Fine-tuning task; null for pre-training. */
    task: FinetuneTaskName.nullable(),
    status: RunStatus,
    createdAt: z.string(),
    updatedAt: z.string(),
    step: z.number().int().nonnegative(),
    totalSteps: z.number().int().nonnegative().nullable(),
    /** The last error of a failed run (a dead training process says so). */
    error: z.string().nullable(),
    /** True when a checkpoint exists, so a failed or cancelled run can resume. */
    resumable: z.boolean(),
    /** The model the run exported, once done. */
    modelId: ModelId.nullable(),
    /** Fine-tuning: the backbone model it started from; null = from scratch. */
    backboneId: ModelId.nullable(),
    /** The final metrics (fine-tuning), or null. */
    metrics: z.record(z.string(), z.number()).nullable(),
    /**
     * The history list's (`training:runs`): what its config changed from the previous run of the
     * same kind and task, so runs tell apart; null for the first such run. Absent elsewhere.
     */
    changes: z.array(ConfigChange).nullable().optional(),
  })
  .strict();
export type RunInfo = z.infer<typeof RunInfo>;

/** Everything the dashboard needs to redraw a run: on open, and to reattach to a running one. */
export const RunDetail = z
  .object({
    run: RunInfo,
    /** The resolved config (every default filled in), as saved in runs/<id>/config.json. */
    config: z.record(z.string(), z.unknown()),
    /** Logged steps, oldest first (thinned to at most 2000 points for long runs). */
    progress: z.array(JobProgress),
    /** Fine-tuning evaluations, oldest first. */
    validations: z.array(JobValidation),
    ced: CedCurve.nullable(),
  })
  .strict();
export type RunDetail = z.infer<typeof RunDetail>;

/** One field of the advanced form, generated from a config schema. */
export const ConfigField = z
  .object({
    /** Dotted key (`augment.rotation`). */
    key: z.string(),
    type: z.enum(['number', 'integer', 'boolean', 'enum', 'string', 'json']),
    /** The field's comment from the config schema. */
    help: z.string(),
    default: z.unknown(),
    min: z.number().optional(),
    max: z.number().optional(),
    options: z.array(z.string()).optional(),
    optional: z.boolean(),
  })
  .strict();
export type ConfigField = z.infer<typeof ConfigField>;

/** A model on the shelf. */
export const ModelInfo = z
  .object({
    id: ModelId,
    task: ModelTask,
    createdAt: z.string(),
    runId: z.string().nullable(),
    /** Bytes of model.json and weights. */
    sizeBytes: z.number().int().nonnegative(),
    card: ModelCard,
  })
  .strict();
export type ModelInfo = z.infer<typeof ModelInfo>;

/** A push about a run: the training process's job event for it, relayed by main. */
export const TrainingEventPayload = z
  .object({
    runId: RunId,
    event: z.discriminatedUnion('type', [
      z.object({ type: z.literal('queued'), position: z.number().int().nonnegative() }),
      z.object({ type: z.literal('started') }),
      z.object({ type: z.literal('progress'), progress: JobProgress }),
      z.object({ type: z.literal('validation'), validation: JobValidation }),
      z.object({ type: z.literal('paused'), step: z.number().int().nonnegative() }),
      z.object({ type: z.literal('resumed') }),
      z.object({ type: z.literal('checkpoint'), step: z.number().int().nonnegative() }),
      z.object({ type: z.literal('done'), run: RunInfo }),
      z.object({ type: z.literal('failed'), message: z.string(), run: RunInfo }),
      z.object({ type: z.literal('cancelled'), run: RunInfo }),
    ]),
  })
  .strict();
export type TrainingEventPayload = z.infer<typeof TrainingEventPayload>;
