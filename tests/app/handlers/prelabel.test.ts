/**
 * Pre-labelling through `dispatch`, the training process a fake that answers the submitted job:
 * one image comes back unsaved; the background job saves predictions only to images that still
 * have no face when they arrive, so a person's labels are never overwritten.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FaceAnnotation } from '../../../src-main/shared/domain';
import { writeModel } from '../training/training-fixtures';
import { createTestStudio, type TestStudio } from './studio-fixture';

let studio: TestStudio;
beforeEach(async () => {
  studio = await createTestStudio();
  await writeModel(studio.projectDir, 'finetune-l');
});
afterEach(async () => {
  await studio.close();
});

function face(imageId: string, x: number, predicted: boolean): FaceAnnotation {
  return {
    imageId,
    points: Array.from({ length: 5 }, (_, i) => ({
      x: x + i,
      y: 50,
      v: 2 as const,
      ...(predicted
        ? { source: 'model' as const, confirmed: false, uncertainty: 0.02 }
        : { source: 'human' as const, confirmed: true }),
    })),
    attributes: {},
    expression: null,
    note: predicted ? '' : 'placed by a person',
    updatedAt: '2025-03-01T10:00:00.000Z',
    revision: 0,
  };
}

describe('labels:prelabel', () => {
  it('returns one image’s prediction without saving it', async () => {
    const [image] = studio.images;
    const pending = studio.invoke('labels:prelabel', {
      modelId: 'finetune-l',
      target: { imageId: image!.id },
    });
    const child = await vi.waitFor(() => {
      const process = studio.processes[0];
      if (!process?.submits().length) throw new Error('not submitted yet');
      return process;
    });
    const submit = child.submits()[0]!;
    expect(submit).toMatchObject({
      kind: 'prelabel',
      imageIds: [image!.id],
      modelDir: expect.stringMatching(/models[/\\]finetune-l$/),
    });
    const predicted = face(image!.id, 10, true);
    child.post({ type: 'prelabelled', jobId: submit.jobId, faces: [predicted], done: 1, total: 1 });
    child.post({
      type: 'done',
      jobId: submit.jobId,
      result: { step: 0, finalLoss: null, checksum: '', checkpoint: null },
      modelDir: null,
    });
    expect(await pending).toEqual({ ok: true, value: { face: predicted, jobId: null } });
    expect(studio.session.require().getFace(image!.id)).toBeNull();
  });

  it('saves predictions only where no face is labelled, even one labelled during the job', async () => {
    const store = studio.session.require();
    const [labelled, open, labelledMeanwhile] = studio.images.map((image) => image.id) as [
      string,
      string,
      string,
    ];
    const person = face(labelled, 100, false);
    await store.saveFace(person);

    const { jobId } = await studio.value<{ jobId: string }>('labels:prelabel', {
      modelId: 'finetune-l',
      target: 'unlabelled',
    });
    const child = studio.processes[0]!;
    const submit = child.submits()[0]!;
    expect(submit).toMatchObject({ jobId, kind: 'prelabel' });
    expect(submit.imageIds).toEqual([open, labelledMeanwhile]);

    // A person labels an image while the model still works on it.
    const meanwhile = face(labelledMeanwhile, 200, false);
    await store.saveFace(meanwhile);
    child.post({
      type: 'prelabelled',
      jobId,
      faces: [face(open, 10, true), face(labelledMeanwhile, 20, true)],
      done: 2,
      total: 2,
    });
    child.post({
      type: 'done',
      jobId,
      result: { step: 0, finalLoss: null, checksum: '', checkpoint: null },
      modelDir: null,
    });
    await vi.waitFor(() =>
      expect(studio.eventsOf('labels:prelabelProgress').at(-1)).toMatchObject({ finished: true }),
    );
    expect(studio.eventsOf('labels:prelabelProgress')).toEqual([
      { jobId, done: 2, total: 2, finished: false },
      { jobId, done: 2, total: 2, finished: true },
    ]);
    // Each face was saved once, the prediction too: a page that read "no face" must reload it.
    expect(store.getFace(open)).toEqual({ ...face(open, 10, true), revision: 1 });
    expect(store.getFace(labelledMeanwhile)).toEqual({ ...meanwhile, revision: 1 });
    expect(store.getFace(labelled)).toEqual({ ...person, revision: 1 });
    // The pre-labelled face waits for a person: it is not counted as labelled.
    expect(studio.eventsOf('project:changed').at(-1)).toMatchObject({
      labelledCount: 2,
      needsReviewCount: 1,
    });
  });

  it('reports a job that dies with its process', async () => {
    const { jobId } = await studio.value<{ jobId: string }>('labels:prelabel', {
      modelId: 'finetune-l',
      target: 'unlabelled',
    });
    studio.processes[0]!.exit(1, null);
    await vi.waitFor(() =>
      expect(studio.eventsOf('labels:prelabelProgress').at(-1)).toEqual({
        jobId,
        done: 0,
        total: 3,
        finished: true,
        error: 'The training process exited (code 1)',
      }),
    );
  });

  it('asks for acceptance before pre-labelling with a model no better than its baseline', async () => {
    await writeModel(studio.projectDir, 'finetune-worse', {
      metrics: [
        {
          data: 'validation faces (held out of train) of project "tiny"',
          faces: 28,
          values: { nme: 0.196, failureRate: 0.83 },
          baseline: { rule: 'mean-shape', values: { nme: 0.179 }, fittedOn: 250 },
          verdict: 'no-better',
        },
      ],
    });
    const refused = await studio.invoke('labels:prelabel', {
      modelId: 'finetune-worse',
      target: 'unlabelled',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!refused.ok && refused.error.message).toBe(
      'Model finetune-worse is no better than its baseline: 19.6% NME on 28 validation faces — ' +
        'the mean shape alone: 17.9%. Pre-label with it anyway?',
    );
    expect(studio.processes).toHaveLength(0);
    const { jobId } = await studio.value<{ jobId: string }>('labels:prelabel', {
      modelId: 'finetune-worse',
      target: 'unlabelled',
      acceptNoBetter: true,
    });
    expect(studio.processes[0]!.submits()[0]).toMatchObject({ jobId, kind: 'prelabel' });
  });

  it('refuses while a run keeps the training process busy, and refuses a backbone', async () => {
    const run = await studio.value<{ id: string }>('training:start', { kind: 'pretrain' });
    const busy = await studio.invoke('labels:prelabel', {
      modelId: 'finetune-l',
      target: 'unlabelled',
    });
    expect(busy).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!busy.ok && busy.error.message).toContain(run.id);
    expect(studio.processes[0]!.submits()).toHaveLength(1);

    await writeModel(studio.projectDir, 'pretrain-b', { task: 'backbone', schema: null });
    const backbone = await studio.invoke('labels:prelabel', {
      modelId: 'pretrain-b',
      target: 'unlabelled',
    });
    expect(backbone).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});
