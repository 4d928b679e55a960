/** What the job runners share: run.json stamped with the current fields, and a failing body. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigOf, runRecorder, settleRun } from '../../../src-main/engine/jobs/job-run';
import {
  parsePretrainConfig,
  type PretrainConfig,
} from '../../../src-main/engine/pretrain/pretrain-config';
import { RunFolder, type RunRecord } from '../../../src-main/engine/jobs/run-folder';
import type { JobEvent } from '../../../src-main/shared/worker-protocol';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'job-run-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readRecord(run: RunFolder): Promise<RunRecord> {
  return JSON.parse(await readFile(path.join(run.dir, 'run.json'), 'utf8')) as RunRecord;
}

describe('job runs', () => {
  it('writes run.json with the fields as they are at each write', async () => {
    const run = new RunFolder(path.join(dir, 'finetune-a'));
    await run.create();
    let step = 0;
    const record = runRecorder(run, 'finetune', '2024-01-01T00:00:00.000Z', () => ({
      step,
      lastCheckpoint: null,
    }));
    await record('running');
    step = 7;
    await record('done', { finalLoss: 0.5 });
    expect(await readRecord(run)).toMatchObject({
      id: 'finetune-a',
      kind: 'finetune',
      status: 'done',
      createdAt: '2024-01-01T00:00:00.000Z',
      step: 7,
      finalLoss: 0.5,
    });
  });

  it('ends a throwing body as failed, recorded with the last checkpoint, and emits it', async () => {
    const run = new RunFolder(path.join(dir, 'pretrain-b'));
    await run.create();
    const record = runRecorder(run, 'pretrain', '2024-01-01T00:00:00.000Z', () => ({
      step: 3,
      lastCheckpoint: 'c.ckpt',
    }));
    const emitted: JobEvent[] = [];
    const outcome = await settleRun(
      'job-1',
      { emit: (event) => emitted.push(event) },
      record,
      () => 'c.ckpt',
      () => Promise.reject(new Error('out of memory')),
    );
    expect(outcome).toEqual({
      type: 'failed',
      jobId: 'job-1',
      message: expect.stringContaining('out of memory'),
      lastCheckpoint: 'c.ckpt',
    });
    expect(emitted).toEqual([outcome]);
    expect(await readRecord(run)).toMatchObject({
      status: 'failed',
      error: outcome.type === 'failed' ? outcome.message : '',
    });
  });

  it('returns and emits what the body returns', async () => {
    const emitted: JobEvent[] = [];
    const cancelled = { type: 'cancelled', jobId: 'job-2', lastCheckpoint: null } as const;
    const record = () => Promise.reject(new Error('must not be called'));
    const outcome = await settleRun(
      'job-2',
      { emit: (event) => emitted.push(event) },
      record,
      () => null,
      () => Promise.resolve(cancelled),
    );
    expect(outcome).toBe(cancelled);
    expect(emitted).toEqual([cancelled]);
  });

  it("gives a new run's config its checkpoint folder, and parses a resumed run's saved one with the changes", async () => {
    const run = new RunFolder(path.join(dir, 'pretrain-config'));
    const fresh: PretrainConfig = parsePretrainConfig({ maxSteps: 3 });
    const started = await runConfigOf(run, { config: fresh }, parsePretrainConfig);
    expect(started).toEqual({ ...fresh, checkpointDir: run.checkpointDir });

    await run.create();
    await run.writeConfig(started);
    const resumed = await runConfigOf(
      run,
      { resume: true, config: { maxSteps: 5 } },
      parsePretrainConfig,
    );
    expect(resumed).toEqual({ ...started, maxSteps: 5 });
    await expect(
      runConfigOf(run, { resume: true, config: { maxStpes: 5 } }, parsePretrainConfig),
    ).rejects.toThrow(/maxStpes/);
  });
});
