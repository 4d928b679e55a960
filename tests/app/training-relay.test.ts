/**
 * The relay against a fake training process: job events become `training:event` pushes, the
 * dashboard can reattach to a live run, a dead process marks its running run failed and a resume
 * submits again with `resume: true` (on a fresh process), pause and cancel reach the right job.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TrainingHost } from '../../src-main/app/training-host';
import { INTERRUPTED_MESSAGE, TrainingRelay, newJobId } from '../../src-main/app/training-relay';
import type { TrainingEventPayload } from '../../src-main/shared/training';
import type { JobProgress } from '../../src-main/shared/worker-protocol';
import { metricsLine, writeCheckpoint, writeRun } from './training/training-fixtures';
import { fakeTrainingSpawner, type FakeTrainingProcess } from './fake-training';

let projectDir: string;
let processes: FakeTrainingProcess[];
let host: TrainingHost;
let relay: TrainingRelay;
let pushed: TrainingEventPayload[];

beforeEach(async () => {
  projectDir = await mkdtemp(path.join(os.tmpdir(), 'relay-'));
  const fake = fakeTrainingSpawner();
  processes = fake.processes;
  host = new TrainingHost(fake.spawner, { stopTimeoutMs: 50 });
  pushed = [];
  relay = new TrainingRelay(host, (payload) => pushed.push(payload));
});
afterEach(async () => {
  await host.stop();
  // Stopping the host fails the live runs, and the relay may still be writing their run.json
  // while the folder is removed (ENOTEMPTY): retry as fs.rm allows.
  await rm(projectDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
});

function progress(step: number): JobProgress {
  return {
    step,
    totalSteps: 10,
    epoch: 0,
    loss: 8 - step / 10,
    lr: 1e-4,
    momentum: 0.996,
    teacherEntropy: 8.2,
    imagesPerSec: 3,
    etaSeconds: 20,
    memory: { rssBytes: 1e8, tensors: 10, tensorBytes: 1e6 },
  };
}

const readRecord = async (runId: string) =>
  JSON.parse(await readFile(path.join(projectDir, 'runs', runId, 'run.json'), 'utf8')) as Record<
    string,
    unknown
  >;

async function startPretrain() {
  const run = await relay.start(projectDir, {
    kind: 'pretrain',
    task: null,
    backboneId: null,
    config: { epochs: 1 },
  });
  return { run, child: processes.at(-1)! };
}

/** What the job itself writes to run.json (pretrain-job.ts), so the relay finds it on disk. */
async function jobWrites(runId: string, record: Record<string, unknown>) {
  await writeFile(
    path.join(projectDir, 'runs', runId, 'run.json'),
    JSON.stringify({
      id: runId,
      kind: 'pretrain',
      createdAt: '2025-01-01T00:00:00.000Z',
      ...record,
    }),
  );
}

describe('TrainingRelay', () => {
  it('names sortable run ids', () => {
    const early = newJobId('pretrain', new Date('2025-01-01T10:00:00.001Z'));
    const late = newJobId('pretrain', new Date('2025-01-01T10:00:00.020Z'));
    expect(early).toMatch(/^pretrain-20250101-100000001-[0-9a-f]{4}$/);
    expect(early < late).toBe(true);
  });

  it('submits a new run, relays its events, and lets a dashboard reattach', async () => {
    const { run, child } = await startPretrain();
    expect(run).toMatchObject({ kind: 'pretrain', status: 'queued', step: 0, error: null });
    expect(await readRecord(run.id)).toMatchObject({ status: 'queued', kind: 'pretrain' });
    expect(child.submits()).toEqual([
      {
        type: 'submit',
        jobId: run.id,
        kind: 'pretrain',
        projectDir,
        runDir: path.join(projectDir, 'runs', run.id),
        config: { epochs: 1 },
      },
    ]);

    child.post({ type: 'queued', jobId: run.id, position: 0 });
    child.post({ type: 'started', jobId: run.id, runDir: path.join(projectDir, 'runs', run.id) });
    child.post({ type: 'progress', jobId: run.id, progress: progress(1) });
    child.post({ type: 'checkpoint', jobId: run.id, step: 1, file: 'x.ckpt' });
    child.post({ type: 'progress', jobId: run.id, progress: progress(2) });
    // Another job's events are not this relay's business.
    child.post({ type: 'progress', jobId: 'someone-else', progress: progress(9) });
    expect(pushed.map((p) => [p.runId, p.event.type])).toEqual([
      [run.id, 'queued'],
      [run.id, 'started'],
      [run.id, 'progress'],
      [run.id, 'checkpoint'],
      [run.id, 'progress'],
    ]);
    expect(pushed[4]!.event).toEqual({ type: 'progress', progress: progress(2) });

    // Reattach (a reloaded window): the log on disk plus the latest event it has not caught up on.
    await writeFile(path.join(projectDir, 'runs', run.id, 'metrics.jsonl'), `${metricsLine(1)}\n`);
    const detail = await relay.detail(projectDir, run.id);
    expect(detail.run).toMatchObject({
      status: 'running',
      step: 2,
      totalSteps: 10,
      resumable: true,
    });
    expect(detail.progress.map((p) => p.step)).toEqual([1, 2]);
    expect((await relay.runs(projectDir)).map((r) => [r.id, r.status])).toEqual([
      [run.id, 'running'],
    ]);

    const modelDir = path.join(projectDir, 'models', run.id);
    await jobWrites(run.id, { status: 'done', step: 2, modelDir, lastCheckpoint: null });
    child.post({
      type: 'done',
      jobId: run.id,
      result: { step: 2, finalLoss: 7.8, checksum: 'abc', checkpoint: null },
      modelDir,
    });
    await vi.waitFor(() => expect(pushed.at(-1)?.event.type).toBe('done'));
    expect(pushed.at(-1)!.event).toMatchObject({
      type: 'done',
      run: { id: run.id, status: 'done', modelId: run.id, step: 2 },
    });
    expect(relay.busyWith()).toBeNull();
  });

  it('marks a running run failed when the process dies, and resumes it on a new process', async () => {
    const { run, child } = await startPretrain();
    const runDir = path.join(projectDir, 'runs', run.id);
    child.post({ type: 'started', jobId: run.id, runDir });
    await jobWrites(run.id, { status: 'running', step: 0, lastCheckpoint: null });
    const checkpoint = await writeCheckpoint(runDir);
    child.post({ type: 'checkpoint', jobId: run.id, step: 5, file: checkpoint });
    child.post({ type: 'progress', jobId: run.id, progress: progress(6) });

    child.exit(null, 'SIGKILL');
    await vi.waitFor(() => expect(pushed.at(-1)?.event.type).toBe('failed'));
    const message = 'The training process exited (signal SIGKILL)';
    expect(pushed.at(-1)!.event).toMatchObject({
      type: 'failed',
      message,
      run: { status: 'failed', error: message, resumable: true, step: 6 },
    });
    // The step it died at, not the one the job last wrote (0, at start).
    expect(await readRecord(run.id)).toMatchObject({ status: 'failed', error: message, step: 6 });
    expect((await relay.runs(projectDir))[0]).toMatchObject({ status: 'failed', error: message });

    const resumed = await relay.resume(projectDir, run.id);
    expect(processes).toHaveLength(2);
    expect(processes[1]!.submits()).toEqual([
      expect.objectContaining({
        jobId: run.id,
        kind: 'pretrain',
        runDir,
        config: {},
        resume: true,
      }),
    ]);
    expect(resumed).toMatchObject({ status: 'queued', error: null });
    expect(await readRecord(run.id)).toMatchObject({ status: 'queued', error: null });
  });

  it('routes pause, resume and cancel to the job, and records an end the job did not', async () => {
    const { run, child } = await startPretrain();
    await relay.pause(projectDir, run.id);
    expect(child.sent.at(-1)).toEqual({ type: 'pause', jobId: run.id });
    child.post({ type: 'paused', jobId: run.id, step: 0 });
    expect((await relay.info(projectDir, run.id)).status).toBe('paused');
    await relay.resume(projectDir, run.id);
    expect(child.sent.at(-1)).toEqual({ type: 'resume', jobId: run.id });
    child.post({ type: 'resumed', jobId: run.id });
    expect((await relay.info(projectDir, run.id)).status).toBe('running');

    await relay.cancel(projectDir, run.id);
    expect(child.sent.at(-1)).toEqual({ type: 'cancel', jobId: run.id });
    // run.json still says queued (as when a queued job is dropped): only the relay can record it.
    child.post({ type: 'cancelled', jobId: run.id, lastCheckpoint: null });
    await vi.waitFor(() => expect(pushed.at(-1)?.event.type).toBe('cancelled'));
    expect(await readRecord(run.id)).toMatchObject({ status: 'cancelled' });
    expect(pushed.at(-1)!.event).toMatchObject({ run: { status: 'cancelled', resumable: false } });

    await expect(relay.pause(projectDir, run.id)).rejects.toThrow(/not queued or running/);
    await expect(relay.cancel(projectDir, run.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(relay.resume(projectDir, run.id)).rejects.toThrow(/has no checkpoint/);
  });

  it('keeps the end a job recorded itself when its process then exits', async () => {
    const { run, child } = await startPretrain();
    child.post({ type: 'started', jobId: run.id, runDir: path.join(projectDir, 'runs', run.id) });
    // Shutdown: the job stops with a checkpoint and records it, but its last event is lost.
    await jobWrites(run.id, { status: 'cancelled', step: 3, lastCheckpoint: null });
    await host.stop();
    await vi.waitFor(() => expect(pushed.at(-1)?.event.type).toBe('cancelled'));
    expect(await readRecord(run.id)).toMatchObject({ status: 'cancelled' });
    expect(await readRecord(run.id)).not.toHaveProperty('error');
  });

  it('refuses to resume a finished run and lists a run nobody runs as interrupted', async () => {
    await writeRun(projectDir, 'pretrain-done', {
      kind: 'pretrain',
      status: 'done',
      createdAt: 'x',
    });
    await expect(relay.resume(projectDir, 'pretrain-done')).rejects.toThrow(/has finished/);
    await expect(relay.resume(projectDir, 'pretrain-none')).rejects.toMatchObject({
      code: 'not-found',
    });
    const stale = await writeRun(projectDir, 'pretrain-stale', {
      kind: 'pretrain',
      status: 'running',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    await writeCheckpoint(stale);
    expect(await relay.info(projectDir, 'pretrain-stale')).toMatchObject({
      status: 'failed',
      error: INTERRUPTED_MESSAGE,
      resumable: true,
    });
    await relay.resume(projectDir, 'pretrain-stale');
    expect(processes[0]!.submits()[0]).toMatchObject({ jobId: 'pretrain-stale', resume: true });
  });

  it('knows which models live jobs use, and which job keeps the process busy', async () => {
    expect(relay.busyWith()).toBeNull();
    const run = await relay.start(projectDir, {
      kind: 'finetune',
      task: 'landmarks',
      backboneId: 'pretrain-b',
      config: { task: 'landmarks' },
    });
    expect(processes[0]!.submits()[0]).toMatchObject({
      kind: 'finetune',
      backboneDir: path.join(projectDir, 'models', 'pretrain-b'),
    });
    expect(relay.modelInUse(projectDir, 'pretrain-b')).toBe(true);
    expect(relay.modelInUse(projectDir, 'pretrain-other')).toBe(false);
    expect(relay.modelInUse(path.join(projectDir, 'elsewhere'), 'pretrain-b')).toBe(false);
    expect(relay.busyWith()).toEqual({ jobId: run.id, what: `run ${run.id}` });
  });

  it('fails the run and says why when the training process cannot start', async () => {
    const broken = new TrainingRelay(
      new TrainingHost(() => {
        throw new Error('no utility process');
      }),
      (payload) => pushed.push(payload),
    );
    await expect(
      broken.start(projectDir, { kind: 'pretrain', task: null, backboneId: null, config: {} }),
    ).rejects.toThrow(/could not start: no utility process/);
    const [run] = await broken.runs(projectDir);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/no utility/) });
  });
});
