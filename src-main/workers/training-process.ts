/**
 * Entry of the one long-lived training process (DESIGN §2: TensorFlow.js's native addon loads in
 * one thread per process, so jobs queue here rather than in a worker each).
 *
 * A thin adapter: it chooses the backend, tells the parent (`ready` or `error`), then answers
 * messages. It holds no business logic; jobs will call the engine's entry points.
 */
import { chooseBackend } from '../engine/backend';
import type { BackendReport } from '../shared/domain';
import type { FromTrainingMessage } from '../shared/worker-protocol';
import { connectToParent } from './parent-port';

const parent = connectToParent();

// Without this a fork whose parent died (crash, SIGKILL) would live on holding memory.
// utilityProcess children are ended by Electron itself.
process.on('disconnect', () => process.exit(0));

let state: FromTrainingMessage | null = null;

parent.onMessage((message) => {
  switch (message.type) {
    case 'hello':
      // Before the backend is chosen there is nothing to report; `ready` follows on its own.
      if (state) parent.post(state);
      break;
    case 'shutdown':
      process.exit(0);
  }
});

try {
  const backend: BackendReport = await chooseBackend();
  state = { type: 'ready', backend };
} catch (error) {
  state = { type: 'error', message: error instanceof Error ? error.message : String(error) };
}
parent.post(state);
