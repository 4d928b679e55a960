import { afterEach, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FromTrainingMessage } from '../../src-main/shared/worker-protocol';
import { createLabelledProject } from '../engine/data/labelled-project';

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

  it('runs a finetune job, then pre-labels images with the model it exported', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'fs-process-ft-'));
    try {
      const projectDir = path.join(root, 'project');
      const images = await createLabelledProject(projectDir, { train: 4, val: 1 });
      const started = start({ ...process.env, FACE_STUDIO_BACKEND: 'wasm' });
      child = started.child;
      expect(FromTrainingMessage.parse(await started.next())).toMatchObject({ type: 'ready' });
      /** Messages of a job up to and including its end. */
      const untilEnd = async (): Promise<FromTrainingMessage[]> => {
        const seen: FromTrainingMessage[] = [];
        for (;;) {
          const message = FromTrainingMessage.parse(await started.next());
          seen.push(message);
          if (['done', 'failed', 'cancelled'].includes(message.type)) return seen;
        }
      };

      child.send({
        type: 'submit',
        jobId: 'ft',
        kind: 'finetune',
        projectDir,
        runDir: path.join(projectDir, 'runs', 'ft'),
        config: {
          task: 'landmarks',
          model: { preset: 'tiny', imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2 },
          batchSize: 4,
          epochs: 2,
          landmarkHead: { channels: [8, 8] },
        },
      });
      const finetuned = await untilEnd();
      const types = finetuned.map((m) => m.type);
      expect(types.filter((t) => t === 'progress')).toHaveLength(2);
      expect(types).toContain('validation');
      const done = finetuned.at(-1)!;
      if (done.type !== 'done') throw new Error(JSON.stringify(done));
      expect(done.modelDir).toBe(path.join(projectDir, 'models', 'ft'));

      child.send({
        type: 'submit',
        jobId: 'pre',
        kind: 'prelabel',
        projectDir,
        runDir: path.join(projectDir, 'runs', 'pre'),
        config: {},
        modelDir: done.modelDir!,
        imageIds: images.slice(0, 2).map((i) => i.id),
      });
      const prelabelled = await untilEnd();
      expect(prelabelled.at(-1)).toMatchObject({ type: 'done', modelDir: null });
      const batches = prelabelled.flatMap((m) => (m.type === 'prelabelled' ? [m] : []));
      expect(batches.at(-1)).toMatchObject({ done: 2, total: 2 });
      // The detector finds the faces (no face records in this project): 68 predicted points each.
      const faces = batches.flatMap((b) => b.faces);
      expect(faces.length).toBeGreaterThan(0);
      expect(faces[0]!.points).toHaveLength(68);
      expect(faces[0]!.points[0]).toMatchObject({ source: 'model', confirmed: false });

      child.send({ type: 'shutdown' });
      await once(child, 'exit');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
