/**
 * The one owner of a training run's files and of the project's models folder (docs/ARCHITECTURE.md,
 * "Files on disk"): every reader and writer of them goes through this module, so their names and
 * shapes are spelled here only.
 *
 * A run is runs/<id>/ of a project, with
 * - config.json: the resolved config (every default filled in), written when the run starts, with
 *   each key's description under `$comments` (dropped on read, so the file is a valid --config);
 * - metrics.jsonl: one MetricsLine per logged step;
 * - validation.jsonl (fine-tuning): one JobValidation line per evaluation;
 * - checkpoints/latest.ckpt: written by the loop every N steps and at cancel;
 * - run.json: status, step, last checkpoint and the exported model (the runs index: main lists
 *   runs from these files, so the job rewrites it, atomically, on every change of status).
 * A run's model is exported to models/<run id>/ (with its card.json).
 *
 * The last backbone comparison of each task sits beside the models, as one file
 * (models/backbone-comparison.<task>.json; a file, so the shelf, which lists folders, never takes it
 * for a model), rewritten atomically by each new comparison.
 *
 * Run ids are `<kind>-YYYYMMDD-HHMMSSmmm-xxxx` (newRunId). Older projects hold ids with a second
 * stamp (`<kind>-YYYYMMDD-HHMMSS-xxxx`); readers take any name RunId accepts.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { describeIssues } from '../../core/atomic-json-file';
import { writeFileAtomic } from '../../core/atomic-write';
import { MODELS_FOLDER, RUNS_FOLDER } from '../../core/project-store';
import { BackboneComparison } from '../../shared/backbone-comparison';
import type { RunSummary } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { FinetuneTaskName, RunId, RunStatus, TrainingKind } from '../../shared/training';
import {
  JobValidation,
  type CedCurve,
  type JobProgress,
  type MetricsLine,
} from '../../shared/worker-protocol';
import { pretrainConfigComments } from '../pretrain/pretrain-config';
import { latestCheckpointFile } from '../model/tensor-record';

/** The key of config.json that holds the descriptions of the other keys. */
export const COMMENTS_KEY = '$comments';
const CONFIG_FILE = 'config.json';
const RECORD_FILE = 'run.json';
const METRICS_FILE = 'metrics.jsonl';
const VALIDATION_FILE = 'validation.jsonl';
const CHECKPOINT_FOLDER = 'checkpoints';

export function runsDir(projectDir: string): string {
  return path.join(projectDir, RUNS_FOLDER);
}
export function modelsDir(projectDir: string): string {
  return path.join(projectDir, MODELS_FOLDER);
}
/** `id` when it names a folder of its own (no path, no `..`); a StudioError otherwise. */
function folderName(id: string, what: 'run' | 'model'): string {
  if (RunId.safeParse(id).success) return id;
  throw new StudioError(
    'invalid-payload',
    `${JSON.stringify(id)} is not a ${what} id: letters, digits, '.', '_' and '-' only, up to 100`,
  );
}

/** runs/<id>/ of a project; an id that is not one folder's name (a path, `..`) throws. */
export function runDir(projectDir: string, runId: string): string {
  return path.join(runsDir(projectDir), folderName(runId, 'run'));
}
/** models/<id>/ of a project; an id that is not one folder's name throws. */
export function modelDir(projectDir: string, modelId: string): string {
  return path.join(modelsDir(projectDir), folderName(modelId, 'model'));
}
/** models/backbone-comparison.<task>.json: the project's last backbone comparison of `task`. */
export function comparisonFile(projectDir: string, task: FinetuneTaskName): string {
  return path.join(
    modelsDir(projectDir),
    `backbone-comparison.${FinetuneTaskName.parse(task)}.json`,
  );
}

/** Saves a comparison as the project's last of its task (atomically). */
export async function writeComparison(
  projectDir: string,
  comparison: BackboneComparison,
): Promise<string> {
  const file = comparisonFile(projectDir, comparison.task);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(comparison, null, 2)}\n`);
  return file;
}

/**
 * The project's last comparison of `task`; null when there is none. A file that is there but is
 * not a comparison is an error naming it and what is wrong.
 */
export async function readComparison(
  projectDir: string,
  task: FinetuneTaskName,
): Promise<BackboneComparison | null> {
  const file = comparisonFile(projectDir, task);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StudioError('io', `${file} cannot be read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StudioError(
      'invalid-payload',
      `${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const parsed = BackboneComparison.safeParse(raw);
  if (!parsed.success)
    throw new StudioError(
      'invalid-payload',
      `${file} is not a backbone comparison: ${describeIssues(parsed.error)}`,
    );
  return parsed.data;
}

/** Where pre-training and fine-tuning keep the checkpoint a run in `dir` resumes from. */
export function checkpointFile(dir: string): string {
  return latestCheckpointFile(path.join(dir, CHECKPOINT_FOLDER));
}

/**
 * A new run's id, `<kind>-YYYYMMDD-HHMMSSmmm-xxxx` (`pretrain-20250101-120000123-ab12`): sorts by
 * start time within a kind, and two runs started in the same millisecond still differ.
 */
export function newRunId(kind: string, now: Date = new Date()): string {
  const iso = now.toISOString(); // 2025-01-01T12:00:00.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 23).replace(/[:.]/g, '')}`;
  return `${kind}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** What this module reads of a zod 4 schema's definition. */
interface SchemaDef {
  type: string;
  innerType?: SchemaLike;
  shape?: Record<string, SchemaLike>;
}
interface SchemaLike {
  description?: string;
  def: unknown;
}

/**
 * The `.describe()` texts of a config schema's keys, nested objects as dotted keys
 * (`augment.rotation`), for config.json's `$comments`.
 */
export function configComments(schema: SchemaLike, prefix = ''): Record<string, string> {
  let def = schema.def as SchemaDef;
  while (def.innerType && ['default', 'optional', 'nullable', 'prefault'].includes(def.type))
    def = def.innerType.def as SchemaDef;
  const out: Record<string, string> = {};
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (field.description) out[name] = field.description;
    Object.assign(out, configComments(field, name));
  }
  return out;
}

export function withoutComments(config: Record<string, unknown>): Record<string, unknown> {
  const { [COMMENTS_KEY]: _comments, ...rest } = config;
  return rest;
}

export interface RunRecord extends RunSummary {
  updatedAt: string;
  step: number;
  lastCheckpoint: string | null;
  /** Steps the run will take (fine-tuning: after maxSteps); null before it is known. */
  totalSteps?: number | null;
  /** Fine-tuning: what the head predicts. */
  task?: 'landmarks' | 'attributes' | 'expression';
  /** Fine-tuning: the backbone model it started from; null = from scratch. */
  backboneId?: string | null;
  /** models/<id>/ holding the exported model, once done, and its id. */
  modelDir?: string;
  modelId?: string;
  finalLoss?: number | null;
  /** Fine-tuning: the final metrics (test split, else validation), once done. */
  metrics?: Record<string, number> | null;
  /** Landmark fine-tuning: the CED curve on the same faces. */
  ced?: CedCurve | null;
}

const optionalString = z.string().nullable().optional().catch(undefined);
const optionalCount = z.number().int().nonnegative().nullable().optional().catch(undefined);

/**
 * run.json as it is read back: kind and status must be right (without them the run cannot be
 * shown); every other field falls back to "unknown" when absent or of the wrong type, so an older
 * or newer writer's record still lists.
 */
export const RunRecordFile = z.looseObject({
  kind: TrainingKind,
  status: RunStatus,
  createdAt: optionalString,
  updatedAt: optionalString,
  step: optionalCount,
  totalSteps: optionalCount,
  task: FinetuneTaskName.nullable().optional().catch(undefined),
  backboneId: optionalString,
  modelId: optionalString,
  /** models/<id>/ of the exported model (older records give only this). */
  modelDir: optionalString,
  lastCheckpoint: optionalString,
  error: optionalString,
  metrics: z.record(z.string(), z.unknown()).nullable().optional().catch(undefined),
  ced: z.unknown().optional(),
});
export type RunRecordFile = z.infer<typeof RunRecordFile>;

/** A run's record read from its folder; `problem` says why it could not be (then it is null). */
export interface ReadRunRecord {
  record: RunRecordFile | null;
  problem: string | null;
}

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

const NO_MEMORY = { rssBytes: 0, tensors: 0, tensorBytes: 0 };
const Memory = z
  .object({
    rssBytes: z.number().nonnegative(),
    tensors: z.number().int().nonnegative(),
    tensorBytes: z.number().nonnegative(),
  })
  .strict();

/**
 * One metrics.jsonl line as the JobProgress it logged. Lines written before MetricsLine (a
 * pre-training line had no totalSteps, ETA or memory) are filled so the dashboard draws one shape:
 * totalSteps from the run, eta 0 (history), no memory figures.
 */
export function progressOfLine(line: unknown, totalSteps: number | null): JobProgress | null {
  if (typeof line !== 'object' || line === null) return null;
  const l = line as Record<string, unknown>;
  const step = num(l.step);
  const loss = num(l.loss);
  if (step === null || loss === null || !Number.isInteger(step) || step < 0) return null;
  const total = num(l.totalSteps) ?? totalSteps ?? step;
  const memory = Memory.safeParse(l.memory);
  return {
    step,
    totalSteps: Math.max(0, Math.round(total)),
    epoch: Math.max(0, Math.round(num(l.epoch) ?? 0)),
    loss,
    lr: num(l.lr) ?? 0,
    momentum: num(l.momentum),
    teacherEntropy: num(l.teacherEntropy),
    imagesPerSec: num(l.imagesPerSec) ?? 0,
    etaSeconds: Math.max(0, num(l.etaSeconds) ?? 0),
    memory: memory.success ? memory.data : NO_MEMORY,
  };
}

/** Reads a JSON-lines file line by line (yielding between chunks); bad lines are skipped. */
async function readJsonLines<T>(file: string, parse: (value: unknown) => T | null): Promise<T[]> {
  const out: T[] = [];
  let stream;
  try {
    await access(file);
    stream = createReadStream(file, { encoding: 'utf8' });
  } catch {
    return out;
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a line cut short by a kill
    }
    const parsed = parse(value);
    if (parsed !== null) out.push(parsed);
  }
  return out;
}

export class RunFolder {
  /** Appends run one after another, so log lines land in the order they were asked for even
   * when callers do not await each one (concurrent appendFile calls may finish in any order). */
  private appends: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {}

  /** runs/<runId>/ of a project. */
  static of(projectDir: string, runId: string): RunFolder {
    return new RunFolder(runDir(projectDir, runId));
  }

  get id(): string {
    return path.basename(this.dir);
  }
  get checkpointDir(): string {
    return path.join(this.dir, CHECKPOINT_FOLDER);
  }
  get checkpointFile(): string {
    return checkpointFile(this.dir);
  }
  get configFile(): string {
    return path.join(this.dir, CONFIG_FILE);
  }
  get recordFile(): string {
    return path.join(this.dir, RECORD_FILE);
  }
  get metricsFile(): string {
    return path.join(this.dir, METRICS_FILE);
  }
  get validationFile(): string {
    return path.join(this.dir, VALIDATION_FILE);
  }

  async create(): Promise<void> {
    await mkdir(this.checkpointDir, { recursive: true });
  }

  /** The resolved config with `comments` (by key; default: pre-training's) beside it. */
  async writeConfig(
    config: object,
    comments: Record<string, string> = pretrainConfigComments(),
  ): Promise<void> {
    const file = { ...config, [COMMENTS_KEY]: comments };
    await writeFileAtomic(this.configFile, `${JSON.stringify(file, null, 2)}\n`);
  }

  /** The saved config, for a resume; a StudioError `not-found` when it cannot be read. */
  async readConfig(): Promise<Record<string, unknown>> {
    const file = this.configFile;
    try {
      return withoutComments(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>);
    } catch (error) {
      throw new StudioError(
        'not-found',
        `Run ${this.dir} cannot be resumed: ${file} cannot be read (${(error as Error).message})`,
      );
    }
  }

  /** The saved config as the dashboard shows it; {} when there is none (or it is broken). */
  async readConfigIfAny(): Promise<Record<string, unknown>> {
    try {
      const raw = JSON.parse(await readFile(this.configFile, 'utf8')) as unknown;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
      return withoutComments(raw as Record<string, unknown>);
    } catch {
      return {};
    }
  }

  appendMetrics(line: MetricsLine): Promise<void> {
    return this.appendInOrder(this.metricsFile, `${JSON.stringify(line)}\n`);
  }

  appendValidation(line: JobValidation): Promise<void> {
    return this.appendInOrder(this.validationFile, `${JSON.stringify(line)}\n`);
  }

  /** metrics.jsonl as JobProgress points (see progressOfLine); bad lines are skipped. */
  readProgress(totalSteps: number | null): Promise<JobProgress[]> {
    return readJsonLines(this.metricsFile, (line) => progressOfLine(line, totalSteps));
  }

  /** validation.jsonl's valid lines. */
  readValidations(): Promise<JobValidation[]> {
    return readJsonLines(this.validationFile, (line) => {
      const parsed = JobValidation.safeParse(line);
      return parsed.success ? parsed.data : null;
    });
  }

  private appendInOrder(file: string, text: string): Promise<void> {
    const done = this.appends.then(() => appendFile(file, text));
    this.appends = done.catch(() => undefined); // a failed append is its caller's to report
    return done;
  }

  /** On resume: drops lines logged after the checkpoint, which the resumed run logs again. */
  async truncateMetrics(afterStep: number, file = this.metricsFile): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const kept = text
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          return (JSON.parse(line) as { step: number }).step <= afterStep;
        } catch {
          return false; // a line cut short by a kill
        }
      })
      .map((line) => `${line}\n`)
      .join('');
    await writeFile(file, kept);
  }

  /** run.json as last written, with why it cannot be read when it cannot (then record is null). */
  async readRecordFile(): Promise<ReadRunRecord> {
    const file = this.recordFile;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'it is missing' : (error as Error).message;
      return { record: null, problem: `${file} cannot be read: ${reason}` };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return {
        record: null,
        problem: `${file} is corrupt: not valid JSON (${(error as Error).message})`,
      };
    }
    const parsed = RunRecordFile.safeParse(raw);
    if (!parsed.success) {
      return {
        record: null,
        problem: `${file} is not a run record: ${describeIssues(parsed.error)}`,
      };
    }
    return { record: parsed.data, problem: null };
  }

  /** run.json as last written, or null when there is none (or it cannot be read). */
  async readRecord(): Promise<RunRecordFile | null> {
    return (await this.readRecordFile()).record;
  }

  /** Replaces run.json with `record` (the job's writes: it knows the whole record). */
  async writeRecord(record: RunRecord): Promise<void> {
    await this.writeRecordFile(record);
  }

  /**
   * Rewrites run.json with `patch` over what it holds (a record too broken to read is replaced).
   * Main's writes, when a run ended without its job writing so (a dead training process, a job
   * cancelled before it started), and the record of a run queued before its job starts.
   */
  async patchRecord(patch: Record<string, unknown>): Promise<void> {
    let current: Record<string, unknown> = {};
    try {
      const raw = JSON.parse(await readFile(this.recordFile, 'utf8')) as unknown;
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
        current = raw as Record<string, unknown>;
      }
    } catch {
      // Missing or corrupt: the patch becomes the record.
    }
    await this.writeRecordFile({
      id: this.id,
      ...current,
      ...patch,
      updatedAt: new Date().toISOString(),
    });
  }

  /** The one writer of run.json: whole, atomically, so a reader never sees half a record. */
  private async writeRecordFile(record: object): Promise<void> {
    await writeFileAtomic(this.recordFile, `${JSON.stringify(record, null, 2)}\n`);
  }
}

/** Rewrites run.json of the run in `dir` with `patch` over what it holds (RunFolder.patchRecord). */
export function patchRunRecord(dir: string, patch: Record<string, unknown>): Promise<void> {
  return new RunFolder(dir).patchRecord(patch);
}
