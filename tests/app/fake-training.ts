/**
 * An in-process stand-in for the training process, driven by the test: it records what the host
 * sends, answers `ready` at once, and posts whatever job events the test scripts, or dies on cue.
 * Also `idleTrainingProcess` and `idleTrainingRelay` for contexts whose tests train nothing.
 */
import type { TrainingProcess, TrainingSpawner } from '../../src-main/app/training-host';
import { TrainingHost } from '../../src-main/app/training-host';
import { TrainingRelay } from '../../src-main/app/training-relay';
import type { FromTrainingMessage, ToTrainingMessage } from '../../src-main/shared/worker-protocol';

type ExitListener = (exit: { code: number | null; signal: string | null }) => void;

export class FakeTrainingProcess implements TrainingProcess {
  readonly sent: ToTrainingMessage[] = [];
  private readonly messageListeners: ((message: unknown) => void)[] = [];
  private readonly exitListeners: ExitListener[] = [];
  exited = false;
  /** Called for every message the host sends (after it is recorded). */
  onSend: ((message: ToTrainingMessage) => void) | null = null;

  constructor() {
    queueMicrotask(() =>
      this.post({ type: 'ready', backend: { name: 'cpu', forced: true, skipped: [] } }),
    );
  }

  send(message: ToTrainingMessage): void {
    if (this.exited) throw new Error('channel closed');
    this.sent.push(message);
    if (message.type === 'shutdown') queueMicrotask(() => this.exit(0, null));
    this.onSend?.(message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: ExitListener): void {
    this.exitListeners.push(listener);
  }
  kill(): void {
    this.exit(null, 'SIGKILL');
  }

  post(message: FromTrainingMessage): void {
    for (const listener of this.messageListeners) listener(message);
  }
  exit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const listener of this.exitListeners) listener({ code, signal });
  }
  /** The submits received so far. */
  submits() {
    return this.sent.filter(
      (m): m is Extract<ToTrainingMessage, { type: 'submit' }> => m.type === 'submit',
    );
  }
}

/** A spawner of fakes; `processes` lists every one started, the latest last. */
export function fakeTrainingSpawner(): {
  spawner: TrainingSpawner;
  processes: FakeTrainingProcess[];
} {
  const processes: FakeTrainingProcess[] = [];
  return {
    spawner: () => {
      const process = new FakeTrainingProcess();
      processes.push(process);
      return process;
    },
    processes,
  };
}

/** A training process that answers nothing and ends when asked to: for servers that train nothing. */
export function idleTrainingProcess(): TrainingProcess {
  const exitListeners: ExitListener[] = [];
  const exit = () => setImmediate(() => exitListeners.forEach((l) => l({ code: 0, signal: null })));
  return {
    send: (message) => {
      if (message.type === 'shutdown') exit();
    },
    onMessage: () => undefined,
    onExit: (listener) => exitListeners.push(listener),
    kill: exit,
  };
}

/** A relay whose training process cannot start: for handler tables of tests that train nothing. */
export function idleTrainingRelay(): TrainingRelay {
  const host = new TrainingHost(() => {
    throw new Error('no training process in this test');
  });
  return new TrainingRelay(host, () => undefined);
}
