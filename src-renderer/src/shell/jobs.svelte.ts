/**
 * The open project's background jobs still going (a class of `$state` fields), for the shell's
 * indicator: asked of main (`jobs:live`) when the frame opens — so a reloaded page knows of a
 * run or an import that kept going — then kept up to date from the jobs' own events with the
 * same reducer main uses (shared/live-jobs.ts). Events that arrive while the list loads are kept
 * and applied after it.
 */
import { applyLiveJobEvent, type LiveJob, type LiveJobEvent } from '$shared/live-jobs';
import { describeError, invoke, on } from '../lib/api';

class JobsState {
  jobs = $state.raw<LiveJob[]>([]);
  error = $state<string | null>(null);
  /** Events received while `jobs:live` is being answered. */
  #pending: LiveJobEvent[] | null = null;
  #stops: (() => void)[] = [];

  /** Loads the live jobs and follows their events; returns the function that stops that. */
  start(): () => void {
    this.#stop();
    const follow = <C extends LiveJobEvent['channel']>(channel: C) =>
      on(channel, (payload) => this.#apply({ channel, payload } as LiveJobEvent));
    this.#stops = [
      follow('training:event'),
      follow('library:importProgress'),
      follow('library:importDone'),
      follow('labels:prelabelProgress'),
      follow('models:compareProgress'),
    ];
    void this.refresh();
    return () => this.#stop();
  }

  /** Asks main for the live jobs again (a run it had not listed started: its record names it). */
  async refresh(): Promise<void> {
    if (this.#pending) return;
    this.#pending = [];
    try {
      let jobs = await invoke('jobs:live', {});
      for (const event of this.#pending) jobs = applyLiveJobEvent(jobs, event);
      this.jobs = jobs;
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.#pending = null;
    }
  }

  #apply(event: LiveJobEvent): void {
    if (this.#pending) {
      this.#pending.push(event);
      return;
    }
    const known =
      event.channel === 'training:event' && this.jobs.some((j) => j.id === event.payload.runId);
    this.jobs = applyLiveJobEvent(this.jobs, event);
    // A run this page had not listed (started in another window): its record has its task.
    if (
      event.channel === 'training:event' &&
      !known &&
      this.jobs.some((j) => j.id === event.payload.runId)
    ) {
      void this.refresh();
    }
  }

  #stop(): void {
    for (const stop of this.#stops) stop();
    this.#stops = [];
  }
}

export const jobs = new JobsState();
