/**
 * The Models view's backbone comparison store against a scripted studio: the last comparison of
 * the chosen task, a run whose progress and result arrive as events (also when they outrun the
 * answer naming the job), cancel, and a failure shown as an error.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred, Refusal, settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import { comparison } from './fixtures';

async function fresh() {
  vi.resetModules();
  const { compare } = await import('../../../src-renderer/src/features/models/compare.svelte');
  return compare;
}

beforeEach(() => studio.reset());
afterEach(() => studio.reset());

describe('compare store', () => {
  it('shows the last comparison of the chosen task', async () => {
    const last = comparison('landmarks', 'facemesh');
    studio.handle('models:comparison', ({ task }) => (task === 'landmarks' ? last : null));
    const compare = await fresh();
    const stop = compare.start();
    await settle();
    expect(compare.comparison).toEqual(last);
    await compare.setTask('expression');
    expect(compare.comparison).toBeNull();
    expect(studio.calls.map((c) => c.request)).toEqual([
      { task: 'landmarks' },
      { task: 'expression' },
    ]);
    stop();
  });

  it('runs a comparison: progress, then the result, even when events outrun the answer', async () => {
    studio.handle('models:comparison', () => null);
    const answer = deferred<{ jobId: string }>();
    studio.handle('models:compareBackbones', () => answer.promise);
    const compare = await fresh();
    const stop = compare.start();
    await settle();
    const running = compare.run();
    expect(compare.running).toBe(true);
    const progress = {
      backboneId: 'facemesh',
      done: 0,
      total: 2,
      stage: 'embedding' as const,
      faces: 4,
      facesTotal: 35,
    };
    // The first event comes before the answer naming the job.
    studio.emit('models:compareProgress', {
      jobId: 'compare-1',
      task: 'landmarks',
      progress,
      finished: false,
      comparison: null,
    });
    expect(compare.progress).toEqual(progress);
    answer.resolve({ jobId: 'compare-1' });
    await running;
    expect(compare.jobId).toBe('compare-1');
    // Another job's events are not ours.
    studio.emit('models:compareProgress', {
      jobId: 'compare-2',
      task: 'landmarks',
      progress: { ...progress, backboneId: 'random' },
      finished: false,
      comparison: null,
    });
    expect(compare.progress).toEqual(progress);
    const result = comparison('landmarks', 'facemesh');
    studio.emit('models:compareProgress', {
      jobId: 'compare-1',
      task: 'landmarks',
      progress: null,
      finished: true,
      comparison: result,
    });
    expect(compare.running).toBe(false);
    expect(compare.comparison).toEqual(result);
    expect(compare.error).toBeNull();
    stop();
  });

  it('cancels the running comparison and shows why it ended', async () => {
    studio.handle('models:comparison', () => null);
    studio.handle('models:compareBackbones', () => ({ jobId: 'compare-1' }));
    studio.handle('models:cancelCompare', () => ({ cancelled: true }));
    const compare = await fresh();
    const stop = compare.start();
    await settle();
    await compare.run();
    await compare.cancel();
    expect(studio.calls.at(-1)).toEqual({
      channel: 'models:cancelCompare',
      request: { jobId: 'compare-1' },
    });
    studio.emit('models:compareProgress', {
      jobId: 'compare-1',
      task: 'landmarks',
      progress: null,
      finished: true,
      comparison: null,
      error: 'The comparison was cancelled',
    });
    expect(compare.running).toBe(false);
    expect(compare.error).toBe('The comparison was cancelled');
    stop();
  });

  it('shows a refused start as an error and runs nothing', async () => {
    studio.handle('models:comparison', () => null);
    studio.handle('models:compareBackbones', () => {
      throw new Refusal('conflict', 'The training process is busy with run finetune-1');
    });
    const compare = await fresh();
    const stop = compare.start();
    await settle();
    await compare.run();
    expect(compare.running).toBe(false);
    expect(compare.error).toMatch(/busy with run finetune-1/);
    stop();
  });
});
