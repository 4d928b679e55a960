/**
 * The pre-labelling job with a tiny landmark model fine-tuned for a few steps on HELEN faces:
 * faces reported in batches with predicted points and their uncertainty, cancel, a missing model.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  prelabelImagesOf,
  readLabelledFaces,
  readProjectSnapshot,
} from '../../../src-main/app/training/finetune-faces';
import { pointsBox } from '../../../src-main/engine/data/face-crop';
import { runFinetuneJob } from '../../../src-main/engine/jobs/finetune-job';
import { runPrelabelJob } from '../../../src-main/engine/jobs/prelabel-job';
import type { ImageToPrelabel } from '../../../src-main/engine/predict/prelabel';
import { FromTrainingMessage, type JobEvent } from '../../../src-main/shared/worker-protocol';
import { createLabelledProject } from '../data/labelled-project';
import { useWasm } from '../helpers';

let root: string;
let modelDir: string;
let images: ImageToPrelabel[];
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-prelabel-'));
  const projectDir = path.join(root, 'project');
  const created = await createLabelledProject(projectDir, { train: 4, val: 1 });
  const trained = await runFinetuneJob(
    {
      jobId: 'm',
      runDir: path.join(projectDir, 'runs', 'm'),
      modelsDir: path.join(projectDir, 'models'),
      config: {
        task: 'landmarks',
        model: { preset: 'tiny', imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2 },
        batchSize: 4,
        epochs: 1,
        landmarkHead: { channels: [8, 8] },
      },
      faces: (task) => readLabelledFaces(projectDir, task),
    },
    { emit: () => undefined },
  );
  if (trained.type !== 'done') throw new Error(JSON.stringify(trained));
  modelDir = trained.modelDir!;
  // Face boxes given (from the labelled points), so no detector loads.
  const set = await readLabelledFaces(projectDir, 'landmarks');
  const listed = prelabelImagesOf(
    await readProjectSnapshot(projectDir),
    created.slice(0, 3).map((i) => i.id),
  );
  images = listed.map((image) => {
    const box = pointsBox(set.faces.find((f) => f.imageId === image.imageId)!.points);
    return { ...image, face: { box, crop: box, score: 1 } };
  });
}, 90_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pre-labelling job', { timeout: 60_000 }, () => {
  it('reports predicted faces a batch at a time, then done without a model', async () => {
    const events: JobEvent[] = [];
    const held: number[] = [];
    const outcome = await runPrelabelJob(
      { jobId: 'p', modelDir, images, chunk: 2 },
      { emit: (e) => events.push(e), beforeStep: async (done) => void held.push(done) },
    );
    expect(outcome).toMatchObject({ type: 'done', modelDir: null, result: { step: 3 } });
    for (const e of events) FromTrainingMessage.parse(e);
    const batches = events.flatMap((e) => (e.type === 'prelabelled' ? [e] : []));
    expect(batches.map((b) => [b.faces.length, b.done, b.total])).toEqual([
      [2, 2, 3],
      [1, 3, 3],
    ]);
    expect(held).toEqual([0, 2]);
    const faces = batches.flatMap((b) => b.faces);
    expect(faces.map((f) => f.imageId)).toEqual(images.map((i) => i.imageId));
    for (const face of faces) {
      expect(face.points).toHaveLength(68);
      expect(
        face.points.every((p) => p.source === 'model' && !p.confirmed && p.uncertainty! >= 0),
      ).toBe(true);
    }
  });

  it('stops when cancelled, between batches', async () => {
    const controller = new AbortController();
    const events: JobEvent[] = [];
    const outcome = await runPrelabelJob(
      { jobId: 'c', modelDir, images, chunk: 1 },
      {
        signal: controller.signal,
        emit: (e) => {
          events.push(e);
          if (e.type === 'prelabelled') controller.abort();
        },
      },
    );
    expect(outcome).toEqual({ type: 'cancelled', jobId: 'c', lastCheckpoint: null });
    expect(events.filter((e) => e.type === 'prelabelled')).toHaveLength(1);
  });

  it('fails naming the model folder it cannot load', async () => {
    const missing = path.join(root, 'no-model');
    const outcome = await runPrelabelJob(
      { jobId: 'x', modelDir: missing, images },
      { emit: () => undefined },
    );
    expect(outcome.type).toBe('failed');
    expect(outcome.type === 'failed' && outcome.message).toContain(missing);
  });
});
