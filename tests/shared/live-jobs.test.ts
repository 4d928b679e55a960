import { describe, expect, it } from 'vitest';
import {
  applyLiveJobEvent,
  liveRunJob,
  runTitle,
  type LiveJob,
  type LiveJobEvent,
} from '../../src-main/shared/live-jobs';
import type { RunInfo } from '../../src-main/shared/training';
import type { JobProgress } from '../../src-main/shared/worker-protocol';
import { progress as trainingProgress, runInfo } from '../support/training-runs';

/** A landmark fine-tuning run at step 7 of 40. */
function run(overrides: Partial<RunInfo> = {}): RunInfo {
  return runInfo({
    id: 'finetune-20261203-101500000-ab12',
    createdAt: '2026-12-03T10:15:00.000Z',
    updatedAt: '2026-12-03T10:16:00.000Z',
    step: 7,
    totalSteps: 40,
    ...overrides,
  });
}

function progress(step: number, etaSeconds = 30): JobProgress {
  return trainingProgress(step, {
    totalSteps: 40,
    epoch: 0,
    loss: 1,
    lr: 1e-3,
    imagesPerSec: 8,
    etaSeconds,
    memory: { rssBytes: 1, tensors: 1, tensorBytes: 1 },
  });
}

const fold = (events: LiveJobEvent[], from: LiveJob[] = []) =>
  events.reduce<LiveJob[]>((jobs, event) => applyLiveJobEvent(jobs, event), from);

describe('liveRunJob', () => {
  it('lists queued, running and paused runs, and no ended one', () => {
    expect(liveRunJob(run())).toEqual({
      id: run().id,
      kind: 'run',
      title: 'Fine-tune landmarks',
      status: 'running',
      stage: null,
      done: 7,
      total: 40,
      etaSeconds: null,
    });
    expect(liveRunJob(run({ status: 'paused' }))?.status).toBe('paused');
    expect(liveRunJob(run({ status: 'queued' }))?.status).toBe('queued');
    for (const status of ['done', 'failed', 'cancelled'] as const) {
      expect(liveRunJob(run({ status }))).toBeNull();
    }
    expect(runTitle({ kind: 'pretrain', task: null })).toBe('Pre-training');
  });
});

describe('applyLiveJobEvent', () => {
  it('follows a known run through pause and progress, and drops it when it ends', () => {
    const start = [liveRunJob(run())!];
    const runId = run().id;
    const paused = fold(
      [{ channel: 'training:event', payload: { runId, event: { type: 'paused', step: 9 } } }],
      start,
    );
    expect(paused).toMatchObject([{ status: 'paused', done: 9, title: 'Fine-tune landmarks' }]);
    const moving = fold(
      [
        { channel: 'training:event', payload: { runId, event: { type: 'resumed' } } },
        {
          channel: 'training:event',
          payload: { runId, event: { type: 'progress', progress: progress(10) } },
        },
      ],
      paused,
    );
    expect(moving).toMatchObject([{ status: 'running', done: 10, total: 40, etaSeconds: 30 }]);
    const ended = fold(
      [
        {
          channel: 'training:event',
          payload: { runId, event: { type: 'cancelled', run: run({ status: 'cancelled' }) } },
        },
      ],
      moving,
    );
    expect(ended).toEqual([]);
    // The list given is never changed in place.
    expect(start).toMatchObject([{ status: 'running', done: 7 }]);
  });

  it('adds a run it did not know from its first event, named by the kind in its id', () => {
    const jobs = fold([
      {
        channel: 'training:event',
        payload: { runId: 'pretrain-20261203-1', event: { type: 'started' } },
      },
      {
        channel: 'training:event',
        payload: { runId: 'finetune-20261203-2', event: { type: 'queued', position: 1 } },
      },
    ]);
    expect(jobs).toMatchObject([
      { id: 'pretrain-20261203-1', title: 'Pre-training', status: 'running' },
      { id: 'finetune-20261203-2', title: 'Fine-tuning', status: 'queued' },
    ]);
    // An end of a run it never listed adds nothing.
    expect(
      fold([
        {
          channel: 'training:event',
          payload: {
            runId: 'x-1',
            event: { type: 'done', run: run({ id: 'x-1', status: 'done' }) },
          },
        },
      ]),
    ).toEqual([]);
  });

  it('follows an import through its stages until it is done, and names curation', () => {
    const importing = fold([
      {
        channel: 'library:importProgress',
        payload: { jobId: 'i1', stage: 'scanning', done: 0, total: 0, etaSeconds: null },
      },
      {
        channel: 'library:importProgress',
        payload: { jobId: 'i1', stage: 'detecting', done: 12, total: 40, etaSeconds: 5 },
      },
      {
        channel: 'library:importProgress',
        payload: { jobId: 'c1', stage: 'detecting', done: 1, total: 9, etaSeconds: null },
      },
    ]);
    expect(importing).toEqual([
      {
        id: 'i1',
        kind: 'import',
        title: 'Import',
        status: 'running',
        stage: 'detecting',
        done: 12,
        total: 40,
        etaSeconds: 5,
      },
      {
        id: 'c1',
        kind: 'import',
        title: 'Face detection',
        status: 'running',
        stage: 'detecting',
        done: 1,
        total: 9,
        etaSeconds: null,
      },
    ]);
    expect(
      fold([{ channel: 'library:importDone', payload: { jobId: 'i1' } }], importing),
    ).toMatchObject([{ id: 'c1' }]);
  });

  it('follows pre-labelling and a backbone comparison until they finish', () => {
    const jobs = fold([
      {
        channel: 'labels:prelabelProgress',
        payload: { jobId: 'p1', done: 2, total: 5, finished: false },
      },
      {
        channel: 'models:compareProgress',
        payload: { jobId: 'm1', task: 'landmarks', progress: null, finished: false },
      },
      {
        channel: 'models:compareProgress',
        payload: {
          jobId: 'm1',
          task: 'landmarks',
          progress: { backboneId: 'facemesh', done: 1, total: 3, stage: 'embedding' },
          finished: false,
        },
      },
    ]);
    expect(jobs).toMatchObject([
      { id: 'p1', kind: 'prelabel', title: 'Pre-labelling', done: 2, total: 5 },
      {
        id: 'm1',
        kind: 'compare',
        title: 'Compare backbones (landmarks)',
        stage: 'embedding facemesh',
        done: 1,
        total: 3,
      },
    ]);
    const ended = fold(
      [
        {
          channel: 'labels:prelabelProgress',
          payload: { jobId: 'p1', done: 5, total: 5, finished: true },
        },
        {
          channel: 'models:compareProgress',
          payload: { jobId: 'm1', task: 'landmarks', progress: null, finished: true },
        },
      ],
      jobs,
    );
    expect(ended).toEqual([]);
  });
});
