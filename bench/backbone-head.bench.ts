/**
 * `npm run bench:head [-- --train 100 --test 100]`: the one-click landmark model as a user gets
 * it, timed (docs/ARCHITECTURE.md, "Testing and benchmarks").
 *
 * 1. One-click fine-tuning: a temp project of HELEN faces (the first `train` of 300w-helen/train
 *    as its train split, the next `test` as its test split), the Train view's one-click config
 *    for it (`oneClickFinetuneInput`), the fine-tuning job from reading the faces to the exported
 *    model on the shelf — wall time, and the job's own NME.
 * 2. Predict, detection apart: the exported model (loadExportedModel) on the test faces with
 *    their boxes given (the labelled points' box, standing in for a detection), through
 *    `predictFaces` — the crops (two passes: cut, predict, cut again around the prediction), the
 *    graph (backbone and head) on 3 crops a face (first pass, second pass and its mirror). ms per
 *    face in all, the graph's share measured apart on pre-cut crops, and FaceMesh's own share of
 *    that (its embed on the same crops: the rest is the head, refinement included).
 *
 * Prints the backend, the cores, the load average before and after (the machine may be shared),
 * and whether the process runs under `nice`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { readLabelledFaces } from '../src-main/app/training/finetune-faces';
import { oneClickFinetuneInput, projectCounts } from '../src-main/app/training/one-click-config';
import { boxOfPoints } from '../src-main/core/library/face-boxes';
import { ProjectStore } from '../src-main/core/project-store';
import { chooseBackend } from '../src-main/engine/backend';
import { cropFaces, faceCropBox } from '../src-main/engine/data/face-crop';
import { loadFaceMesh } from '../src-main/engine/backbones/facemesh';
import { loadExportedModel } from '../src-main/engine/export/load-model';
import { parseFinetuneConfig } from '../src-main/engine/finetune/finetune-config';
import { runFinetuneJob } from '../src-main/engine/jobs/finetune-job';
import { predictFaces } from '../src-main/engine/predict/predict-faces';
import { createLabelledProject } from '../tests/engine/data/labelled-project';

const { values } = parseArgs({
  options: { train: { type: 'string', default: '100' }, test: { type: 'string', default: '100' } },
});
const train = Number(values.train);
const test = Number(values.test);

const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const backend = await chooseBackend({ force: 'wasm' });
console.log(
  `backend ${backend.name} · ${os.cpus().length} cores · nice ${os.getPriority()} · load ${load()}`,
);

const root = await mkdtemp(path.join(os.tmpdir(), 'bench-head-'));
try {
  const projectDir = path.join(root, 'project');
  await createLabelledProject(projectDir, { train, test });
  const store = await ProjectStore.open(projectDir, { readOnly: true });
  const counts = projectCounts(store);
  await store.close();

  // 1. The button: one-click config to the model on the shelf.
  const started = performance.now();
  const config = parseFinetuneConfig(oneClickFinetuneInput('landmarks', counts, {}, false));
  let embedded = 0;
  const outcome = await runFinetuneJob(
    {
      jobId: 'bench',
      runDir: path.join(projectDir, 'runs', 'bench'),
      modelsDir: path.join(projectDir, 'models'),
      config,
      faces: (task, options) => readLabelledFaces(projectDir, task, options),
    },
    {
      emit: (e) => {
        if (e.type === 'progress') embedded = e.progress.step;
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (outcome.type !== 'done') throw new Error(JSON.stringify(outcome));
  console.log(
    `one-click fine-tuning (${config.method}, ${config.faceBackbones?.join('+')}) of ${train} faces, ` +
      `measured on ${test}: ${seconds.toFixed(1)} s wall (${embedded} steps) · ` +
      `NME ${(outcome.result.metrics!.nme! * 100).toFixed(2)}% · ` +
      `FR@10% ${(outcome.result.metrics!.failureRate! * 100).toFixed(1)}% · load ${load()}`,
  );

  // 2. Predict on the test faces, boxes given (detection apart).
  const model = await loadExportedModel(outcome.modelDir!);
  try {
    const set = await readLabelledFaces(projectDir, 'landmarks', { includeUnconfirmed: false });
    const faces = set.faces.filter((f) => f.split === 'test');
    const requests = faces.map((f) => ({ file: f.file, box: boxOfPoints(f.points) }));
    await predictFaces(model, requests.slice(0, 4)); // warm-up
    const t0 = performance.now();
    const predicted = await predictFaces(model, requests, { detect: false });
    const total = (performance.now() - t0) / predicted.faces.length;

    // The graph alone on pre-cut crops, 3 a face as predict runs it.
    const crops = await Promise.all(
      faces.map(async (f) => {
        const box = faceCropBox(f, { points: f.points }, model.card.crop);
        return cropFaces(f.file, [box], model.inputSize);
      }),
    );
    const batch = tf.concat(crops);
    tf.dispose(crops);
    const t1 = performance.now();
    for (let pass = 0; pass < 3; pass++) {
      for (let from = 0; from < faces.length; from += 16) {
        const part = batch.slice(from, Math.min(16, faces.length - from));
        await model.predict(part as tf.Tensor4D);
        part.dispose();
      }
    }
    const graph = (performance.now() - t1) / faces.length;
    // The backbone alone on the same crops (the taps the head reads): the rest of the graph is
    // the head (its affine map and, when the card says so, the refinement's sampling).
    const mesh = await loadFaceMesh();
    const t2 = performance.now();
    try {
      const taps = model.card.head!.backbones[0]!.taps;
      for (let pass = 0; pass < 3; pass++) {
        for (let from = 0; from < faces.length; from += 16) {
          const part = batch.slice(from, Math.min(16, faces.length - from));
          await mesh.embed(part as tf.Tensor4D, taps);
          part.dispose();
        }
      }
    } finally {
      mesh.dispose();
    }
    const backboneMs = (performance.now() - t2) / faces.length;
    batch.dispose();
    const refinement = model.card.head?.refinement;
    console.log(
      `predict ${predicted.faces.length} faces, boxes given: ${total.toFixed(1)} ms/face in all ` +
        `(graph on 3 crops ${graph.toFixed(1)} ms, of which FaceMesh alone ${backboneMs.toFixed(1)} ms; ` +
        `cutting and the rest ${(total - graph).toFixed(1)} ms; head ${refinement?.applied ? `refined on ${refinement.tap}` : 'unrefined'}) · load ${load()}`,
    );
  } finally {
    model.dispose();
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
