/**
 * The backbone comparison through `dispatch`, the training process a fake that answers the
 * submitted job: progress relayed as `models:compareProgress`, the saved comparison read back
 * once done (and by `models:comparison`), cancel, a busy process refusing, a dead process ending
 * the job with the reason.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeComparison } from '../../../src-main/engine/jobs/run-folder';
import type { BackboneComparison } from '../../../src-main/shared/backbone-comparison';
import { createTestStudio, type TestStudio } from './studio-fixture';

let studio: TestStudio;
beforeEach(async () => {
  studio = await createTestStudio();
});
afterEach(async () => {
  await studio.close();
});

const comparison: BackboneComparison = {
  format: 'face-studio-backbone-comparison',
  version: 1,
  task: 'landmarks',
  createdAt: '2026-12-03T07:00:00.000Z',
  metric: 'nme',
  lowerIsBetter: true,
  faces: { train: 3, val: 0, test: 2 },
  baseline: { name: 'mean shape', val: null, test: { value: 0.2, failureRate: 1, faces: 2 } },
  rows: [
    {
      backboneId: 'facemesh',
      name: 'FaceMesh (MediaPipe)',
      kind: 'geometry',
      licence: 'Apache-2.0',
      attribution: 'MediaPipe',
      package: '@vladmandic/human@3.3.6',
      taps: ['mesh', 'p_re_lu_15'],
      val: null,
      test: { value: 0.05, failureRate: 0, faces: 2 },
      msPerFace: 12,
      error: null,
    },
  ],
  winner: 'facemesh',
  chosenBy: 'test',
};

async function submitted() {
  const child = await vi.waitFor(() => {
    const process = studio.processes[0];
    if (!process?.submits().length) throw new Error('not submitted yet');
    return process;
  });
  return { child, submit: child.submits()[0]! };
}

describe('models:compareBackbones', () => {
  it('relays progress and, once done, the saved comparison', async () => {
    expect(await studio.value('models:comparison', { task: 'landmarks' })).toBeNull();
    const { jobId } = await studio.value<{ jobId: string }>('models:compareBackbones', {
      task: 'landmarks',
    });
    const { child, submit } = await submitted();
    expect(submit).toMatchObject({ kind: 'compare', task: 'landmarks', jobId });
    const progress = {
      backboneId: 'facemesh',
      done: 0,
      total: 1,
      stage: 'embedding' as const,
      faces: 2,
      facesTotal: 5,
    };
    child.post({ type: 'compareProgress', jobId, progress });
    // The job saves before it says done.
    await writeComparison(studio.projectDir, comparison);
    child.post({
      type: 'done',
      jobId,
      result: { step: 1, finalLoss: null, checksum: '', checkpoint: null },
      modelDir: null,
    });
    await vi.waitFor(() => {
      if (!studio.eventsOf('models:compareProgress').some((e) => e.finished))
        throw new Error('not finished');
    });
    expect(studio.eventsOf('models:compareProgress')).toEqual([
      { jobId, task: 'landmarks', progress, finished: false, comparison: null },
      { jobId, task: 'landmarks', progress: null, finished: true, comparison },
    ]);
    expect(await studio.value('models:comparison', { task: 'landmarks' })).toEqual(comparison);
  });

  it('cancels a running comparison and says so when it ends', async () => {
    const { jobId } = await studio.value<{ jobId: string }>('models:compareBackbones', {
      task: 'landmarks',
    });
    const { child } = await submitted();
    expect(await studio.value('models:cancelCompare', { jobId })).toEqual({ cancelled: true });
    expect(child.sent).toContainEqual({ type: 'cancel', jobId });
    expect(await studio.value('models:cancelCompare', { jobId: 'compare-other' })).toEqual({
      cancelled: false,
    });
    child.post({ type: 'cancelled', jobId, lastCheckpoint: null });
    await vi.waitFor(() => {
      if (!studio.eventsOf('models:compareProgress').some((e) => e.finished))
        throw new Error('not finished');
    });
    expect(studio.eventsOf('models:compareProgress').at(-1)).toEqual({
      jobId,
      task: 'landmarks',
      progress: null,
      finished: true,
      comparison: null,
      error: 'The comparison was cancelled',
    });
  });

  it('is refused while the training process is busy, and ends when the process dies', async () => {
    const { jobId } = await studio.value<{ jobId: string }>('models:compareBackbones', {
      task: 'landmarks',
    });
    const { child } = await submitted();
    const second = await studio.invoke('models:compareBackbones', { task: 'landmarks' });
    expect(second).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/busy with job compare-/) },
    });
    child.exit(1, null);
    await vi.waitFor(() => {
      if (!studio.eventsOf('models:compareProgress').some((e) => e.finished))
        throw new Error('not finished');
    });
    expect(studio.eventsOf('models:compareProgress').at(-1)).toMatchObject({
      jobId,
      finished: true,
      error: expect.stringMatching(/The training process exited \(code 1\)/),
    });
  });

  it('rejects a task that is not one', async () => {
    const result = await studio.invoke('models:compareBackbones', { task: 'backbone' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});
