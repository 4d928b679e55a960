/**
 * `npm run bench:head [-- --train 100 --test 100 --runners tfjs,onnxruntime]`: the one-click
 * landmark model as a user gets it, timed (docs/ARCHITECTURE.md, "Testing and benchmarks").
 *
 * 1. One-click fine-tuning: a temp project of HELEN faces (the first `train` of 300w-helen/train
 *    as its train split, the next `test` as its test split), the Train view's one-click config
 *    for it (`oneClickFinetuneInput`), the fine-tuning job from reading the faces to the exported
 *    model on the shelf — wall time, and the job's own NME.
 * 2. Predict, detection apart: the exported model (loadExportedModel) on the test faces with
 *    their boxes given (the labelled points' box, standing in for a detection), through
 *    `predictFaces` — the cuts, the graph (backbone and head), the σ — as the card says (a first
 *    cut predicted to place the face; cut again only where that guess moves the crop's centre by
 *    over the card's `recutBeyond`; the final cut with its mirror), and, in the same run as the
 *    baseline, the same model always cut again (`recutBeyond` 0: three graph runs a face, the
 *    pipeline before), on each graph runner asked for (default: the one predict takes,
 *    graph-runner.ts). Each is timed `--reps` times, alternating; the best run counts, wall and
 *    the process's CPU time, in ms per face, with the graph runs a face. Then the graph alone per
 *    crop (batches of 32, pre-cut, fed as predict feeds it), wall and CPU, and FaceMesh alone on
 *    TF.js.
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
import { chooseGraphRunner, type GraphRunnerName } from '../src-main/engine/export/graph-runner';
import { loadExportedModel, type ExportedModel } from '../src-main/engine/export/load-model';
import { parseFinetuneConfig } from '../src-main/engine/finetune/finetune-config';
import { runFinetuneJob } from '../src-main/engine/jobs/finetune-job';
import { predictFaces } from '../src-main/engine/predict/predict-faces';
import { createLabelledProject } from '../tests/engine/data/labelled-project';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '100' },
    test: { type: 'string', default: '100' },
    reps: { type: 'string', default: '3' },
    runners: { type: 'string' },
  },
});
const train = Number(values.train);
const test = Number(values.test);
const reps = Number(values.reps);
// The graph runners to time predict on (graph-runner.ts); default the one predict takes.
const runners = (values.runners ?? (await chooseGraphRunner())).split(',') as GraphRunnerName[];

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

  // 2. Predict on the test faces, boxes given (detection apart): as the card says, and always
  // cut again (the pipeline before the card's recutBeyond), alternating, best of `reps`.
  for (const runner of runners) {
    const model = await loadExportedModel(outcome.modelDir!, { runner });
    console.log(`graph runner ${runner}`);
    try {
      const set = await readLabelledFaces(projectDir, 'landmarks', { includeUnconfirmed: false });
      const faces = set.faces.filter((f) => f.split === 'test');
      const requests = faces.map((f) => ({ file: f.file, box: boxOfPoints(f.points) }));
      const crop = model.card.head!.crop;
      let crops = 0;
      const counted = (recutBeyond: number): ExportedModel => ({
        ...model,
        card: { ...model.card, head: { ...model.card.head!, crop: { ...crop, recutBeyond } } },
        predict: (images) => {
          crops += images.shape[0];
          return model.predict(images);
        },
        ...(model.predictPixels && {
          predictPixels: (pixels: Float32Array, count: number) => {
            crops += count;
            return model.predictPixels!(pixels, count);
          },
        }),
      });
      const variants = [
        {
          label: `as the card says (recutBeyond ${crop.recutBeyond ?? 0})`,
          model: counted(crop.recutBeyond ?? 0),
        },
        { label: 'always cut again (recutBeyond 0, before)', model: counted(0) },
      ];
      await predictFaces(model, requests.slice(0, 4), { detect: false }); // warm-up
      const best = variants.map(() => ({ wall: Infinity, cpu: Infinity, runs: 0 }));
      for (let rep = 0; rep < reps; rep++) {
        for (const [v, variant] of variants.entries()) {
          crops = 0;
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          const predicted = await predictFaces(variant.model, requests, { detect: false });
          const wall = (performance.now() - t0) / predicted.faces.length;
          const used = process.cpuUsage(cpu0);
          const cpu = (used.user + used.system) / 1000 / predicted.faces.length;
          best[v] = {
            wall: Math.min(best[v]!.wall, wall),
            cpu: Math.min(best[v]!.cpu, cpu),
            runs: crops / predicted.faces.length,
          };
        }
      }
      for (const [v, variant] of variants.entries())
        console.log(
          `predict ${faces.length} faces, boxes given, ${variant.label}: ${best[v]!.wall.toFixed(1)} ms/face wall, ` +
            `${best[v]!.cpu.toFixed(1)} ms/face CPU (best of ${reps}), ${best[v]!.runs.toFixed(2)} graph runs a face`,
        );

      // The graph alone on pre-cut crops (batches of 32), and FaceMesh alone on the same crops.
      const pieces = await Promise.all(
        faces.map(async (f) => {
          const box = faceCropBox(f, { points: f.points }, model.card.crop);
          return cropFaces(f.file, [box], model.inputSize);
        }),
      );
      const batch = tf.concat(pieces);
      tf.dispose(pieces);
      const pixels = (await batch.data()) as Float32Array;
      const perCropValues = model.inputSize * model.inputSize * 3;
      // Timed on the second pass: the first meets each batch shape cold (buffers growing).
      const perCrop = async (
        run: (part: tf.Tensor4D, from: number, count: number) => Promise<unknown>,
      ) => (await timedPass(run), await timedPass(run));
      const timedPass = async (
        run: (part: tf.Tensor4D, from: number, count: number) => Promise<unknown>,
      ) => {
        const t = performance.now();
        const cpu0 = process.cpuUsage();
        for (let from = 0; from < faces.length; from += 32) {
          const count = Math.min(32, faces.length - from);
          const part = batch.slice(from, count);
          await run(part as tf.Tensor4D, from, count);
          part.dispose();
        }
        const used = process.cpuUsage(cpu0);
        return {
          wall: (performance.now() - t) / faces.length,
          cpu: (used.user + used.system) / 1000 / faces.length,
        };
      };
      // As predict runs it: ONNX Runtime takes the crops' array (predictPixels).
      const graphMs = await perCrop((part, from, count) =>
        model.predictPixels
          ? model.predictPixels(
              pixels.subarray(from * perCropValues, (from + count) * perCropValues),
              count,
            )
          : model.predict(part),
      );
      // The taps the head reads: the rest of the graph is the head (its affine map and, when the
      // card says so, the refinement's sampling).
      const mesh = await loadFaceMesh();
      let backboneMs: { wall: number; cpu: number };
      try {
        const taps = model.card.head!.backbones[0]!.taps;
        backboneMs = await perCrop((part) => mesh.embed(part, taps));
      } finally {
        mesh.dispose();
      }
      batch.dispose();
      const refinement = model.card.head?.refinement;
      console.log(
        `graph per crop ${graphMs.wall.toFixed(1)} ms wall, ${graphMs.cpu.toFixed(1)} ms CPU; ` +
          `FaceMesh alone on TF.js ${backboneMs.wall.toFixed(1)} ms wall, ${backboneMs.cpu.toFixed(1)} ms CPU ` +
          `(head ${refinement?.applied ? `refined on ${refinement.tap}` : 'unrefined'}) · load ${load()}`,
      );
    } finally {
      model.dispose();
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
