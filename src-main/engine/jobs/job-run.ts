/**
 * What the job runners (pretrain, finetune, prelabel) share: the controls they get, the outcome
 * they end with, and how a training run stamps run.json and ends when its body throws.
 */
import * as tf from '@tensorflow/tfjs';
import { toIpcError } from '../../shared/errors';
import type { JobEvent, JobProgress } from '../../shared/worker-protocol';
import type { JobControls } from './job-queue';
import type { RunConfig, RunStart } from './run-config';
import type { RunFolder, RunRecord } from './run-folder';

/** The queue's controls (absent when the CLI runs a job) and where events go. */
export type JobRunControls = Partial<JobControls> & { emit: (event: JobEvent) => void };

/** How a job ends; the runner emits it last. */
export type JobRunOutcome = Extract<JobEvent, { type: 'done' | 'failed' | 'cancelled' }>;

/** Rewrites run.json with a status, the run's current fields and anything `extra` adds. */
export type RecordRun = (status: RunRecord['status'], extra?: Partial<RunRecord>) => Promise<void>;

/**
 * A run.json writer: `current` gives what changes as the run goes (step, last checkpoint, …),
 * read at each write, so every record is up to date.
 */
export function runRecorder(
  run: RunFolder,
  kind: RunRecord['kind'],
  createdAt: string,
  current: () => Omit<RunRecord, 'id' | 'kind' | 'status' | 'createdAt' | 'updatedAt'>,
): RecordRun {
  return (status, extra = {}) =>
    run.writeRecord({
      id: run.id,
      kind,
      status,
      createdAt,
      updatedAt: new Date().toISOString(),
      ...current(),
      ...extra,
    });
}

/**
 * Runs a training job's `body` and ends it as every run ends: a throw becomes a `failed` outcome
 * naming the last checkpoint, recorded in run.json when it still can be; the outcome is emitted
 * and returned.
 */
export async function settleRun(
  jobId: string,
  controls: JobRunControls,
  record: RecordRun,
  lastCheckpoint: () => string | null,
  body: () => Promise<JobRunOutcome>,
): Promise<JobRunOutcome> {
  let outcome: JobRunOutcome;
  try {
    outcome = await body();
  } catch (error) {
    const message = toIpcError(error).message;
    outcome = { type: 'failed', jobId, message, lastCheckpoint: lastCheckpoint() };
    await record('failed', { error: message }).catch(() => undefined);
  }
  controls.emit(outcome);
  return outcome;
}

/**
 * A training run's config, checkpointing to its folder: a new run's was parsed where it entered; a
 * resumed run's saved config.json, with the spec's keys laid over it, is parsed here with `parse`,
 * before the folder is touched, so a bad key fails, named, with nothing written.
 */
export async function runConfigOf<C extends RunConfig>(
  run: RunFolder,
  spec: RunStart<NoInfer<C>>,
  parse: (input: unknown) => C,
): Promise<C> {
  return spec.resume
    ? parse({ ...(await run.readConfig()), ...spec.config, checkpointDir: run.checkpointDir })
    : { ...spec.config, checkpointDir: run.checkpointDir };
}

/** The process's memory and TF.js's tensors now, for a progress event. */
export function memoryNow(): JobProgress['memory'] {
  const mem = tf.memory();
  return {
    rssBytes: process.memoryUsage().rss,
    tensors: mem.numTensors,
    tensorBytes: mem.numBytes,
  };
}
