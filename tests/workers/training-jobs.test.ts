/**
 * The training process's job queue end to end, through TrainingHost and a real forked process on
 * wasm, over a tiny real project with the micro model config.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src-main/engine/pretrain/pretrain-checkpoint';
import { nodeTrainingSpawner } from '../../src-main/app/node-training-spawner';
import { TrainingHost } from '../../src-main/app/training-host';
import type { TrainingProcess } from '../../src-main/app/training-host';
import type { JobEvent } from '../../src-main/shared/worker-protocol';
import { createTinyProject } from '../engine/fixtures/tiny-project';
import { TINY_TEST_CONFIG } from '../engine/helpers';

const ENV = { ...process.env, FACE_STUDIO_BACKEND: 'wasm' };
let root: string;
let projectDir: string;
let host: TrainingHost;
let child: TrainingProcess | null = null;
const events: JobEvent[] = [];

function startHost(): TrainingHost {
  const spawn = nodeTrainingSpawner({ env: ENV });
  const h = new TrainingHost(() => (child = spawn()));
  h.on((event) => {
    if ('jobId' in event) events.push(event);
  });
  return h;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-jobs-'));
  projectDir = path.join(root, 'project');
  await createTinyProject(projectDir, 8); // batch 4: 2 steps per epoch
  host = startHost();
  await host.start();
}, 90_000);
afterAll(async () => {
  await host.stop();
  await rm(root, { recursive: true, force: true });
});

const ofJob = (jobId: string) => events.filter((e) => e.jobId === jobId);
const runDir = (id: string) => path.join(projectDir, 'runs', id);

function until(
  jobId: string,
  test: (event: JobEvent) => boolean,
  timeoutMs = 60_000,
): Promise<JobEvent> {
  const seen = ofJob(jobId).find(test);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting on job ${jobId}: ${JSON.stringify(ofJob(jobId))}`)),
      timeoutMs,
    );
    const off = host.onJob(jobId, (event) => {
      if (!test(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}
const ended = (e: JobEvent) => ['done', 'failed', 'cancelled'].includes(e.type);

async function submit(jobId: string, config: Record<string, unknown>, resume = false) {
  await host.submit({ jobId, kind: 'pretrain', projectDir, runDir: runDir(jobId), config, resume });
}

describe('training jobs in the training process', { timeout: 120_000 }, () => {
  it('runs two jobs in order, writing run folders and exporting backbones', async () => {
    await submit('a', { ...TINY_TEST_CONFIG, maxSteps: 3 });
    await submit('b', { ...TINY_TEST_CONFIG, maxSteps: 2 });
    const doneB = await until('b', ended);
    expect(doneB.type).toBe('done');
    const a = ofJob('a').map((e) => e.type);
    expect(a).toEqual([
      'queued',
      'started',
      'progress',
      'progress',
      'progress',
      'checkpoint',
      'done',
    ]);
    // b waited for a: its start came after a was done.
    const order = events.map((e) => `${e.jobId}:${e.type}`);
    expect(order.indexOf('b:started')).toBeGreaterThan(order.indexOf('a:done'));
    expect(ofJob('b')[0]).toMatchObject({ type: 'queued', position: 1 });

    const metrics = (await readFile(path.join(runDir('a'), 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    const config = JSON.parse(await readFile(path.join(runDir('a'), 'config.json'), 'utf8'));
    expect(config).toMatchObject({ maxSteps: 3, batchSize: 4, lr: 5e-4 });
    const card = JSON.parse(
      await readFile(path.join(projectDir, 'models', 'a', 'card.json'), 'utf8'),
    );
    expect(card).toMatchObject({ task: 'backbone', input: { size: 16 }, data: { train: 8 } });
    expect(card.metrics[0].values).toEqual({ loss: metrics[2]!.loss, steps: 3 });
    const run = JSON.parse(await readFile(path.join(runDir('a'), 'run.json'), 'utf8'));
    expect(run).toMatchObject({ status: 'done', step: 3 });
  });

  it('holds a paused job between steps and continues on resume', async () => {
    await submit('p', { ...TINY_TEST_CONFIG, maxSteps: 6 });
    await until('p', (e) => e.type === 'progress');
    host.pause('p');
    const paused = await until('p', (e) => e.type === 'paused');
    const countAt = ofJob('p').length;
    // Round trips through the training process while p is held: jobs queued behind it, then
    // cancelled, one after another. The process answers each message only between the
    // computations of a running job (a step holds its thread, and a step's loop yields to
    // messages a couple of times at most), so ten answers in a row leave no room for a job
    // that kept running to hide its steps. p's events must not have grown by then.
    for (let i = 0; i < 5; i++) {
      await submit(`behind-p-${i}`, { ...TINY_TEST_CONFIG, maxSteps: 1 });
      await until(`behind-p-${i}`, (e) => e.type === 'queued');
      host.cancel(`behind-p-${i}`);
      await until(`behind-p-${i}`, ended);
    }
    expect(ofJob('p')).toHaveLength(countAt); // nothing while paused
    host.resume('p');
    await until('p', ended);
    const types = ofJob('p').map((e) => e.type);
    expect(types.slice(types.indexOf('paused'), types.indexOf('paused') + 2)).toEqual([
      'paused',
      'resumed',
    ]);
    const steps = ofJob('p').flatMap((e) => (e.type === 'progress' ? [e.progress.step] : []));
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    // Held before the next step: its step is the count of steps done (progress events so far).
    const before = types.slice(0, types.indexOf('paused')).filter((t) => t === 'progress');
    expect(paused.type === 'paused' && paused.step).toBe(before.length);
  });

  it('cancels a running job with a checkpoint, and a queued one at once', async () => {
    await submit('c', { ...TINY_TEST_CONFIG, maxSteps: 200, checkpointEvery: 1000 });
    await submit('q', { ...TINY_TEST_CONFIG, maxSteps: 2 });
    host.cancel('q');
    await until('c', (e) => e.type === 'progress' && e.progress.step >= 2);
    host.cancel('c');
    const cancelled = await until('c', ended);
    expect(cancelled.type).toBe('cancelled');
    const file = cancelled.type === 'cancelled' ? cancelled.lastCheckpoint : null;
    expect(file).toBe(path.join(runDir('c'), 'checkpoints', 'latest.ckpt'));
    expect((await readCheckpoint(file!)).step).toBeGreaterThanOrEqual(2);
    expect(ofJob('q').map((e) => e.type)).toEqual(['queued', 'cancelled']);
  });

  it('stops on a non-finite loss with a clear error and keeps the last good checkpoint', async () => {
    await submit('nan', { ...TINY_TEST_CONFIG, maxSteps: 30, lr: 1e30, checkpointEvery: 1 });
    const failed = await until('nan', ended);
    expect(failed.type).toBe('failed');
    if (failed.type !== 'failed') return;
    expect(failed.message).toMatch(/loss became (NaN|-?Infinity) at step \d+/);
    expect(failed.lastCheckpoint).toBe(path.join(runDir('nan'), 'checkpoints', 'latest.ckpt'));
    const saved = await readCheckpoint(failed.lastCheckpoint!);
    expect(failed.message).toContain(`at step ${saved.step}`);
    expect(saved.student.every(Number.isFinite)).toBe(true);
  });

  it('fails a job whose config has an unknown key, naming it', async () => {
    await submit('bad', { ...TINY_TEST_CONFIG, learningRate: 1 });
    const failed = await until('bad', ended);
    expect(failed).toMatchObject({ type: 'failed', lastCheckpoint: null });
    expect(failed.type === 'failed' && failed.message).toMatch(/learningRate/);
  });

  it('resumes a run killed with SIGKILL exactly as an uninterrupted run', async () => {
    const config = { ...TINY_TEST_CONFIG, maxSteps: 10, checkpointEvery: 2 };
    await submit('straight', config);
    const straight = await until('straight', ended);
    expect(straight.type).toBe('done');

    await submit('killed', config);
    await until('killed', (e) => e.type === 'progress' && e.progress.step === 3);
    const exited = new Promise((resolve) => host.on((e) => e.type === 'exit' && resolve(e)));
    child!.kill(); // SIGKILL mid-run: no chance to checkpoint or clean up
    expect(await exited).toMatchObject({ signal: 'SIGKILL', expected: false });
    const saved = await readCheckpoint(path.join(runDir('killed'), 'checkpoints', 'latest.ckpt'));
    expect(saved.step).toBeGreaterThanOrEqual(2);
    expect(saved.step).toBeLessThan(10);

    host = startHost();
    await host.start();
    await submit('killed', {}, true);
    const resumed = await until('killed', (e) => e.type === 'done');
    const after = ofJob('killed');
    const steps = after
      .slice(after.findLastIndex((e) => e.type === 'started'))
      .flatMap((e) => (e.type === 'progress' ? [e.progress.step] : []));
    const expected = Array.from({ length: 10 - saved.step }, (_, i) => saved.step + 1 + i);
    expect(steps).toEqual(expected);
    if (resumed.type !== 'done' || straight.type !== 'done') throw new Error('not done');
    expect(resumed.result.step).toBe(10);
    expect(resumed.result.checksum).toBe(straight.result.checksum);
    // metrics.jsonl: the steps logged after the checkpoint and before the kill are not doubled.
    const lines = (await readFile(path.join(runDir('killed'), 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(lines).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await stat(path.join(projectDir, 'models', 'killed', 'model.json'))).isFile()).toBe(
      true,
    );
  });
});
