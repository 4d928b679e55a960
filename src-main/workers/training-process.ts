/**
 * Entry of the one long-lived training process (docs/ARCHITECTURE.md, "Layers and processes":
 * TensorFlow.js's native addon loads in one thread per process, so jobs queue here rather than in a
 * worker each).
 *
 * A thin adapter: it chooses the backend, tells the parent (`ready` or `error`), then answers
 * messages — jobs go to the engine's FIFO queue, which runs each through the engine's job runner
 * of its kind (pretrain, finetune, prelabel, compare) with the images and faces core reads from the project.
 */
import { readLabelledFaces, readPrelabelImages } from '../app/training/finetune-faces';
import { readPretrainSources } from '../app/training/pretrain-sources';
import { chooseBackend } from '../engine/backend';
import { parseFinetuneConfig } from '../engine/finetune/finetune-config';
import { runCompareJob } from '../engine/jobs/compare-job';
import { runFinetuneJob } from '../engine/jobs/finetune-job';
import { JobQueue, type JobControls } from '../engine/jobs/job-queue';
import { runPrelabelJob } from '../engine/jobs/prelabel-job';
import { runPretrainJob } from '../engine/jobs/pretrain-job';
import { modelsDir } from '../engine/jobs/run-folder';
import { parsePretrainConfig } from '../engine/pretrain/pretrain-config';
import type { BackendReport } from '../shared/domain';
import { toIpcError } from '../shared/errors';
import type { FromTrainingMessage, JobEvent, SubmitJob } from '../shared/worker-protocol';
import { connectToParent } from './parent-port';

const parent = connectToParent();

// Without this a fork whose parent died (crash, SIGKILL) would live on holding memory.
// utilityProcess children are ended by Electron itself.
process.on('disconnect', () => process.exit(0));

let state: FromTrainingMessage | null = null;
const backendReady = chooseBackend();

/** Runs one job with the runner of its kind; each runner reports its own events. */
async function runJob(job: SubmitJob, controls: JobControls): Promise<void> {
  const jobControls = { ...controls, emit: (event: JobEvent) => parent.post(event) };
  // What a training run needs whatever its kind.
  const run = { jobId: job.jobId, runDir: job.runDir, modelsDir: modelsDir(job.projectDir) };
  switch (job.kind) {
    case 'pretrain':
      await runPretrainJob(
        {
          ...run,
          // The process boundary: a new run's config is checked once here; a resumed run's
          // changes are laid over its saved config, which the job checks.
          ...(job.resume
            ? { resume: true, config: job.config }
            : { config: parsePretrainConfig(job.config) }),
          sources: await readPretrainSources(job.projectDir),
          projectDir: job.projectDir,
        },
        jobControls,
      );
      return;
    case 'finetune':
      await runFinetuneJob(
        {
          ...run,
          ...(job.resume
            ? { resume: true, config: job.config }
            : { config: parseFinetuneConfig(job.config) }),
          faces: (task, options) => readLabelledFaces(job.projectDir, task, options),
          ...(job.backboneDir ? { backboneDir: job.backboneDir } : {}),
        },
        jobControls,
      );
      return;
    case 'prelabel':
      if (!job.modelDir) throw new Error('A prelabel job needs modelDir');
      await runPrelabelJob(
        {
          jobId: job.jobId,
          runDir: job.runDir,
          modelDir: job.modelDir,
          images: await readPrelabelImages(job.projectDir, job.imageIds ?? []),
        },
        jobControls,
      );
      return;
    case 'compare':
      if (!job.task) throw new Error('A compare job needs task');
      await runCompareJob(
        {
          jobId: job.jobId,
          projectDir: job.projectDir,
          task: job.task,
          faces: (task) => readLabelledFaces(job.projectDir, task),
        },
        jobControls,
      );
      return;
  }
}

const queue = new JobQueue<SubmitJob>(
  async (job, controls) => {
    try {
      await backendReady;
      await runJob(job, controls);
    } catch (error) {
      const message = toIpcError(error).message;
      parent.post({ type: 'failed', jobId: job.jobId, message, lastCheckpoint: null });
    }
  },
  (event) => parent.post(event),
);

parent.onMessage((message) => {
  switch (message.type) {
    case 'hello':
      // Before the backend is chosen there is nothing to report; `ready` follows on its own.
      if (state) parent.post(state);
      break;
    case 'shutdown':
      // Running jobs stop at their next step with a checkpoint, then the process exits.
      void queue.cancelAll().finally(() => process.exit(0));
      break;
    case 'submit':
      if (!queue.submit(message))
        parent.post({
          type: 'failed',
          jobId: message.jobId,
          message: `A job with id ${message.jobId} is already queued or running`,
          lastCheckpoint: null,
        });
      break;
    case 'pause':
      queue.pause(message.jobId);
      break;
    case 'resume':
      queue.resume(message.jobId);
      break;
    case 'cancel':
      queue.cancel(message.jobId);
      break;
  }
});

try {
  const backend: BackendReport = await backendReady;
  state = { type: 'ready', backend };
} catch (error) {
  state = { type: 'error', message: error instanceof Error ? error.message : String(error) };
}
parent.post(state);
