import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { TrainingHost, type TrainingHostEvent } from '../../src-main/app/training-host';
import { nodeTrainingSpawner } from '../../src-main/app/node-training-spawner';
import type { TrainingSpawner } from '../../src-main/app/training-host';

const fakeWorker = fileURLToPath(new URL('./fixtures/fake-training-process.mjs', import.meta.url));

function counting(spawner: TrainingSpawner): { spawner: TrainingSpawner; count: () => number } {
  let count = 0;
  return {
    spawner: () => {
      count += 1;
      return spawner();
    },
    count: () => count,
  };
}

// Each start forks Node + tsx and loads TensorFlow.js: seconds on a busy 2-core machine.
describe(
  'TrainingHost with the real training process (child_process.fork + tsx)',
  { timeout: 90_000 },
  () => {
    it('starts lazily once, reports the wasm backend, and shuts down cleanly', async () => {
      // An empty FACE_STUDIO_BACKEND keeps a developer's override from changing the choice.
      const { spawner, count } = counting(
        nodeTrainingSpawner({ env: { ...process.env, FACE_STUDIO_BACKEND: '' } }),
      );
      const host = new TrainingHost(spawner);
      expect(count()).toBe(0);
      expect(host.backend()).toEqual({ report: null, error: null });

      const events: TrainingHostEvent[] = [];
      host.on((event) => events.push(event));
      const [report, again] = await Promise.all([host.start(), host.start()]);
      expect(count()).toBe(1);
      expect(again).toBe(report);
      expect(report.name).toBe('wasm');
      expect(report.forced).toBe(false);
      expect(report.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
      expect(host.backend()).toEqual({ report, error: null });
      expect(host.running).toBe(true);

      await host.stop();
      expect(host.running).toBe(false);
      expect(events.map((e) => e.type)).toEqual(['ready', 'exit']);
      expect(events[1]).toMatchObject({ type: 'exit', code: 0, expected: true });
      expect(host.backend().error).toBeNull();
    });

    it('passes a forced backend through the environment and reports a bad one as an error', async () => {
      const host = new TrainingHost(
        nodeTrainingSpawner({ env: { ...process.env, FACE_STUDIO_BACKEND: 'cuda' } }),
      );
      await expect(host.start()).rejects.toThrow(/FACE_STUDIO_BACKEND="cuda" is not a backend/);
      expect(host.backend().report).toBeNull();
      expect(host.backend().error).toMatch(/not a backend/);
      // The process stays up waiting for its parent's decision; stop() still ends it.
      expect(host.running).toBe(true);
      await host.stop();
      expect(host.running).toBe(false);
    });
  },
);

describe('TrainingHost with a misbehaving process', () => {
  it('reports a crash and does not restart on its own', async () => {
    const crashing = nodeTrainingSpawner({
      entry: fakeWorker,
      env: { ...process.env, FAKE_MODE: 'crash' },
    });
    const { spawner, count } = counting(crashing);
    const host = new TrainingHost(spawner);
    const exits: TrainingHostEvent[] = [];
    host.on((event) => {
      if (event.type === 'exit') exits.push(event);
    });
    await expect(host.start()).rejects.toThrow(/exited unexpectedly \(code 3\)/);
    expect(exits).toEqual([{ type: 'exit', code: 3, signal: null, expected: false }]);
    expect(host.backend()).toEqual({
      report: null,
      error: 'The training process exited unexpectedly (code 3)',
    });
    // A witness: another host's process started and crashed after this one's. A restart this
    // host made on its own after its crash would have been asked for by then.
    const witness = new TrainingHost(crashing);
    await expect(witness.start()).rejects.toThrow(/exited unexpectedly \(code 3\)/);
    expect(count()).toBe(1);
    expect(exits).toHaveLength(1);
    expect(host.running).toBe(false);
  });

  it('turns a message outside the protocol into an error event', async () => {
    const host = new TrainingHost(
      nodeTrainingSpawner({ entry: fakeWorker, env: { ...process.env, FAKE_MODE: 'garbage' } }),
    );
    await expect(host.start()).rejects.toThrow(/Invalid message from the training process/);
    expect(host.backend().error).toMatch(/^Invalid message from the training process: type/);
    await host.stop();
    expect(host.running).toBe(false);
  });

  it('reports a spawner that throws, and can be started again afterwards', async () => {
    let attempts = 0;
    const host = new TrainingHost(() => {
      attempts += 1;
      throw new Error('utility process refused');
    });
    await expect(host.start()).rejects.toThrow(
      'The training process could not start: utility process refused',
    );
    expect(host.backend().error).toBe(
      'The training process could not start: utility process refused',
    );
    expect(host.running).toBe(false);
    await expect(host.start()).rejects.toThrow(/could not start/);
    expect(attempts).toBe(2);
  });

  it('kills a process that ignores shutdown once the timeout passes', async () => {
    let killed = 0;
    let exit: ((e: { code: number | null; signal: string | null }) => void) | undefined;
    const host = new TrainingHost(
      () => ({
        send: () => undefined,
        onMessage: (listener) =>
          queueMicrotask(() =>
            listener({ type: 'ready', backend: { name: 'cpu', forced: true, skipped: [] } }),
          ),
        onExit: (listener) => (exit = listener),
        kill: () => {
          killed += 1;
          exit?.({ code: null, signal: 'SIGKILL' });
        },
      }),
      { stopTimeoutMs: 20 },
    );
    await host.start();
    await host.stop();
    expect(killed).toBe(1);
    expect(host.running).toBe(false);
    expect(host.backend().error).toBeNull();
  });
});
