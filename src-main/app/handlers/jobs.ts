/**
 * `jobs:live`: the open project's background jobs still going, for a page that (re)loads while
 * one runs. Runs come from the training relay (it knows which are live and where they stand);
 * the other jobs (imports and curation, pre-labelling, backbone comparisons) from a board that
 * watches the events their handlers push, through the same reducer the page follows them with
 * (shared/live-jobs.ts).
 */
import type { EventChannel, EventPayload } from '../../shared/ipc-contract';
import {
  applyLiveJobEvent,
  liveRunJob,
  type LiveJob,
  type LiveJobEvent,
} from '../../shared/live-jobs';
import type { HandlerTable } from '../dispatch';
import type { StudioContext } from './studio-context';

/** The events of the jobs that are not runs (runs are the relay's). */
const BOARD_CHANNELS = [
  'library:importProgress',
  'library:importDone',
  'labels:prelabelProgress',
  'models:compareProgress',
] as const satisfies readonly LiveJobEvent['channel'][];

/** The jobs that are not runs, kept from their events, each with the project it works on. */
export class LiveJobBoard {
  #jobs: LiveJob[] = [];
  readonly #projectOf = new Map<string, string | null>();

  /** `projectDir`: the open project's folder now (a job works on the project open as it starts). */
  constructor(private readonly projectDir: () => string | null) {}

  /** Takes in one pushed event; events that are not about such a job change nothing. */
  observe<E extends EventChannel>(channel: E, payload: EventPayload<E>): void {
    if (!(BOARD_CHANNELS as readonly EventChannel[]).includes(channel)) return;
    // The channel names the payload's shape (eventContract): the pair is one LiveJobEvent.
    this.#jobs = applyLiveJobEvent(this.#jobs, { channel, payload } as LiveJobEvent);
    const ids = new Set(this.#jobs.map((job) => job.id));
    for (const id of this.#projectOf.keys()) if (!ids.has(id)) this.#projectOf.delete(id);
    for (const id of ids) if (!this.#projectOf.has(id)) this.#projectOf.set(id, this.projectDir());
  }

  /** The jobs still going on the project in `projectDir`. */
  list(projectDir: string): LiveJob[] {
    return this.#jobs.filter((job) => this.#projectOf.get(job.id) === projectDir);
  }
}

/** A context whose pushes also reach `board`. */
export function watchedContext(ctx: StudioContext, board: LiveJobBoard): StudioContext {
  return {
    ...ctx,
    emit: (event, payload) => {
      board.observe(event, payload);
      ctx.emit(event, payload);
    },
  };
}

export function createJobHandlers(
  ctx: StudioContext,
  board: LiveJobBoard,
): Pick<HandlerTable, 'jobs:live'> {
  return {
    'jobs:live': async () => {
      const project = ctx.session.summary();
      if (!project) return [];
      const runs = (await ctx.training.runs(project.dir)).flatMap((run) => {
        const job = liveRunJob(run);
        return job ? [job] : [];
      });
      return [...runs, ...board.list(project.dir)];
    },
  };
}
