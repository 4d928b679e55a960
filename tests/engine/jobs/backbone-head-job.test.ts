/**
 * A backbone-head fine-tuning run (`method: 'backbone-head'`) end to end on real faces: 50 HELEN
 * training faces through the job (FaceMesh embedded, the ridge head fitted), measured on 100
 * HELEN test faces through the inference path, exported with its card; the run folder and the
 * events the Train view draws; the card records the refinement the head applies; the exported
 * model predicts what the job measured; a run with too few faces or a backbone the exporter
 * cannot write is refused by name.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import type { LabelledFace, LabelledFaceSet } from '../../../src-main/engine/data/labelled-faces';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import { runFinetuneJob } from '../../../src-main/engine/jobs/finetune-job';
import { inferenceRequest } from '../../../src-main/engine/jobs/backbone-head-job';
import { landmarkMetrics } from '../../../src-main/engine/metrics/landmark-metrics';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { RECUT_BEYOND } from '../../../src-main/engine/predict/recut';
import { ModelCard } from '../../../src-main/shared/model-card';
import {
  JobProgress,
  JobValidation,
  type JobEvent,
} from '../../../src-main/shared/worker-protocol';
import { useWasm } from '../../support/engine-helpers';
import { helenFaces } from '../../support/helen-crops';

/** The first `count` faces (by name) of a HELEN split as a project's labelled faces. */
async function labelledHelenFaces(
  split: 'train' | 'test',
  count: number,
  as: LabelledFace['split'],
): Promise<LabelledFace[]> {
  return Promise.all(
    (await helenFaces(split, count)).map(async ({ file, points }) => {
      const meta = await sharp(file).metadata();
      return {
        imageId: path.basename(file, '.jpg') + '.pts',
        file,
        width: meta.width,
        height: meta.height,
        split: as,
        detection: null,
        points,
        label: [],
      };
    }),
  );
}

let root: string;
let mesh: FaceBackbone;
let set: LabelledFaceSet;
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-head-job-'));
  mesh = await loadFaceMesh();
  set = {
    task: 'landmarks',
    schema: builtinLandmarkSchema('ibug68'),
    project: 'helen',
    faces: [
      ...(await labelledHelenFaces('train', 50, 'train')),
      ...(await labelledHelenFaces('test', 100, 'test')),
    ],
    skipped: {},
  };
}, 60_000);
afterAll(async () => {
  mesh?.dispose();
  await rm(root, { recursive: true, force: true });
});

const readLines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('backbone-head fine-tuning job', { timeout: 300_000 }, () => {
  it('fits a FaceMesh landmark head on 50 HELEN faces: under 6% NME on 100 test faces, as predict runs it', async () => {
    const events: JobEvent[] = [];
    const config = parseFinetuneConfig({ task: 'landmarks', method: 'backbone-head' });
    const outcome = await runFinetuneJob(
      {
        jobId: 'head',
        runDir: path.join(root, 'runs', 'head'),
        modelsDir: path.join(root, 'models'),
        config,
        faces: async () => set,
        loadBackbone: async (id) => {
          expect(id).toBe('facemesh');
          return mesh;
        },
      },
      { emit: (e) => events.push(e) },
    );
    if (outcome.type !== 'done') throw new Error(JSON.stringify(outcome));
    const nme = outcome.result.metrics!.nme!;
    expect(nme).toBeLessThan(0.06);
    expect(outcome.result.metrics!.failureRate).toBeLessThan(0.05);

    // Steps: 50 faces embedded, the fit, 100 faces measured; the fit's loss from then on.
    const progress = events.filter((e) => e.type === 'progress').map((e) => e.progress);
    expect(progress.at(-1)).toMatchObject({ step: 151, totalSteps: 151 });
    expect(progress.map((p) => p.step)).toEqual([
      16, 32, 48, 50, 51, 67, 83, 99, 115, 131, 147, 151,
    ]);
    expect(progress[3]!.loss).toBe(0);
    expect(progress[4]!.loss).toBeGreaterThan(0);
    const runDir = path.join(root, 'runs', 'head');
    expect((await readdir(runDir)).sort()).toEqual([
      'checkpoints',
      'config.json',
      'metrics.jsonl',
      'run.json',
      'validation.jsonl',
    ]);
    expect(
      (await readLines(path.join(runDir, 'metrics.jsonl'))).map((l) => JobProgress.parse(l)),
    ).toEqual(progress);
    const [validation] = (await readLines(path.join(runDir, 'validation.jsonl'))).map((l) =>
      JobValidation.parse(l),
    );
    expect(validation).toMatchObject({ monitored: 'nme', lowerIsBetter: true, metrics: { nme } });
    expect(validation!.samples).toHaveLength(4);
    expect(validation!.samples[0]!.points).toHaveLength(68);
    const record = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'));
    expect(record).toMatchObject({ status: 'done', task: 'landmarks', step: 151, modelId: 'head' });

    // The card: the head record (FaceMesh with its licence and notice, the crop record with the
    // refine pass, σ's calibration) and the metric with the faces and how they were cut.
    const modelDir = path.join(root, 'models', 'head');
    const card = ModelCard.parse(
      JSON.parse(await readFile(path.join(modelDir, 'card.json'), 'utf8')),
    );
    expect(card.head).toMatchObject({
      method: 'ridge',
      backbones: [{ id: 'facemesh', licence: 'Apache-2.0', notice: 'NOTICE-facemesh.txt' }],
      crop: {
        backbone: 'facemesh',
        trainedOn: 'landmarks',
        inference: 'detection',
        refine: 'predicted-landmarks',
        recutBeyond: RECUT_BEYOND,
      },
    });
    expect(card.head!.uncertainty!.pointError).toHaveLength(68);
    // The head applies its refinement on FaceMesh's stride-8 map: it paid off on held-out faces,
    // and the exported graph (run by predict below) carries it.
    expect(card.head!.backbones[0]!.taps).toEqual([
      'mesh',
      'p_re_lu_12',
      'p_re_lu_15',
      'p_re_lu_9',
    ]);
    expect(card.head!.refinement).toMatchObject({ tap: 'p_re_lu_9', applied: true, faces: 50 });
    expect(card.head!.refinement!.refined).toBeLessThan(card.head!.refinement!.unrefined);
    expect(card.metrics).toEqual([
      {
        data: expect.stringMatching(
          /^test split of project "helen"; cut from 0 detection boxes and 100 labelled points' boxes, then again around the predicted points where they moved the crop's centre by over 1% of its side/,
        ),
        faces: 100,
        values: outcome.result.metrics,
        baseline: expect.objectContaining({ values: expect.any(Object) }),
        verdict: 'better',
      },
    ]);
    // The mean shape of the 50 training crops, placed in each test face's crop, is far worse
    // (≈ 18% NME on HELEN; research/FEWSHOT_NOTES.md): the card says so beside the figure.
    const baselineNme = card.metrics[0]!.baseline!.values.nme!;
    expect(baselineNme).toBeGreaterThan(0.12);
    expect(baselineNme).toBeGreaterThan(3 * nme);
    expect(card.data).toEqual({ project: 'helen', train: 50, val: 0, test: 100 });
    expect(await readdir(modelDir)).toContain('NOTICE-facemesh.txt');

    // The exported model, run by predict on the same faces, gives the job's figure.
    const model = await loadExportedModel(modelDir);
    try {
      const test = set.faces.filter((f) => f.split === 'test');
      const predicted = await predictFaces(model, test.map(inferenceRequest), { detect: false });
      const flat = (ps: readonly { x: number; y: number }[]) => ps.flatMap((p) => [p.x, p.y]);
      const m = landmarkMetrics(
        predicted.faces.map((f) => flat(f.labels.points)),
        test.map((f) => flat(f.points)),
        set.task === 'landmarks' ? set.schema.normaliser : [36, 45],
      );
      expect(m.nme).toBeCloseTo(nme, 4);
    } finally {
      model.dispose();
    }
  });

  it('refuses an expression run with too few faces, and a backbone it cannot export, by name', async () => {
    const expressionRun = (id: string, faces: LabelledFace[], backbone: FaceBackbone) =>
      runFinetuneJob(
        {
          jobId: id,
          runDir: path.join(root, 'runs', id),
          modelsDir: path.join(root, 'models'),
          config: parseFinetuneConfig({
            task: 'expression',
            method: 'backbone-head',
            faceBackbones: ['facemesh'],
          }),
          faces: async () => ({
            task: 'expression',
            classes: ['happy', 'sad'],
            project: null,
            faces,
            skipped: {},
          }),
          loadBackbone: async () => backbone,
        },
        { emit: () => undefined },
      );
    expect(await expressionRun('expr', [], mesh)).toMatchObject({
      type: 'failed',
      message: expect.stringMatching(
        /needs 2 or more labelled expression faces in the train split/,
      ),
    });
    const two = set.faces
      .slice(0, 2)
      .map((f, i) => ({ ...f, split: 'train' as const, label: [i] }));
    const graphless: FaceBackbone = Object.assign(Object.create(mesh) as FaceBackbone, {
      graph: undefined,
    });
    expect(await expressionRun('expr-graphless', two, graphless)).toMatchObject({
      type: 'failed',
      message: expect.stringMatching(/Backbone facemesh has no graph description/),
    });
  });
});
