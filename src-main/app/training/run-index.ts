/**
 * The runs and models of a project as the Train and Models views see them, read from the folders
 * that describe themselves (docs/ARCHITECTURE.md, "Files on disk"): runs/<id>/ and models/<id>/,
 * whose layout engine/jobs/run-folder.ts owns. The training process writes those files; main only
 * reads them here, and marks a run failed when the process died under it (run-folder's
 * `patchRunRecord`).
 *
 * Reading is tolerant: a run whose run.json is missing or corrupt is listed as failed with the
 * reason, a bad line of a .jsonl file is skipped, and a model folder without a valid card.json is
 * left off the shelf (with its problem reported), so one broken folder never hides the others.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelCard } from '../../shared/model-card';
import {
  ModelId,
  RunId,
  type ModelInfo,
  type RunDetail,
  type RunInfo,
} from '../../shared/training';
import { CedCurve } from '../../shared/worker-protocol';
import { StudioError } from '../../shared/errors';
import {
  checkpointFile,
  modelsDir,
  RunFolder,
  runDir,
  runsDir,
  type RunRecordFile,
} from '../../engine/jobs/run-folder';
import { describeIssues } from '../../core/atomic-json-file';
import { withConfigChanges } from './config-changes';

/** Most points a run's loss curve carries to the dashboard (RunDetail.progress). */
export const MAX_PROGRESS_POINTS = 2000;

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

/** One run's RunInfo from its folder; never throws for a bad folder, it reports it failed. */
export async function readRunInfo(dir: string): Promise<RunInfo> {
  const id = path.basename(dir);
  const [{ record, problem }, hasCheckpoint, folder] = await Promise.all([
    new RunFolder(dir).readRecordFile(),
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

/**
 * Every run of the project, newest first, each with its config's changes from the previous run of
 * its kind and task (a project without runs/ has none).
 */
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
  const [runs, configs] = await Promise.all([
    Promise.all(dirs.map(readRunInfo)),
    Promise.all(dirs.map((dir) => new RunFolder(dir).readConfigIfAny())),
  ]);
  const configOf = new Map(dirs.map((dir, at) => [path.basename(dir), configs[at]!]));
  // Each with what its config changed since the previous such run: runs tell apart in the list.
  return withConfigChanges(runs.sort(newestFirst), configOf);
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
  const folder = new RunFolder(await requireRunDir(projectDir, runId));
  const [run, { record }, config] = await Promise.all([
    readRunInfo(folder.dir),
    folder.readRecordFile(),
    folder.readConfigIfAny(),
  ]);
  const [progress, validations] = await Promise.all([
    folder.readProgress(run.totalSteps),
    folder.readValidations(),
  ]);
  return {
    run,
    config,
    progress: thinPoints(progress),
    validations,
    ced: cedOf(record),
  };
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
