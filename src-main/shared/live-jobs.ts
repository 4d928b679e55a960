/**
 * The studio's background jobs while they run (`jobs:live`, and the shell's running-jobs
 * indicator): training runs, imports and curation, pre-labelling, backbone comparisons. One
 * record per job, and one reducer that keeps a list of them up to date from the events the jobs
 * already push. Main keeps its list of the jobs that are not runs with it (a reloaded page asks
 * for the list), and the page follows every job with it once it has the list. No Node imports.
 */
import { z } from 'zod';
import type { RunInfo, TrainingEventPayload } from './training';

export const LiveJobKind = z.enum(['run', 'import', 'prelabel', 'compare']);
export type LiveJobKind = z.infer<typeof LiveJobKind>;

export const LiveJob = z
  .object({
    /** The run id for a run, else the job id its events carry. */
    id: z.string().min(1).max(200),
    kind: LiveJobKind,
    /** What runs, in the user's words: `Fine-tune landmarks`, `Import`, `Pre-labelling`. */
    title: z.string(),
    status: z.enum(['queued', 'running', 'paused']),
    /** The stage of a job with several (an import's `detecting`, a comparison's backbone). */
    stage: z.string().nullable(),
    /** Steps (runs), images (imports, pre-labelling) or backbones (comparisons) done so far. */
    done: z.number().int().nonnegative(),
    /** How many in all; null while unknown. */
    total: z.number().int().nonnegative().nullable(),
    /** Seconds left at the current speed (paused time left out); null while unknown. */
    etaSeconds: z.number().nonnegative().nullable(),
  })
  .strict();
export type LiveJob = z.infer<typeof LiveJob>;

/** The payloads the reducer reads: the job events of the contract (`eventContract`). */
export type LiveJobEvent =
  | {
      channel: 'library:importProgress';
      payload: {
        jobId: string;
        stage: string;
        done: number;
        total: number;
        etaSeconds: number | null;
      };
    }
  | { channel: 'library:importDone'; payload: { jobId: string } }
  | {
      channel: 'labels:prelabelProgress';
      payload: { jobId: string; done: number; total: number; finished: boolean };
    }
  | {
      channel: 'models:compareProgress';
      payload: {
        jobId: string;
        task: string;
        progress: { backboneId: string; done: number; total: number; stage: string } | null;
        finished: boolean;
      };
    }
  | { channel: 'training:event'; payload: TrainingEventPayload };

/** What a run trains, in the user's words. */
export function runTitle(run: Pick<RunInfo, 'kind' | 'task'>): string {
  if (run.kind === 'pretrain') return 'Pre-training';
  return `Fine-tune ${run.task ?? ''}`.trim();
}

/** A run still queued, running or paused, as a live job; null once it has ended. */
export function liveRunJob(run: RunInfo): LiveJob | null {
  if (run.status !== 'queued' && run.status !== 'running' && run.status !== 'paused') return null;
  return {
    id: run.id,
    kind: 'run',
    title: runTitle(run),
    status: run.status,
    stage: null,
    done: run.step,
    total: run.totalSteps,
    etaSeconds: null,
  };
}

/** A run known only from its id (`finetune-20250101-…`), until its record is read. */
function runFromId(runId: string): LiveJob {
  return {
    id: runId,
    kind: 'run',
    title: runId.startsWith('pretrain') ? 'Pre-training' : 'Fine-tuning',
    status: 'queued',
    stage: null,
    done: 0,
    total: null,
    etaSeconds: null,
  };
}

/** Replaces the job with `id` by `next(current)` (or adds it, when `current` is absent). */
function put(
  jobs: readonly LiveJob[],
  id: string,
  next: (current: LiveJob | undefined) => LiveJob,
): LiveJob[] {
  const at = jobs.findIndex((job) => job.id === id);
  if (at === -1) return [...jobs, next(undefined)];
  const out = jobs.slice();
  out[at] = next(jobs[at]);
  return out;
}

function drop(jobs: readonly LiveJob[], id: string): LiveJob[] {
  return jobs.some((job) => job.id === id) ? jobs.filter((job) => job.id !== id) : [...jobs];
}

function applyRunEvent(jobs: readonly LiveJob[], { runId, event }: TrainingEventPayload) {
  const update = (change: (job: LiveJob) => Partial<LiveJob>) =>
    put(jobs, runId, (current) => {
      const job = current ?? runFromId(runId);
      return { ...job, ...change(job) };
    });
  switch (event.type) {
    case 'queued':
      return update(() => ({ status: 'queued' }));
    case 'started':
    case 'resumed':
      return update(() => ({ status: 'running' }));
    case 'paused':
      return update((job) => ({ status: 'paused', done: Math.max(job.done, event.step) }));
    case 'progress':
      return update(() => ({
        status: 'running',
        done: event.progress.step,
        total: event.progress.totalSteps,
        etaSeconds: Math.max(0, event.progress.etaSeconds),
      }));
    case 'validation':
    case 'checkpoint':
      return jobs.some((job) => job.id === runId) ? [...jobs] : update(() => ({}));
    case 'done':
    case 'failed':
    case 'cancelled':
      return drop(jobs, runId);
  }
}

/** The list after one job event: a new job joins, a known one moves on, an ended one leaves. */
export function applyLiveJobEvent(jobs: readonly LiveJob[], event: LiveJobEvent): LiveJob[] {
  switch (event.channel) {
    case 'training:event':
      return applyRunEvent(jobs, event.payload);
    case 'library:importProgress': {
      const p = event.payload;
      return put(jobs, p.jobId, (current) => ({
        id: p.jobId,
        kind: 'import',
        // Curation (`library:curate`) only detects faces; an import starts by scanning.
        title: current?.title ?? (p.stage === 'detecting' ? 'Face detection' : 'Import'),
        status: 'running',
        stage: p.stage,
        done: p.done,
        total: p.total > 0 ? p.total : null,
        etaSeconds: p.etaSeconds,
      }));
    }
    case 'library:importDone':
      return drop(jobs, event.payload.jobId);
    case 'labels:prelabelProgress': {
      const p = event.payload;
      if (p.finished) return drop(jobs, p.jobId);
      return put(jobs, p.jobId, () => ({
        id: p.jobId,
        kind: 'prelabel',
        title: 'Pre-labelling',
        status: 'running',
        stage: null,
        done: p.done,
        total: p.total,
        etaSeconds: null,
      }));
    }
    case 'models:compareProgress': {
      const p = event.payload;
      if (p.finished) return drop(jobs, p.jobId);
      return put(jobs, p.jobId, (current) => ({
        id: p.jobId,
        kind: 'compare',
        title: `Compare backbones (${p.task})`,
        status: 'running',
        stage: p.progress ? `${p.progress.stage} ${p.progress.backboneId}` : null,
        done: p.progress?.done ?? current?.done ?? 0,
        total: p.progress?.total ?? current?.total ?? null,
        etaSeconds: null,
      }));
    }
  }
}
