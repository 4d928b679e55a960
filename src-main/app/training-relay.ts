/**
 * Main's side of training (docs/ARCHITECTURE.md, "Layers and processes"): main only relays. It
 * names each run, makes its folder, submits the job to the one training process (TrainingHost) and
 * forwards the job's events to every window as `training:event`. What a run is lives on disk
 * (runs/<id>/, written by the job); the relay adds only what the disk cannot know yet: which runs
 * are live right now, and where they stand (queued, running, paused, the latest step).
 *
 * When the training process dies mid-job, the job cannot record its own end: the relay marks each
 * of its live runs failed in run.json with the exit, and pushes the failed event. Such a run (or a
 * cancelled one) resumes from its last checkpoint on `resume`, which starts the process again.
 *
 * Jobs that are not runs (pre-labelling, backbone comparisons) go through `submitTask`, so they are tracked, and told of
 * a dead process, in the same way.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { listRuns, readRunDetail, readRunInfo, requireRunDir } from './training/run-index';
import {
  checkpointFile,
  modelDir,
  newRunId,
  patchRunRecord,
  runDir as runDirOf,
} from '../engine/jobs/run-folder';
import { StudioError, toIpcError } from '../shared/errors';
import type { EventPayload } from '../shared/ipc-contract';
import type {
  FinetuneTaskName,
  RunDetail,
  RunInfo,
  RunStatus,
  TrainingKind,
} from '../shared/training';
import type { JobEvent, JobProgress, SubmitJob } from '../shared/worker-protocol';
import type { TrainingHost, TrainingHostEvent } from './training-host';

export type TrainingEventSink = (payload: EventPayload<'training:event'>) => void;

export interface StartRunRequest {
  kind: TrainingKind;
  task: FinetuneTaskName | null;
  backboneId: string | null;
  /**
   * The config, parsed where it entered (engine/jobs/run-config.ts); it travels as a plain object
   * and the training process checks it once at its boundary.
   */
  config: Record<string, unknown>;
}

/** How a task (a job that is not a run) learns that the process died under it. */
export type TaskEvent = JobEvent | { type: 'exit'; message: string };

type Terminal = 'done' | 'failed' | 'cancelled';
const TERMINAL: readonly RunStatus[] = ['done', 'failed', 'cancelled'];

export const INTERRUPTED_MESSAGE =
  'The run was interrupted: it is not running in this studio (the app or its training process stopped while it ran)';

interface LiveRun {
  kind: 'run';
  jobId: string;
  projectDir: string;
  dir: string;
  /** Model ids the job reads (its backbone); a model in use cannot be deleted. */
  uses: string[];
  status: 'queued' | 'running' | 'paused' | Terminal;
  step: number;
  totalSteps: number | null;
  resumable: boolean;
  lastProgress: JobProgress | null;
  error: string | null;
}

interface LiveTask {
  kind: 'task';
  jobId: string;
  projectDir: string;
  uses: string[];
  onEvent: (event: TaskEvent) => void;
}

type Live = LiveRun | LiveTask;

function exitMessage(event: Extract<TrainingHostEvent, { type: 'exit' }>): string {
  const how = event.signal ? `signal ${event.signal}` : `code ${event.code}`;
  return event.expected
    ? `The training process was shut down (${how})`
    : `The training process exited (${how})`;
}

export class TrainingRelay {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly host: TrainingHost,
    private readonly emit: TrainingEventSink,
  ) {
    host.on((event) => this.onHostEvent(event));
  }

  /** Names a new run, writes its folder (status queued) and submits it. */
  async start(projectDir: string, request: StartRunRequest): Promise<RunInfo> {
    const runId = newRunId(request.kind);
    const dir = runDirOf(projectDir, runId);
    await mkdir(dir, { recursive: true });
    await this.submitRun(
      projectDir,
      dir,
      {
        kind: request.kind,
        config: request.config,
        backboneId: request.backboneId,
        resume: false,
      },
      {
        kind: request.kind,
        task: request.task,
        backboneId: request.backboneId,
        status: 'queued',
        createdAt: new Date().toISOString(),
        step: 0,
        lastCheckpoint: null,
      },
    );
    return this.info(projectDir, runId);
  }

  async pause(projectDir: string, runId: string): Promise<RunInfo> {
    this.host.pause(this.requireLive(projectDir, runId, 'paused').jobId);
    return this.info(projectDir, runId);
  }

  async cancel(projectDir: string, runId: string): Promise<RunInfo> {
    this.host.cancel(this.requireLive(projectDir, runId, 'cancelled').jobId);
    return this.info(projectDir, runId);
  }

  /**
   * A live run (paused, or asked to pause before it held) continues; a failed or cancelled one
   * with a checkpoint is submitted again to continue from it, starting the process if it died.
   */
  async resume(projectDir: string, runId: string): Promise<RunInfo> {
    const live = this.liveRun(projectDir, runId);
    if (live) {
      if (TERMINAL.includes(live.status)) {
        throw new StudioError('conflict', `Run ${runId} is ending; try again in a moment`);
      }
      this.host.resume(live.jobId);
      return this.info(projectDir, runId);
    }
    const info = await this.info(projectDir, runId);
    if (info.status === 'done') {
      throw new StudioError('conflict', `Run ${runId} has finished; there is nothing to resume`);
    }
    if (!info.resumable) {
      throw new StudioError(
        'conflict',
        `Run ${runId} cannot resume: it has no checkpoint (${checkpointFile(runDirOf(projectDir, runId))}); start a new run`,
      );
    }
    await this.submitRun(
      projectDir,
      runDirOf(projectDir, runId),
      { kind: info.kind, config: {}, backboneId: info.backboneId, resume: true },
      { status: 'queued', error: null },
    );
    return this.info(projectDir, runId);
  }

  /** The project's runs, newest first, with live ones as they stand now. */
  async runs(projectDir: string): Promise<RunInfo[]> {
    return (await listRuns(projectDir)).map((run) => this.overlay(projectDir, run));
  }

  /** Everything so far, for a dashboard opening or reattaching to a run (after a reload). */
  async detail(projectDir: string, runId: string): Promise<RunDetail> {
    const detail = await readRunDetail(projectDir, runId);
    const live = this.liveRun(projectDir, runId);
    const run = this.overlay(projectDir, detail.run);
    // metrics.jsonl is appended asynchronously by the job: the latest event may be ahead of it.
    const last = live?.lastProgress;
    const progress =
      last && (detail.progress.at(-1)?.step ?? -1) < last.step
        ? [...detail.progress, last]
        : detail.progress;
    return { ...detail, run, progress };
  }

  async info(projectDir: string, runId: string): Promise<RunInfo> {
    return this.overlay(projectDir, await readRunInfo(await requireRunDir(projectDir, runId)));
  }

  /** Whether a live job of this project reads or writes models/<modelId>/. */
  modelInUse(projectDir: string, modelId: string): boolean {
    for (const job of this.live.values()) {
      if (job.projectDir !== projectDir) continue;
      if (job.uses.includes(modelId) || (job.kind === 'run' && job.jobId === modelId)) return true;
    }
    return false;
  }

  /** The live job the training process is busy with (runs first), or null when it is idle. */
  busyWith(): { jobId: string; what: string } | null {
    const jobs = [...this.live.values()];
    const run = jobs.find((job) => job.kind === 'run');
    if (run) return { jobId: run.jobId, what: `run ${run.jobId}` };
    const task = jobs[0];
    return task ? { jobId: task.jobId, what: `job ${task.jobId}` } : null;
  }

  /**
   * Submits a job that is not a run (pre-labelling); its events, and the process's death, go to
   * `onEvent` until it ends.
   */
  async submitTask(
    projectDir: string,
    job: Omit<SubmitJob, 'type'>,
    uses: string[],
    onEvent: (event: TaskEvent) => void,
  ): Promise<void> {
    this.live.set(job.jobId, { kind: 'task', jobId: job.jobId, projectDir, uses, onEvent });
    try {
      await this.host.submit(job);
    } catch (error) {
      this.live.delete(job.jobId);
      throw error;
    }
  }

  /** Cancels a live task (not a run) of this project; false when there is none by that id. */
  cancelTask(projectDir: string, jobId: string): boolean {
    const job = this.live.get(jobId);
    if (job?.kind !== 'task' || job.projectDir !== projectDir) return false;
    this.host.cancel(jobId);
    return true;
  }

  private async submitRun(
    projectDir: string,
    dir: string,
    job: {
      kind: TrainingKind;
      config: Record<string, unknown>;
      backboneId: string | null;
      resume: boolean;
    },
    /** What run.json says until the job writes its own record. */
    record: Record<string, unknown>,
  ): Promise<void> {
    const runId = path.basename(dir);
    const entry: LiveRun = {
      kind: 'run',
      jobId: runId,
      projectDir,
      dir,
      uses: job.backboneId ? [job.backboneId] : [],
      status: 'queued',
      step: 0,
      totalSteps: null,
      resumable: false,
      lastProgress: null,
      error: null,
    };
    // Tracked before anything is written: a run on disk that is queued but not live would list
    // as interrupted, and the process may answer before submit() resolves.
    this.live.set(runId, entry);
    try {
      await patchRunRecord(dir, record);
      await this.host.submit({
        jobId: runId,
        kind: job.kind,
        projectDir,
        runDir: dir,
        config: job.config,
        ...(job.resume ? { resume: true } : {}),
        ...(job.backboneId ? { backboneDir: modelDir(projectDir, job.backboneId) } : {}),
      });
    } catch (error) {
      // The process could not start: the run never began; say so on disk and to the caller.
      this.live.delete(runId);
      await patchRunRecord(dir, { status: 'failed', error: toIpcError(error).message });
      throw error;
    }
  }

  private onHostEvent(event: TrainingHostEvent): void {
    if (event.type === 'exit') {
      const message = exitMessage(event);
      for (const job of [...this.live.values()]) {
        if (job.kind === 'task') {
          this.live.delete(job.jobId);
          job.onEvent({ type: 'exit', message });
        } else if (!TERMINAL.includes(job.status)) {
          void this.end(job, 'failed', message);
        }
      }
      return;
    }
    if (!('jobId' in event)) return;
    const job = this.live.get(event.jobId);
    if (!job) return;
    if (job.kind === 'task') {
      if (event.type === 'done' || event.type === 'failed' || event.type === 'cancelled') {
        this.live.delete(job.jobId);
      }
      job.onEvent(event);
      return;
    }
    this.onRunEvent(job, event);
  }

  private onRunEvent(run: LiveRun, event: JobEvent): void {
    const runId = run.jobId;
    const relay = (e: EventPayload<'training:event'>['event']) => this.emit({ runId, event: e });
    switch (event.type) {
      case 'queued':
        run.status = 'queued';
        return relay({ type: 'queued', position: event.position });
      case 'started':
        run.status = 'running';
        return relay({ type: 'started' });
      case 'progress':
        if (run.status === 'queued') run.status = 'running';
        run.step = event.progress.step;
        run.totalSteps = event.progress.totalSteps;
        run.lastProgress = event.progress;
        return relay({ type: 'progress', progress: event.progress });
      case 'validation':
        return relay({ type: 'validation', validation: event.validation });
      case 'paused':
        run.status = 'paused';
        run.step = Math.max(run.step, event.step);
        return relay({ type: 'paused', step: event.step });
      case 'resumed':
        run.status = 'running';
        return relay({ type: 'resumed' });
      case 'checkpoint':
        run.resumable = true;
        return relay({ type: 'checkpoint', step: event.step });
      case 'prelabelled':
      case 'compareProgress':
        return; // a run never pre-labels nor compares backbones
      case 'done':
        void this.end(run, 'done', null);
        return;
      case 'failed':
        void this.end(run, 'failed', event.message);
        return;
      case 'cancelled':
        void this.end(run, 'cancelled', null);
        return;
    }
  }

  /**
   * A run ended: make sure run.json says so (the job writes it before its last event, but not
   * when it never started or its process died), then push the end with the run as it now is.
   * An end the job recorded itself wins: a process shut down after cancelling its job exits
   * too, and that run stays cancelled.
   */
  private async end(run: LiveRun, status: Terminal, message: string | null): Promise<void> {
    run.status = status;
    run.error = message;
    let info: RunInfo;
    try {
      info = await readRunInfo(run.dir);
      if (!TERMINAL.includes(info.status)) {
        // The job last wrote its step at a checkpoint (or at start); the relay saw every step.
        await patchRunRecord(run.dir, {
          status,
          step: Math.max(info.step, run.step),
          ...(message !== null ? { error: message } : {}),
        });
        info = await readRunInfo(run.dir);
      }
    } catch (error) {
      // The disk refused; the window still learns how the run ended.
      info = { ...this.fallbackInfo(run), status, error: message ?? toIpcError(error).message };
    } finally {
      if (this.live.get(run.jobId) === run) this.live.delete(run.jobId);
    }
    const runId = run.jobId;
    if (info.status === 'done') this.emit({ runId, event: { type: 'done', run: info } });
    else if (info.status === 'cancelled') {
      this.emit({ runId, event: { type: 'cancelled', run: info } });
    } else {
      const text = info.error ?? message ?? 'The run failed';
      this.emit({ runId, event: { type: 'failed', message: text, run: info } });
    }
  }

  private fallbackInfo(run: LiveRun): RunInfo {
    const now = new Date().toISOString();
    return {
      id: run.jobId,
      kind: run.jobId.startsWith('finetune') ? 'finetune' : 'pretrain',
      task: null,
      status: 'failed',
      createdAt: now,
      updatedAt: now,
      step: run.step,
      totalSteps: run.totalSteps,
      error: run.error,
      resumable: run.resumable,
      modelId: null,
      backboneId: run.uses[0] ?? null,
      metrics: null,
    };
  }

  private liveRun(projectDir: string, runId: string): LiveRun | null {
    const job = this.live.get(runId);
    return job?.kind === 'run' && job.projectDir === projectDir ? job : null;
  }

  private requireLive(projectDir: string, runId: string, verb: string): LiveRun {
    const live = this.liveRun(projectDir, runId);
    if (!live || TERMINAL.includes(live.status)) {
      throw new StudioError(
        'conflict',
        `Run ${runId} cannot be ${verb}: it is not queued or running`,
      );
    }
    return live;
  }

  /** The disk's record with what only the relay knows: live status and step, or a stale run. */
  private overlay(projectDir: string, info: RunInfo): RunInfo {
    const live = this.liveRun(projectDir, info.id);
    if (live) {
      return {
        ...info,
        status: live.status,
        step: Math.max(info.step, live.step),
        totalSteps: live.totalSteps ?? info.totalSteps,
        resumable: info.resumable || live.resumable,
        error: TERMINAL.includes(live.status) ? (live.error ?? info.error) : null,
      };
    }
    // Not live, yet the disk says it runs: nothing will ever finish it (a crash of the app).
    if (!TERMINAL.includes(info.status)) {
      return { ...info, status: 'failed', error: info.error ?? INTERRUPTED_MESSAGE };
    }
    return info;
  }
}
