/**
 * The one contract between the renderer and the main process (Electron IPC or the browser bridge).
 *
 * - `invokeContract`: every request channel (`domain:action`) with zod validators for its request
 *   and response. main validates each request before a handler sees it.
 * - `eventContract`: every push from main to the renderer, with its payload validator.
 *
 * The types `InvokeMap` and `EventMap` are derived from the validators, so a channel cannot exist
 * without a validator. No Node or Electron imports here.
 */
import { z } from 'zod';
import { BackendReport, Box, FaceAnnotation, ProjectSummary, RecentProject, Split } from './domain';
import {
  ExportFormat,
  ImportFaceCounts,
  ImportFormat,
  ImportPlacement,
  ImportStage,
  LibraryFilter,
  LibraryItem,
  LibraryStats,
  SplitFractions,
  UnconfirmedExport,
} from './library';
import { BackboneComparison, ComparisonProgress } from './backbone-comparison';
import { AttributeSchema, LandmarkSchema } from './schemas';
import { LiveJob } from './live-jobs';
import {
  ConfigField,
  FinetuneTaskName,
  ModelExportFormat,
  ModelId,
  ModelInfo,
  RunDetail,
  RunId,
  RunInfo,
  TrainingEventPayload,
  TrainingKind,
} from './training';

/** A folder path sent by the renderer; main resolves and confines it further. */
const DirPath = z.string().min(1).max(4096);
const ImageId = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex image id');
const Empty = z.object({}).strict();
const Count = z.number().int().nonnegative();
const JobId = z.string().min(1).max(100);

/** A regular expression typed by the user; its first group is the subject id. */
const SubjectPattern = z
  .string()
  .min(1)
  .max(200)
  .refine((text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

export const invokeContract = {
  'project:create': {
    request: z
      .object({
        dir: DirPath,
        name: z.string().trim().min(1).max(200),
        /**
         * A built-in schema's id, or a custom schema given whole (loaded from a file or made in
         * the schema editor); main checks a custom one again and writes it into the project.
         */
        landmarkSchema: z.union([z.string().min(1).max(100), LandmarkSchema]).default('ibug68'),
        attributeSchema: z.string().min(1).max(100).nullable().default(null),
      })
      .strict(),
    response: ProjectSummary,
  },
  'project:open': {
    request: z.object({ dir: DirPath }).strict(),
    response: ProjectSummary,
  },
  'project:close': { request: Empty, response: z.object({ closed: z.boolean() }) },
  'project:current': { request: Empty, response: ProjectSummary.nullable() },
  'project:recent': { request: Empty, response: z.array(RecentProject) },
  'project:forget': {
    request: z.object({ dir: DirPath }).strict(),
    response: z.array(RecentProject),
  },
  'library:list': {
    request: z
      .object({
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().min(1).max(2000).default(200),
        filter: LibraryFilter.default({}),
      })
      .strict(),
    response: z.object({ total: z.number().int().nonnegative(), items: z.array(LibraryItem) }),
  },
  'library:importFolder': {
    request: z
      .object({
        dir: DirPath,
        format: ImportFormat.default('images'),
        subjectPattern: SubjectPattern.optional(),
        /** Run face detection and near-duplicate flagging on the new images afterwards. */
        curate: z.boolean().default(false),
        /**
         * `images` only: import the files that decode and skip the others. Without it, one file
         * that cannot be decoded stops the import before anything is written, and the outcome
         * lists the bad files and how many good ones there are, so the user can choose.
         */
        skipBad: z.boolean().default(false),
        /** Labelled sets: replace faces the user changed with the file's labels (else kept). */
        overwriteLabels: z.boolean().default(false),
        /** The app's default: a project that does not depend on the source folder staying put. */
        placement: ImportPlacement.default('copy'),
      })
      .strict(),
    /** The import runs in the background; progress and the outcome come as events. */
    response: z.object({ jobId: JobId }),
  },
  'library:cancelImport': {
    request: z.object({ jobId: JobId }).strict(),
    /** False when no such job is running (it may have finished already). */
    response: z.object({ cancelled: z.boolean() }),
  },
  'library:setSplit': {
    request: z.object({ imageIds: z.array(ImageId).min(1).max(1_000_000), split: Split }).strict(),
    response: z.object({ updated: Count }),
  },
  /**
   * A person says these flagged images do show a face: the 'no-face' and 'tiny-face' flags go
   * (a near-duplicate stays flagged), and an image with no face box gets the whole image as one.
   */
  'library:keepFaces': {
    request: z.object({ imageIds: z.array(ImageId).min(1).max(1_000_000) }).strict(),
    response: z.object({ updated: Count }),
  },
  'library:assignSplits': {
    request: z
      .object({
        fractions: SplitFractions,
        seed: z.union([z.number().int(), z.string().max(100)]).default(0),
        subjectPattern: SubjectPattern.optional(),
      })
      .strict(),
    response: LibraryStats,
  },
  'library:stats': { request: Empty, response: LibraryStats },
  /**
   * Looks for every image's file now (a stat each, in batches) and remembers which are missing,
   * for the stats, the `missing` filter and the grid's badge.
   */
  'library:checkFiles': {
    request: Empty,
    response: z.object({
      total: Count,
      missing: Count,
      /** Up to 5 of the missing files, as the project records them. */
      examples: z.array(z.string()),
      /** Up to 5 folders the missing files were in, most missing first. */
      folders: z.array(z.string()),
    }),
  },
  'library:curate': {
    request: Empty,
    /** Face detection on images without a face record; progress and outcome come as events. */
    response: z.object({ jobId: JobId }),
  },
  'library:export': {
    request: z
      .object({
        format: ExportFormat,
        outDir: DirPath,
        unconfirmed: UnconfirmedExport.default('leave-out'),
      })
      .strict(),
    response: z.object({ outDir: z.string(), images: Count, faces: Count, files: Count }),
  },
  'labels:get': {
    request: z.object({ imageId: ImageId }).strict(),
    response: FaceAnnotation.nullable(),
  },
  /**
   * Saves a face over the one the page read: `baseRevision` is that face's `revision`, or null
   * when `labels:get` gave none. Someone else saved it since: refused with `conflict`, nothing
   * changes. The face's own `revision` is ignored.
   */
  'labels:save': {
    request: z.object({ face: FaceAnnotation, baseRevision: Count.nullable() }).strict(),
    /** `saved` is true once the edit is on disk (it may be debounced); `revision` is the face's now. */
    response: z.object({ saved: z.boolean(), revision: Count }),
  },
  /**
   * The template (`schema:template`'s) placed on one face: into `box` (else the face's stored box, else
   * a centred square), then fitted to the eyes and mouth corners a landmark net finds there.
   * `fit` says which happened; `why` says why the eyes were not used.
   */
  'labels:template': {
    request: z.object({ imageId: ImageId, box: Box.optional() }).strict(),
    response: z.object({
      /** Image px, one [x, y] per point in schema order. */
      points: z.array(z.tuple([z.number().finite(), z.number().finite()])),
      fit: z.enum(['eyes', 'box']),
      source: z.enum(['labelled', 'schema']),
      why: z.string().optional(),
    }),
  },
  /** The open project's schemas for the labeller (its meta's; no face is read). */
  'schema:get': {
    request: Empty,
    response: z.object({
      landmarks: LandmarkSchema,
      attributes: AttributeSchema.nullable(),
    }),
  },
  /**
   * The template the labeller drops into a face box and guesses the next point from: the mean of
   * this project's labelled faces when enough are, else the schema's own. Asked apart from
   * `schema:get` because it reads faces (a big project's labels.json, if not read yet).
   */
  'schema:template': {
    request: Empty,
    response: z.object({
      /** Box-normalised (0..1) mean shape, one [x, y] per point in schema order. */
      template: z.array(z.tuple([z.number().finite(), z.number().finite()])),
      /** `labelled`: the mean of this project's labelled faces; `schema`: the schema's own. */
      templateSource: z.enum(['labelled', 'schema']),
    }),
  },
  /**
   * Checks a custom landmark schema before a project is made with it: the text of a JSON file the
   * user chose (or of a schema made in the editor) and a name for it (`file`, the file's name),
   * which every problem in the answer's error names. Needs no open project.
   */
  'schema:checkLandmarks': {
    request: z.object({ file: z.string().min(1).max(300), text: z.string().max(900_000) }).strict(),
    response: LandmarkSchema,
  },
  /** The fields of the advanced form for a kind of run, from its config schema. */
  'training:configSchema': {
    request: z.object({ kind: TrainingKind, task: FinetuneTaskName.optional() }).strict(),
    response: z.object({
      fields: z.array(ConfigField),
      /** The config the one-click button uses for this project (sensible defaults). */
      defaults: z.record(z.string(), z.unknown()),
    }),
  },
  /**
   * Starts a run on the open project. `config` holds only the keys the user changed; the rest
   * come from the defaults. Fine-tuning uses the labelled faces of the train and val splits (the
   * test split scores the final model) and starts from `backboneId` (a backbone model) or scratch.
   */
  'training:start': {
    request: z
      .object({
        kind: TrainingKind,
        task: FinetuneTaskName.optional(),
        backboneId: ModelId.nullable().default(null),
        config: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    response: RunInfo,
  },
  'training:pause': { request: z.object({ runId: RunId }).strict(), response: RunInfo },
  /** Continues a paused run, or resumes a failed or cancelled one from its last checkpoint. */
  'training:resume': { request: z.object({ runId: RunId }).strict(), response: RunInfo },
  'training:cancel': { request: z.object({ runId: RunId }).strict(), response: RunInfo },
  /** The open project's runs, newest first. */
  'training:runs': { request: Empty, response: z.array(RunInfo) },
  'training:run': { request: z.object({ runId: RunId }).strict(), response: RunDetail },
  'models:list': { request: Empty, response: z.array(ModelInfo) },
  /**
   * Copies models/<id>/ (model.json, weights, card.json) into `outDir`/<id>/; with `format: 'onnx'`
   * writes model.onnx, card.json and the backbones' licence notices there instead.
   */
  'models:export': {
    request: z
      .object({ modelId: ModelId, outDir: DirPath, format: ModelExportFormat.optional() })
      .strict(),
    response: z.object({ dir: z.string(), files: Count }),
  },
  'models:delete': {
    request: z.object({ modelId: ModelId }).strict(),
    response: z.object({ deleted: z.boolean() }),
  },
  /**
   * Compares the face backbones the app offers on the open project's faces labelled for `task`:
   * each fitted on train, scored on val and test, side by side. Runs in the training process
   * (refused while it is busy); progress and the result come as `models:compareProgress`, and the
   * result is saved as the project's last comparison of the task.
   */
  'models:compareBackbones': {
    request: z.object({ task: FinetuneTaskName }).strict(),
    response: z.object({ jobId: JobId }),
  },
  'models:cancelCompare': {
    request: z.object({ jobId: JobId }).strict(),
    /** False when no such comparison is running (it may have finished already). */
    response: z.object({ cancelled: z.boolean() }),
  },
  /** The open project's last backbone comparison of `task`, or null when it has none. */
  'models:comparison': {
    request: z.object({ task: FinetuneTaskName }).strict(),
    response: BackboneComparison.nullable(),
  },
  /**
   * Model-assisted labelling with a landmarks model (or attributes / expression). One image: the
   * prediction comes back (`face`), nothing is saved; the labeller merges it. Several images (or
   * `unlabelled`: every image without a face annotation): a background job saves its predictions
   * to faces that have none, their points the model's and unconfirmed (`source: 'model'`), and
   * reports `labels:prelabelProgress`. A model whose card says it is no better than its baseline
   * (shared/model-quality.ts) is refused (`conflict`, naming the figures) unless `acceptNoBetter`:
   * the page asks the person first.
   */
  'labels:prelabel': {
    request: z
      .object({
        modelId: ModelId,
        target: z.union([z.object({ imageId: ImageId }).strict(), z.literal('unlabelled')]),
        acceptNoBetter: z.boolean().optional(),
      })
      .strict(),
    response: z.object({ face: FaceAnnotation.nullable(), jobId: JobId.nullable() }),
  },
  /**
   * The open project's background jobs still going: runs queued, running or paused, imports and
   * curation, pre-labelling, backbone comparisons. A page asks on load (a reload, a second
   * window), then follows them by their events.
   */
  'jobs:live': { request: Empty, response: z.array(LiveJob) },
  'system:info': {
    request: Empty,
    response: z.object({
      version: z.string(),
      /** `electron` in the desktop app, `browser` over the bridge. */
      mode: z.enum(['electron', 'browser']),
      backend: BackendReport.nullable(),
      backendError: z.string().nullable(),
    }),
  },
  'dialog:pickFolder': {
    request: z.object({ title: z.string().max(200).optional() }).strict(),
    /** null when the user cancelled or no native dialog exists (browser mode). */
    response: z.object({ dir: z.string().nullable(), supported: z.boolean() }),
  },
} as const;

export const eventContract = {
  'project:changed': ProjectSummary.nullable(),
  'labels:flushed': z.object({ count: z.number().int().nonnegative() }),
  /**
   * Faces written to disk (by any window, an import or pre-labelling), at their new revisions: a
   * page showing one of them at an older revision reloads it.
   */
  'labels:changed': z.object({
    faces: z.array(z.object({ imageId: ImageId, revision: Count })),
  }),
  'system:backend': BackendReport,
  /** A running import or curation job (`library:importFolder`, `library:curate`). */
  'library:importProgress': z.object({
    jobId: JobId,
    stage: ImportStage,
    done: Count,
    total: Count,
    /** Images per second. */
    rate: z.number().nonnegative(),
    /** Seconds left at the current rate; null until the rate is known. */
    etaSeconds: z.number().nonnegative().nullable(),
  }),
  /** A run's job event, relayed from the training process (also for runs started elsewhere). */
  'training:event': TrainingEventPayload,
  /** A running backbone comparison (`models:compareBackbones`). */
  'models:compareProgress': z.object({
    jobId: JobId,
    task: FinetuneTaskName,
    /** The latest step; null before the first backbone starts. */
    progress: ComparisonProgress.nullable(),
    /** Set once the job has ended. */
    finished: z.boolean(),
    /** The saved comparison, once finished well. */
    comparison: BackboneComparison.nullable(),
    /** Why it ended without one (failed, cancelled, the training process died). */
    error: z.string().optional(),
  }),
  'labels:prelabelProgress': z.object({
    jobId: JobId,
    done: Count,
    total: Count,
    /** Set once the job has ended. */
    finished: z.boolean(),
    error: z.string().optional(),
  }),
  'library:importDone': z.object({
    jobId: JobId,
    added: Count,
    duplicates: Count,
    /** Faces written to labels.json. */
    labelled: Count,
    /** Images flagged by curation (no face, tiny face, near-duplicate). */
    flagged: Count,
    /** Images face detection looked at; set when it ran. */
    curated: Count.optional(),
    /** What happened to each face of a labelled set (all zero for plain images). */
    faces: ImportFaceCounts,
    failed: z.array(z.object({ file: z.string(), reason: z.string() })),
    cancelled: z.boolean(),
    /** Set when the job stopped on an error (bad input: every problem, one per line). */
    error: z.string().optional(),
    /**
     * Set when an `images` import stopped on files it cannot decode (listed in `failed`): how
     * many new images would go in if the user chose to skip the bad ones (`skipBad`).
     */
    goodImages: Count.optional(),
  }),
} as const;

export type InvokeChannel = keyof typeof invokeContract;
export type EventChannel = keyof typeof eventContract;

/** Request type as the renderer writes it (defaults may be left out). */
export type RequestOf<C extends InvokeChannel> = z.input<(typeof invokeContract)[C]['request']>;
/** Request type as a handler receives it (after validation and defaults). */
export type ParsedRequestOf<C extends InvokeChannel> = z.output<
  (typeof invokeContract)[C]['request']
>;
export type ResponseOf<C extends InvokeChannel> = z.output<(typeof invokeContract)[C]['response']>;
export type EventPayload<E extends EventChannel> = z.output<(typeof eventContract)[E]>;

export const invokeChannels = Object.keys(invokeContract) as InvokeChannel[];
export const eventChannels = Object.keys(eventContract) as EventChannel[];

/** Errors cross the boundary as this shape; `code` lets the UI react without parsing text. */
export const IpcError = z.object({
  code: z.enum(['invalid-payload', 'not-found', 'forbidden', 'conflict', 'io', 'internal']),
  message: z.string(),
});
export type IpcError = z.infer<typeof IpcError>;

/** The result envelope every invoke returns, so errors keep their code across IPC. */
export type InvokeResult<C extends InvokeChannel> =
  { ok: true; value: ResponseOf<C> } | { ok: false; error: IpcError };

/** The typed surface the preload exposes as `window.studio` and the bridge client mirrors. */
export interface StudioApi {
  invoke<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<InvokeResult<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && Object.hasOwn(invokeContract, value);
}
