/**
 * The runs and models of a project as the Train and Models views see them, read from the folders
 * that describe themselves (DESIGN §6): runs/<id>/run.json, config.json, metrics.jsonl and
 * validation.jsonl; models/<id>/card.json. The training process writes those files; main only
 * reads them here, and marks a run failed when the process died under it (`patchRunRecord`).
 *
 * Reading is tolerant: a run whose run.json is missing or corrupt is listed as failed with the
 * reason, a bad line of a .jsonl file is skipped, and a model folder without a valid card.json is
 * left off the shelf (with its problem reported), so one broken folder never hides the others.
 */
import { createReadStream } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ModelCard } from '../../shared/model-card';
import {
  FinetuneTaskName,
  ModelId,
  RunId,
  RunStatus,
  TrainingKind,
  type ModelInfo,
  type RunDetail,
  type RunInfo,
} from '../../shared/training';
import { CedCurve, JobValidation, type JobProgress } from '../../shared/worker-protocol';
import { StudioError } from '../../shared/errors';
import { describeIssues } from '../../core/atomic-json-file';
import { writeFileAtomic } from '../../core/atomic-write';

/** Most points a run's loss curve carries to the dashboard (RunDetail.progress). */
export const MAX_PROGRESS_POINTS = 2000;

const RUN_FILE = 'run.json';
const COMMENTS_KEY = '$comments';

export function runsDir(projectDir: string): string {
  return path.join(projectDir, 'runs');
}
export function modelsDir(projectDir: string): string {
  return path.join(projectDir, 'models');
}
export function runDir(projectDir: string, runId: string): string {
  return path.join(runsDir(projectDir), RunId.parse(runId));
}
export function modelDir(projectDir: string, modelId: string): string {
  return path.join(modelsDir(projectDir), ModelId.parse(modelId));
}
/** Where pre-training and fine-tuning keep the checkpoint a run resumes from. */
export function checkpointFile(dir: string): string {
  return path.join(dir, 'checkpoints', 'latest.ckpt');
}

const optionalString = z.string().nullable().optional().catch(undefined);
const optionalCount = z.number().int().nonnegative().nullable().optional().catch(undefined);

/**
 * run.json as this reader accepts it: kind and status must be right (without them the run cannot
 * be shown); every other field falls back to "unknown" when absent or of the wrong type, so an
 * older or newer writer's record still lists.
 */
const RunRecordFile = z.looseObject({
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
type RunRecordFile = z.infer<typeof RunRecordFile>;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The numbers of a metrics object (a curve or a note inside it is not a metric). */
function numericMetrics(metrics: Record<string, unknown> | null | undefined) {
  if (!metrics) return null;
  const numbers = Object.entries(metrics).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number',
  );
  return numbers.length > 0 ? Object.fromEntries(numbers) : null;
}

function validModelId(value: string | null | undefined): string | null {
  return value && ModelId.safeParse(value).success ? value : null;
}

/** A run's record read from its folder; `problem` says why it could not be (then it is failed). */
interface ReadRun {
  record: RunRecordFile | null;
  problem: string | null;
}

async function readRunRecord(dir: string): Promise<ReadRun> {
  const file = path.join(dir, RUN_FILE);
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

/** One run's RunInfo from its folder; never throws for a bad folder, it reports it failed. */
export async function readRunInfo(dir: string): Promise<RunInfo> {
  const id = path.basename(dir);
  const [{ record, problem }, hasCheckpoint, folder] = await Promise.all([
    readRunRecord(dir),
    exists(checkpointFile(dir)),
    stat(dir).catch(() => null),
  ]);
  const folderTime = (folder?.mtime ?? new Date(0)).toISOString();
  const modelId =
    validModelId(record?.modelId) ??
    validModelId(record?.modelDir && path.basename(record.modelDir));
  return {
    id,
    // A record too broken to name its kind: the id's prefix (`finetune-…`) is the best guess.
    kind: record?.kind ?? (id.startsWith('finetune') ? 'finetune' : 'pretrain'),
    task: record?.task ?? null,
    status: record?.status ?? 'failed',
    createdAt: record?.createdAt ?? folderTime,
    updatedAt: record?.updatedAt ?? record?.createdAt ?? folderTime,
    step: record?.step ?? 0,
    totalSteps: record?.totalSteps ?? null,
    error: problem ?? record?.error ?? null,
    resumable: hasCheckpoint,
    modelId,
    backboneId: validModelId(record?.backboneId),
    metrics: numericMetrics(record?.metrics),
  };
}

/** Every run of the project, newest first (a project without runs/ has none). */
export async function listRuns(projectDir: string): Promise<RunInfo[]> {
  let entries;
  try {
    entries = await readdir(runsDir(projectDir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StudioError(
      'io',
      `${runsDir(projectDir)} cannot be read: ${(error as Error).message}`,
    );
  }
  const dirs = entries
    .filter((entry) => entry.isDirectory() && RunId.safeParse(entry.name).success)
    .map((entry) => path.join(runsDir(projectDir), entry.name));
  const runs = await Promise.all(dirs.map(readRunInfo));
  return runs.sort(newestFirst);
}

export function newestFirst(a: RunInfo, b: RunInfo): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** runs/<id>/ of an existing run; a StudioError `not-found` otherwise. */
export async function requireRunDir(projectDir: string, runId: string): Promise<string> {
  const dir = runDir(projectDir, runId);
  const folder = await stat(dir).catch(() => null);
  if (!folder?.isDirectory()) {
    throw new StudioError('not-found', `Run ${runId} does not exist in ${runsDir(projectDir)}`);
  }
  return dir;
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

function memoryOf(value: unknown): JobProgress['memory'] {
  const parsed = Memory.safeParse(value);
  return parsed.success ? parsed.data : NO_MEMORY;
}

/**
 * One metrics.jsonl line as a JobProgress. The file logs what each step measured (pre-training:
 * loss, lr, momentum, teacher entropy, images/s; fine-tuning: loss, lr, images/s); fields a line
 * lacks are filled so the dashboard draws one shape: totalSteps from the run, eta 0 (history).
 */
function progressOf(line: unknown, totalSteps: number | null): JobProgress | null {
  if (typeof line !== 'object' || line === null) return null;
  const l = line as Record<string, unknown>;
  const step = num(l.step);
  const loss = num(l.loss);
  if (step === null || loss === null || !Number.isInteger(step) || step < 0) return null;
  const total = num(l.totalSteps) ?? totalSteps ?? step;
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
    // The log keeps no memory figures; a history point reports none (the live event does).
    memory: memoryOf(l.memory),
  };
}

/**
 * At most `max` points, spread evenly over the run, the first and the last always kept, so a
 * long run's curve keeps its shape and its latest value.
 */
export function thinPoints<T>(points: readonly T[], max: number = MAX_PROGRESS_POINTS): T[] {
  if (points.length <= max) return [...points];
  if (max <= 1) return points.slice(-1);
  const out: T[] = [];
  const last = points.length - 1;
  for (let i = 0; i < max; i += 1) out.push(points[Math.round((i * last) / (max - 1))]!);
  return out;
}

/** config.json without its `$comments` (the run's resolved config); {} when there is none. */
async function readRunConfig(dir: string): Promise<Record<string, unknown>> {
  try {
    const raw = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
    const { [COMMENTS_KEY]: _comments, ...config } = raw as Record<string, unknown>;
    return config;
  } catch {
    return {};
  }
}

/** The CED curve of a landmark run: run.json's `ced`, else inside its `metrics` or `result`. */
function cedOf(record: RunRecordFile | null): CedCurve | null {
  if (!record) return null;
  const candidates = [
    record.ced,
    (record.metrics as Record<string, unknown> | null | undefined)?.ced,
    (record.result as Record<string, unknown> | undefined)?.ced,
  ];
  for (const candidate of candidates) {
    const parsed = CedCurve.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return null;
}

/** Everything the dashboard draws for a run, from its folder. */
export async function readRunDetail(projectDir: string, runId: string): Promise<RunDetail> {
  const dir = await requireRunDir(projectDir, runId);
  const [run, { record }, config] = await Promise.all([
    readRunInfo(dir),
    readRunRecord(dir),
    readRunConfig(dir),
  ]);
  const [progress, validations] = await Promise.all([
    readJsonLines(path.join(dir, 'metrics.jsonl'), (line) => progressOf(line, run.totalSteps)),
    readJsonLines(path.join(dir, 'validation.jsonl'), (line) => {
      const parsed = JobValidation.safeParse(line);
      return parsed.success ? parsed.data : null;
    }),
  ]);
  return {
    run,
    config,
    progress: thinPoints(progress),
    validations,
    ced: cedOf(record),
  };
}

/**
 * Rewrites run.json with `patch` over what it holds (a record too broken to read is replaced),
 * atomically. Used by main when a run ended without its job writing so (a dead training process,
 * a job cancelled before it started).
 */
export async function patchRunRecord(dir: string, patch: Record<string, unknown>): Promise<void> {
  const file = path.join(dir, RUN_FILE);
  let current: Record<string, unknown> = {};
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      current = raw as Record<string, unknown>;
    }
  } catch {
    // Missing or corrupt: the patch becomes the record.
  }
  const next = {
    id: path.basename(dir),
    ...current,
    ...patch,
    updatedAt: new Date().toISOString(),
  };
  await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
}

/** Total bytes of the files under `dir` (the model's graph and weights), card.json aside. */
async function folderBytes(dir: string, top = true): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(file, false);
    else if (entry.isFile() && !(top && entry.name === 'card.json')) {
      total += (await stat(file)).size;
    }
  }
  return total;
}

/** One model folder as the shelf shows it; throws a StudioError naming what is wrong. */
export async function readModelInfo(dir: string): Promise<ModelInfo> {
  const id = path.basename(dir);
  const file = path.join(dir, 'card.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'it is missing' : (error as Error).message;
    throw new StudioError('not-found', `${file} cannot be read: ${reason}`);
  }
  const card = ModelCard.safeParse(raw);
  if (!card.success) {
    throw new StudioError(
      'invalid-payload',
      `${file} is not a model card: ${describeIssues(card.error)}`,
    );
  }
  return {
    id,
    task: card.data.task,
    createdAt: card.data.createdAt,
    runId: card.data.runId,
    sizeBytes: await folderBytes(dir),
    card: card.data,
  };
}

export interface ModelShelf {
  models: ModelInfo[];
  /** Folders left off, with why (no card.json, a card of another shape). */
  problems: string[];
}

/** The project's models with a valid card.json, newest first. */
export async function listModels(projectDir: string): Promise<ModelShelf> {
  let entries;
  try {
    entries = await readdir(modelsDir(projectDir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { models: [], problems: [] };
    throw new StudioError(
      'io',
      `${modelsDir(projectDir)} cannot be read: ${(error as Error).message}`,
    );
  }
  const dirs = entries
    .filter((entry) => entry.isDirectory() && ModelId.safeParse(entry.name).success)
    .map((entry) => path.join(modelsDir(projectDir), entry.name));
  const read = await Promise.allSettled(dirs.map(readModelInfo));
  const models: ModelInfo[] = [];
  const problems: string[] = [];
  for (const result of read) {
    if (result.status === 'fulfilled') models.push(result.value);
    else problems.push((result.reason as Error).message);
  }
  models.sort((a, b) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.id < b.id ? 1 : -1,
  );
  return { models, problems };
}
