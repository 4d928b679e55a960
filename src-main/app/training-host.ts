/**
 * Owns the one training process (DESIGN §2): starts it on first use through an injected spawner
 * (Node `child_process.fork` or Electron `utilityProcess.fork`, so this file imports neither),
 * remembers its backend report for `system:info`, relays its messages, and stops it.
 *
 * It restarts nothing on its own: a crash becomes the reported error until someone calls
 * `start()` again, so a process that dies on load does not loop.
 */
import type { PretrainConfigInput } from '../engine/pretrain/pretrain-config';
import type { BackendReport } from '../shared/domain';
import {
  describeInvalidMessage,
  FromTrainingMessage,
  type JobEvent,
  type SubmitJob,
  type ToTrainingMessage,
} from '../shared/worker-protocol';

/** The training process as the host sees it; each spawner adapts its own process object. */
export interface TrainingProcess {
  send(message: ToTrainingMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process has ended, however it ended. */
  onExit(listener: (exit: { code: number | null; signal: string | null }) => void): void;
  /** Ends the process at once (used only when `shutdown` is not obeyed in time). */
  kill(): void;
}

export type TrainingSpawner = () => TrainingProcess;

export type TrainingHostEvent =
  | FromTrainingMessage
  | { type: 'exit'; code: number | null; signal: string | null; expected: boolean };

export interface TrainingHostOptions {
  /** How long `stop()` waits for a clean exit before killing, in ms. */
  stopTimeoutMs?: number;
}

export class TrainingHost {
  private child: TrainingProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private ready: Promise<BackendReport> | null = null;
  private report: BackendReport | null = null;
  private error: string | null = null;
  private stopping = false;
  private readonly listeners = new Set<(event: TrainingHostEvent) => void>();
  private readonly stopTimeoutMs: number;

  constructor(
    private readonly spawn: TrainingSpawner,
    options: TrainingHostOptions = {},
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
  }

  /**
   * Starts the process unless it runs already; resolves with its backend report once it is ready,
   * rejects with its error (a failed forced backend, a crash during start-up).
   */
  start(): Promise<BackendReport> {
    if (this.ready) return this.ready;
    this.report = null;
    this.error = null;
    this.stopping = false;

    let settle!: { resolve(report: BackendReport): void; reject(error: Error): void };
    const ready = new Promise<BackendReport>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Callers that only read backend() later must not trip an unhandled rejection.
    ready.catch(() => undefined);
    this.ready = ready;

    let child: TrainingProcess;
    try {
      child = this.spawn();
    } catch (error) {
      this.ready = null;
      this.error = `The training process could not start: ${error instanceof Error ? error.message : String(error)}`;
      settle.reject(new Error(this.error));
      return ready;
    }
    this.child = child;
    let markExited!: () => void;
    this.exited = new Promise<void>((resolve) => (markExited = resolve));

    child.onMessage((raw) => {
      const parsed = FromTrainingMessage.safeParse(raw);
      const message: FromTrainingMessage = parsed.success
        ? parsed.data
        : {
            type: 'error',
            message: `Invalid message from the training process: ${describeInvalidMessage(parsed.error)}`,
          };
      if (message.type === 'ready') {
        this.report = message.backend;
        this.error = null;
        settle.resolve(message.backend);
      } else if (message.type === 'error') {
        this.error = message.message;
        settle.reject(new Error(message.message));
      }
      this.emit(message);
    });

    child.onExit(({ code, signal }) => {
      const expected = this.stopping;
      if (this.child === child) {
        this.child = null;
        this.ready = null;
      }
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!expected) {
        this.report = null;
        this.error = `The training process exited unexpectedly (${how})`;
      }
      // No-op once ready; otherwise a pending start() learns the process is gone.
      settle.reject(
        new Error(this.error ?? `The training process stopped before it was ready (${how})`),
      );
      markExited();
      this.emit({ type: 'exit', code, signal, expected });
    });

    return ready;
  }

  /** What `system:info` shows: the report once ready, or why there is none. */
  backend(): { report: BackendReport | null; error: string | null } {
    return { report: this.report, error: this.error };
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Subscribes to everything the process says, plus its exit; returns the unsubscribe. */
  on(listener: (event: TrainingHostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues a job in the training process (starting the process if needed). Its events arrive
   * through `on` / `onJob`; the process runs one job at a time, in submission order.
   */
  async submit(
    job: Omit<SubmitJob, 'type' | 'config'> & {
      config: PretrainConfigInput | Record<string, unknown>;
    },
  ): Promise<void> {
    await this.start();
    this.send({ type: 'submit', ...job });
  }

  /** Holds a job between steps; `paused` arrives once it is actually held. */
  pause(jobId: string): void {
    this.send({ type: 'pause', jobId });
  }

  resume(jobId: string): void {
    this.send({ type: 'resume', jobId });
  }

  /** Cancels a queued job, or stops a running one after it has written a checkpoint. */
  cancel(jobId: string): void {
    this.send({ type: 'cancel', jobId });
  }

  /** Subscribes to one job's events; returns the unsubscribe. */
  onJob(jobId: string, listener: (event: JobEvent) => void): () => void {
    return this.on((event) => {
      if ('jobId' in event && event.jobId === jobId) listener(event);
    });
  }

  private send(message: ToTrainingMessage): void {
    if (!this.child) throw new Error('The training process is not running');
    this.child.send(message);
  }

  /** Asks the process to shut down, kills it if it has not exited in time, and waits for it. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    try {
      child.send({ type: 'shutdown' });
    } catch {
      // The channel is already closed: the process is on its way out; the kill below ends it.
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.stopTimeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      child.kill();
      await this.exited;
    }
    this.report = null;
  }

  private emit(event: TrainingHostEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
