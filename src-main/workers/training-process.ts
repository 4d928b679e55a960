/**
 * Entry of the one long-lived training process (DESIGN §2: TensorFlow.js's native addon loads in
 * one thread per process, so jobs queue here rather than in a worker each).
 *
 * A thin adapter: it chooses the backend, tells the parent (`ready` or `error`), then answers
 * messages — jobs go to the engine's FIFO queue, which runs them through the engine's job runner
 * with the images core picks from the project.
 */
import path from 'node:path';
import { readPretrainSources } from '../core/training/pretrain-sources';
import { chooseBackend } from '../engine/backend';
import { JobQueue } from '../engine/jobs/job-queue';
import { runPretrainJob } from '../engine/jobs/pretrain-job';
import type { BackendReport } from '../shared/domain';
import { toIpcError } from '../shared/errors';
import type { FromTrainingMessage, SubmitJob } from '../shared/worker-protocol';
import { connectToParent } from './parent-port';

const parent = connectToParent();

// Without this a fork whose parent died (crash, SIGKILL) would live on holding memory.
// utilityProcess children are ended by Electron itself.
process.on('disconnect', () => process.exit(0));

let state: FromTrainingMessage | null = null;
const backendReady = chooseBackend();

const queue = new JobQueue<SubmitJob>(
  async (job, controls) => {
    try {
      await backendReady;
      const sources = await readPretrainSources(job.projectDir);
      await runPretrainJob(
        {
          jobId: job.jobId,
          runDir: job.runDir,
          modelsDir: path.join(job.projectDir, 'models'),
          config: job.config,
          resume: job.resume ?? false,
          sources,
          projectDir: job.projectDir,
        },
        { ...controls, emit: (event) => parent.post(event) },
      );
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
