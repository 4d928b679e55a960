/**
 * `jobs:live` through `dispatch`, the training process a fake driven by the test: a page that
 * loads while a run or a pre-labelling job goes on learns of it, where it stands, and no more of
 * it once it has ended.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveJob } from '../../../src-main/shared/live-jobs';
import type { RunInfo } from '../../../src-main/shared/training';
import type { JobProgress } from '../../../src-main/shared/worker-protocol';
import { progress as trainingProgress } from '../../support/training-runs';
import { writeModel } from '../training/training-fixtures';
import { createTestStudio, type TestStudio } from './studio-fixture';

let studio: TestStudio;
beforeEach(async () => {
  studio = await createTestStudio();
});
afterEach(async () => {
  await studio.close();
});

const live = () => studio.value<LiveJob[]>('jobs:live', {});

function progress(step: number): JobProgress {
  return trainingProgress(step, {
    totalSteps: 40,
    epoch: 0,
    loss: 1,
    lr: 1e-3,
    imagesPerSec: 8,
    etaSeconds: 35,
    memory: { rssBytes: 1e8, tensors: 10, tensorBytes: 1e6 },
  });
}

describe('jobs:live', () => {
  it('refuses a payload outside the contract', async () => {
    expect(await studio.invoke('jobs:live', { all: true })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload' },
    });
  });

  it('lists a run while it is queued, running or paused, and not once it has ended', async () => {
    expect(await live()).toEqual([]);
    const run = await studio.value<RunInfo>('training:start', {
      kind: 'finetune',
      task: 'landmarks',
    });
    expect(await live()).toEqual([
      {
        id: run.id,
        kind: 'run',
        title: 'Fine-tune landmarks',
        status: 'queued',
        stage: null,
        done: 0,
        total: null,
        etaSeconds: null,
      },
    ]);
    const child = studio.processes[0]!;
    child.post({ type: 'started', jobId: run.id, runDir: `${studio.projectDir}/runs/${run.id}` });
    child.post({ type: 'progress', jobId: run.id, progress: progress(12) });
    child.post({ type: 'paused', jobId: run.id, step: 12 });
    expect(await live()).toMatchObject([{ id: run.id, status: 'paused', done: 12, total: 40 }]);

    child.post({ type: 'cancelled', jobId: run.id, lastCheckpoint: null });
    await vi.waitFor(() =>
      expect(studio.eventsOf('training:event').at(-1)?.event.type).toBe('cancelled'),
    );
    expect(await live()).toEqual([]);
  });

  it('lists a pre-labelling job from its progress until it has finished', async () => {
    await writeModel(studio.projectDir, 'finetune-l');
    const { jobId } = await studio.value<{ jobId: string }>('labels:prelabel', {
      modelId: 'finetune-l',
      target: 'unlabelled',
    });
    const child = studio.processes[0]!;
    child.post({ type: 'prelabelled', jobId, faces: [], done: 1, total: 3 });
    expect(await live()).toEqual([
      {
        id: jobId,
        kind: 'prelabel',
        title: 'Pre-labelling',
        status: 'running',
        stage: null,
        done: 1,
        total: 3,
        etaSeconds: null,
      },
    ]);
    child.post({
      type: 'done',
      jobId,
      result: { step: 0, finalLoss: null, checksum: '', checkpoint: null },
      modelDir: null,
    });
    await vi.waitFor(() =>
      expect(studio.eventsOf('labels:prelabelProgress').at(-1)).toMatchObject({ finished: true }),
    );
    expect(await live()).toEqual([]);
  });

  it('lists nothing without an open project', async () => {
    await studio.value('project:close', {});
    expect(await live()).toEqual([]);
  });
});
