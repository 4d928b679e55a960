/**
 * The training process's line to its parent, whichever way it was started:
 * - Electron `utilityProcess.fork`: `process.parentPort` (messages arrive as `{ data }` events);
 * - Node `child_process.fork`: `process.send` and `process.on('message')` (IPC channel).
 * Outgoing messages are typed; incoming ones are validated here, so the worker sees only valid
 * messages and a bad one becomes an `error` reply instead of a crash.
 */
import {
  describeInvalidMessage,
  type FromTrainingMessage,
  ToTrainingMessage,
} from '../shared/worker-protocol';

export interface ParentPort {
  readonly kind: 'utility-process' | 'child-process';
  post(message: FromTrainingMessage): void;
  onMessage(listener: (message: ToTrainingMessage) => void): void;
}

/** Electron's parent port; declared here so this module needs no Electron types. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

export function connectToParent(proc: NodeJS.Process = process): ParentPort {
  const electronPort = (proc as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return withValidation(
      'utility-process',
      (m) => electronPort.postMessage(m),
      (deliver) => {
        electronPort.on('message', (event) => deliver(event.data));
      },
    );
  }
  if (typeof proc.send === 'function') {
    return withValidation(
      'child-process',
      (m) => proc.send?.(m),
      (deliver) => {
        proc.on('message', deliver);
      },
    );
  }
  throw new Error(
    'The training process has no parent channel: start it with child_process.fork or ' +
      'Electron utilityProcess.fork',
  );
}

function withValidation(
  kind: ParentPort['kind'],
  send: (message: FromTrainingMessage) => void,
  subscribe: (deliver: (raw: unknown) => void) => void,
): ParentPort {
  return {
    kind,
    post: send,
    onMessage(listener) {
      subscribe((raw) => {
        const parsed = ToTrainingMessage.safeParse(raw);
        if (parsed.success) listener(parsed.data);
        else
          send({
            type: 'error',
            message: `Invalid message to the training process: ${describeInvalidMessage(parsed.error)}`,
          });
      });
    },
  };
}
