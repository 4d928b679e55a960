/**
 * The Models view's backbone comparison (`models:compareBackbones`, `models:cancelCompare`,
 * `models:comparison`): main submits a `compare` job to the training process, which fits each
 * offered face backbone's head on the open project's train faces of a task and scores it on val
 * and test (engine/jobs/compare-job.ts), and saves the result in the project. Main relays the
 * job's progress as `models:compareProgress` and, once done, reads the saved comparison back for
 * the window. Like pre-labelling, it is refused while the training process is busy.
 */
import { newRunId, readComparison, runDir } from '../../engine/jobs/run-folder';
import { StudioError, toIpcError } from '../../shared/errors';
import type { EventPayload } from '../../shared/ipc-contract';
import type { FinetuneTaskName } from '../../shared/training';
import type { HandlerTable } from '../dispatch';
import type { StudioContext } from './studio-context';

type CompareChannel = 'models:compareBackbones' | 'models:cancelCompare' | 'models:comparison';

export function createCompareHandlers(ctx: StudioContext): Pick<HandlerTable, CompareChannel> {
  async function start(projectDir: string, task: FinetuneTaskName): Promise<string> {
    const busy = ctx.training.busyWith();
    if (busy) {
      throw new StudioError(
        'conflict',
        `The training process is busy with ${busy.what}; compare backbones when it has ended, or cancel it`,
      );
    }
    const jobId = newRunId('compare');
    const push = (payload: Omit<EventPayload<'models:compareProgress'>, 'jobId' | 'task'>) =>
      ctx.emit('models:compareProgress', { jobId, task, ...payload });
    const end = async (error?: string) => {
      if (error !== undefined) {
        push({ progress: null, finished: true, comparison: null, error });
        return;
      }
      try {
        const comparison = await readComparison(projectDir, task);
        push({ progress: null, finished: true, comparison });
      } catch (readError) {
        push({
          progress: null,
          finished: true,
          comparison: null,
          error: toIpcError(readError).message,
        });
      }
    };
    await ctx.training.submitTask(
      projectDir,
      {
        jobId,
        kind: 'compare',
        projectDir,
        // The protocol asks for a run folder; a comparison writes none.
        runDir: runDir(projectDir, jobId),
        config: {},
        task,
      },
      [],
      (event) => {
        switch (event.type) {
          case 'compareProgress':
            push({ progress: event.progress, finished: false, comparison: null });
            return;
          case 'done':
            void end();
            return;
          case 'cancelled':
            void end('The comparison was cancelled');
            return;
          case 'failed':
          case 'exit':
            void end(event.message);
            return;
        }
      },
    );
    return jobId;
  }

  return {
    'models:compareBackbones': async (request) => ({
      jobId: await start(ctx.session.require().dir, request.task),
    }),
    'models:cancelCompare': async (request) => ({
      cancelled: ctx.training.cancelTask(ctx.session.require().dir, request.jobId),
    }),
    'models:comparison': async (request) => readComparison(ctx.session.require().dir, request.task),
  };
}
