/**
 * The training process's FIFO job queue (docs/ARCHITECTURE.md, "Layers and processes"): one job
 * runs at a time, in submission order. Pause is a gate the running loop awaits between steps;
 * cancel aborts the job's AbortSignal (and opens the gate, so a paused job can be cancelled). The
 * runner emits everything else.
 */
import type { JobEvent } from '../../shared/worker-protocol';

export interface JobControls {
  signal: AbortSignal;
  /** Awaited by the loop before each step; holds while the job is paused. */
  beforeStep: (step: number) => Promise<void>;
}

type QueueEvent = Extract<JobEvent, { type: 'queued' | 'paused' | 'resumed' | 'cancelled' }>;

interface JobState<J> {
  job: J;
  controller: AbortController;
  paused: boolean;
  /** Set while the loop is held at the gate. */
  release: (() => void) | null;
}

export class JobQueue<J extends { jobId: string }> {
  private readonly waiting: JobState<J>[] = [];
  private current: JobState<J> | null = null;
  private drained: Promise<void> = Promise.resolve();
  private markDrained: (() => void) | null = null;

  constructor(
    private readonly run: (job: J, controls: JobControls) => Promise<void>,
    private readonly emit: (event: QueueEvent) => void,
  ) {}

  /** Queues a job; false when a job with this id is queued or running already. */
  submit(job: J): boolean {
    if (this.find(job.jobId)) return false;
    const state: JobState<J> = {
      job,
      controller: new AbortController(),
      paused: false,
      release: null,
    };
    this.waiting.push(state);
    // position: how many jobs are ahead of it, the running one included.
    const position = this.waiting.length - 1 + (this.current ? 1 : 0);
    this.emit({ type: 'queued', jobId: job.jobId, position });
    if (!this.markDrained) this.drained = new Promise((resolve) => (this.markDrained = resolve));
    if (!this.current) void this.next();
    return true;
  }

  pause(jobId: string): boolean {
    const state = this.find(jobId);
    if (!state) return false;
    state.paused = true;
    return true;
  }

  resume(jobId: string): boolean {
    const state = this.find(jobId);
    if (!state?.paused) return false;
    state.paused = false;
    if (state.release) {
      state.release();
      state.release = null;
      this.emit({ type: 'resumed', jobId });
    }
    return true;
  }

  /** A queued job is dropped at once; a running one stops at its next step, after a checkpoint. */
  cancel(jobId: string): boolean {
    const index = this.waiting.findIndex((s) => s.job.jobId === jobId);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.emit({ type: 'cancelled', jobId, lastCheckpoint: null });
      return true;
    }
    const state = this.current?.job.jobId === jobId ? this.current : null;
    if (!state) return false;
    state.controller.abort();
    state.release?.();
    state.release = null;
    return true;
  }

  /** Cancels everything (shutdown) and resolves when the running job has ended. */
  async cancelAll(): Promise<void> {
    for (const s of [...this.waiting]) this.cancel(s.job.jobId);
    if (this.current) this.cancel(this.current.job.jobId);
    await this.idle();
  }

  /** Resolves when no job is queued or running. */
  idle(): Promise<void> {
    return this.drained;
  }

  private find(jobId: string): JobState<J> | undefined {
    if (this.current?.job.jobId === jobId) return this.current;
    return this.waiting.find((s) => s.job.jobId === jobId);
  }

  private async next(): Promise<void> {
    const state = this.waiting.shift();
    if (!state) {
      this.current = null;
      this.markDrained?.();
      this.markDrained = null;
      return;
    }
    this.current = state;
    const controls: JobControls = {
      signal: state.controller.signal,
      beforeStep: async (step) => {
        if (!state.paused || state.controller.signal.aborted) return;
        const held = new Promise<void>((resolve) => (state.release = resolve));
        this.emit({ type: 'paused', jobId: state.job.jobId, step });
        await held;
      },
    };
    try {
      await this.run(state.job, controls);
    } catch {
      // The runner reports its own failures; the queue goes on with the next job.
    }
    await this.next();
  }
}
