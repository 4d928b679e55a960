/**
 * The shell's running-jobs store against a scripted studio: a page that loads while a run goes on
 * lists it from `jobs:live`, follows it by its events, keeps events that arrive while the list
 * loads, and asks again for a run it had not listed.
 */
import { describe, expect, it, vi } from 'vitest';
import type { LiveJob } from '$shared/live-jobs';
import { deferred, settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import { progress, runInfo } from '../../support/training-runs';

const RUN: LiveJob = {
  id: 'finetune-live',
  kind: 'run',
  title: 'Fine-tune landmarks',
  status: 'running',
  stage: null,
  done: 10,
  total: 120,
  etaSeconds: null,
};

async function freshJobs() {
  vi.resetModules();
  const { jobs } = await import('../../../src-renderer/src/shell/jobs.svelte');
  return jobs;
}

describe('running jobs store', () => {
  it('lists the live jobs main knows of on start, and follows a run until it ends', async () => {
    const jobs = await freshJobs();
    studio.handle('jobs:live', () => [RUN]);
    const stop = jobs.start();
    await settle(10);
    expect(jobs.jobs).toEqual([RUN]);

    studio.emit('training:event', {
      runId: RUN.id,
      event: { type: 'progress', progress: progress(30) },
    });
    expect(jobs.jobs).toMatchObject([{ done: 30, total: 120, status: 'running' }]);
    studio.emit('training:event', { runId: RUN.id, event: { type: 'paused', step: 30 } });
    expect(jobs.jobs).toMatchObject([{ status: 'paused' }]);
    studio.emit('training:event', {
      runId: RUN.id,
      event: { type: 'done', run: runInfo({ id: RUN.id, status: 'done' }) },
    });
    expect(jobs.jobs).toEqual([]);
    // A known run's events needed no second request.
    expect(studio.requests('jobs:live')).toHaveLength(1);
    stop();
    studio.emit('library:importProgress', {
      jobId: 'i1',
      stage: 'scanning',
      done: 0,
      total: 0,
      rate: 0,
      etaSeconds: null,
    });
    expect(jobs.jobs).toEqual([]);
  });

  it('keeps the events that arrive while the list loads, and applies them after it', async () => {
    const jobs = await freshJobs();
    const answer = deferred<LiveJob[]>();
    studio.handle('jobs:live', () => answer.promise);
    jobs.start();
    await settle(5);
    studio.emit('training:event', {
      runId: RUN.id,
      event: { type: 'progress', progress: progress(11) },
    });
    studio.emit('library:importProgress', {
      jobId: 'i1',
      stage: 'detecting',
      done: 3,
      total: 40,
      rate: 2,
      etaSeconds: 18.5,
    });
    expect(jobs.jobs).toEqual([]);
    answer.resolve([RUN]);
    await settle(5);
    expect(jobs.jobs).toMatchObject([
      { id: RUN.id, title: 'Fine-tune landmarks', done: 11 },
      { id: 'i1', kind: 'import', title: 'Face detection', done: 3, total: 40 },
    ]);
  });

  it('asks again for a run it had not listed, so its title names its task', async () => {
    const jobs = await freshJobs();
    let live: LiveJob[] = [];
    studio.handle('jobs:live', () => live);
    jobs.start();
    await settle(5);
    expect(jobs.jobs).toEqual([]);
    live = [{ ...RUN, status: 'queued', done: 0 }];
    studio.emit('training:event', { runId: RUN.id, event: { type: 'queued', position: 0 } });
    expect(jobs.jobs).toMatchObject([{ id: RUN.id, title: 'Fine-tuning' }]);
    await settle(5);
    expect(studio.requests('jobs:live')).toHaveLength(2);
    expect(jobs.jobs).toMatchObject([
      { id: RUN.id, title: 'Fine-tune landmarks', status: 'queued' },
    ]);
  });

  it('says why the list could not load', async () => {
    const jobs = await freshJobs();
    jobs.start();
    await settle(5);
    expect(jobs.error).toMatch(/No handler for jobs:live/);
    expect(jobs.jobs).toEqual([]);
  });
});
