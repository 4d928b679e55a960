import { afterEach, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FromTrainingMessage } from '../../src-main/shared/worker-protocol';

const entry = fileURLToPath(new URL('../../src-main/workers/training-process.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function start(env: NodeJS.ProcessEnv): { child: ChildProcess; next: () => Promise<unknown> } {
  const proc = fork(entry, [], {
    execArgv: ['--import', tsx],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: unknown[] = [];
  const waiters: ((message: unknown) => void)[] = [];
  proc.on('message', (message) => {
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const next = () =>
    queue.length > 0
      ? Promise.resolve(queue.shift())
      : new Promise<unknown>((resolve) => waiters.push(resolve));
  return { child: proc, next };
}

// Forks Node + tsx and loads TensorFlow.js: seconds on a busy 2-core machine.
describe('training process under child_process.fork', { timeout: 90_000 }, () => {
  it('reports ready, answers hello and bad messages, and exits on shutdown', async () => {
    const started = start({ ...process.env, FACE_STUDIO_BACKEND: 'cpu' });
    child = started.child;

    const ready = FromTrainingMessage.parse(await started.next());
    expect(ready).toEqual({ type: 'ready', backend: { name: 'cpu', forced: true, skipped: [] } });

    child.send({ type: 'hello' });
    expect(await started.next()).toEqual(ready);

    child.send({ type: 'train-everything' });
    const reply = FromTrainingMessage.parse(await started.next());
    expect(reply.type).toBe('error');
    expect(reply.type === 'error' && reply.message).toMatch(
      /^Invalid message to the training process/,
    );

    child.send({ type: 'shutdown' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
