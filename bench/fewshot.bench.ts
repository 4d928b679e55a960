/**
 * `npm run bench:fewshot [-- options]`: the few-shot table. How well does the product's one-click
 * fine-tuning recipe (app/training/one-click-config.ts: frozen backbone, cached tokens, flip-only)
 * do from a few labelled faces, starting from a pre-trained backbone versus a random one?
 *
 *   helen  300-W HELEN test NME and FR@10% (schema normaliser, metrics/landmark-metrics.ts) for k
 *          training faces drawn from HELEN train (a fixed seed per k and draw), both backbones
 *          side by side, and the mean shape of the same k faces as the baseline;
 *   mtfl   MTFL 5-point NME and attribute accuracy (Male, Smiling, Eyeglasses) on a seeded draw
 *          of testing.txt, trained on a seeded draw of training.txt;
 *   ck     CK+ expression accuracy and per-class recall, split by subject;
 *   infer  the HELEN model of the largest k exported (exportFinetunedModel), loaded back
 *          (loadExportedModel) and timed: ms per face of `predict` on a batch.
 *
 * "Pre-trained" is `--backbone DIR` (an exported backbone folder) or else a short DINO run of
 * `--pretrain-minutes` on the MTFL unlabelled pool (mtfl/net_7876), exported to a temp folder and
 * loaded back, as the product hands a backbone to fine-tuning. Prints a readable table, then one
 * JSON line with every figure. Options (defaults for the full run; `--quick` shrinks them):
 *
 *   --quick                  ~5 minutes: ks 10,100; 1 min pre-training; smaller test sets
 *   --backbone DIR           reuse an exported backbone instead of pre-training
 *   --pretrain-minutes N     pre-training budget (default 8)
 *   --ks 10,50,100,870       HELEN training-set sizes
 *   --seeds N                draws per k (default 1); the table shows their mean
 *   --epochs N               epochs of every fine-tuning run (default: the one-click count,
 *                            capped by --passes)
 *   --passes N               cap on face passes per run when --epochs is not given (default 3000)
 *   --limit N                MTFL training faces (default 600; test faces: half of it)
 *   --helen-test N           HELEN test faces (default 330, all)
 *   --ck-limit N             CK+ images drawn before the split (default 0 = all 981)
 *   --tasks helen,mtfl,ck,infer
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { oneClickFinetuneConfig } from '../src-main/app/training/one-click-config';
import { builtinLandmarkSchema } from '../src-main/core/schemas/builtin';
import { chooseBackend } from '../src-main/engine/backend';
import { exportBackbone, loadBackbone } from '../src-main/engine/export/saved-backbone';
import { ProjectFacesData } from '../src-main/engine/data/project-faces';
import { exportFinetunedModel } from '../src-main/engine/export/export-model';
import { loadExportedModel } from '../src-main/engine/export/load-model';
import { finetune } from '../src-main/engine/finetune/finetune';
import type { FinetuneResult } from '../src-main/engine/finetune/finetune';
import type { FinetuneTask } from '../src-main/engine/finetune/finetune-config';
import { tensorSplit } from '../src-main/engine/finetune/finetune-data';
import type { FinetuneData } from '../src-main/engine/finetune/finetune-data';
import { metricsOf, predictSplit } from '../src-main/engine/finetune/finetune-evaluate';
import type { TaskMetrics } from '../src-main/engine/finetune/finetune-evaluate';
import { tensorsOf } from '../src-main/engine/model/params';
import { landmarkMetrics } from '../src-main/engine/metrics/landmark-metrics';
import { cardSchemaOf } from '../src-main/engine/predict/card-schema';
import { modelConfigOf, pretrain } from '../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../src-main/engine/pretrain/pretrain-config';
import { deriveSeed } from '../src-main/engine/model/rng';
import type { VitConfig } from '../src-main/engine/model/vit';
import type { LandmarkSchema } from '../src-main/shared/schemas';
import { loadHelenCrops } from '../tests/engine/finetune/helen-crops';
import { DATA, readCkPlus, readMtfl, seededDraw, seededPool } from './fewshot-data';

// ---- options ----
const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backbone: { type: 'string' },
    'pretrain-minutes': { type: 'string' },
    ks: { type: 'string' },
    seeds: { type: 'string' },
    epochs: { type: 'string' },
    passes: { type: 'string' },
    limit: { type: 'string' },
    'helen-test': { type: 'string' },
    'ck-limit': { type: 'string' },
    tasks: { type: 'string' },
  },
});
const quick = opt.quick;
const num = (value: string | undefined, full: number, fast: number): number => {
  const n = value === undefined ? (quick ? fast : full) : Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bench:fewshot: bad number "${value}"`);
  return n;
};
const ks = (opt.ks ?? (quick ? '10,100' : '10,50,100,870')).split(',').map(Number);
const seeds = num(opt.seeds, 1, 1);
const epochsOverride = opt.epochs === undefined ? null : num(opt.epochs, 0, 0);
const passCap = num(opt.passes, 3000, 500);
const pretrainMinutes = num(opt['pretrain-minutes'], 8, 1);
const mtflLimit = num(opt.limit, 600, 160);
const helenTest = num(opt['helen-test'], 330, 80);
const ckLimit = num(opt['ck-limit'], 0, 300);
const tasks = new Set((opt.tasks ?? 'helen,mtfl,ck,infer').split(','));
const SEED = 1;

const backend = await chooseBackend();
const started = performance.now();
const elapsed = () => Math.round((performance.now() - started) / 1000);
const log = (line: string) => console.error(`[${elapsed()} s] ${line}`);
const scratch = await mkdtemp(path.join(os.tmpdir(), 'fewshot-'));

// ---- the pre-trained backbone ----
interface Pretraining {
  source: string;
  seconds?: number;
  steps?: number;
  plannedSteps?: number;
  poolImages?: number;
  finalLoss?: number;
  imagesPerSec?: number;
}

async function pretrainedBackbone(): Promise<{ dir: string; info: Pretraining }> {
  if (opt.backbone) return { dir: path.resolve(opt.backbone), info: { source: opt.backbone } };
  const config = parsePretrainConfig({
    model: { preset: 'tiny' },
    batchSize: 32,
    workers: 2,
    seed: SEED,
    // One pass over a pool sized to the budget, so the schedules run their course within it.
    epochs: 1,
    warmupEpochs: 0.1,
    freezePrototypesEpochs: 0,
  });
  const model = modelConfigOf(config);
  const poolDir = path.join(DATA, 'mtfl', 'net_7876');
  // ≈ 2.5 img/s for the tiny preset on 2 workers (bench/PRETRAIN_NOTES.md, loaded machine).
  const planned = Math.max(config.batchSize * 2, Math.round(pretrainMinutes * 60 * 2.5));
  const pool = await seededPool(poolDir, planned, SEED);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), pretrainMinutes * 60_000);
  const t0 = performance.now();
  let last = { loss: NaN, imagesPerSec: 0 };
  log(`pre-training ${pretrainMinutes} min on ${pool.length} pool images`);
  const result = await pretrain(config, new ProjectFacesData(pool, model.vit.imageSize), {
    signal: controller.signal,
    onProgress: (p) => {
      last = p;
      if (p.step % 5 === 0)
        log(`pretrain step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)}`);
    },
  });
  clearTimeout(timer);
  const seconds = Math.round((performance.now() - t0) / 1000);
  const dir = path.join(scratch, 'backbone');
  await exportBackbone(dir, model.vit, result.teacher, {
    id: 'fewshot-backbone',
    preset: 'tiny',
    runId: null,
    config,
    data: { project: null, train: pool.length, val: 0, test: 0 },
  });
  return {
    dir,
    info: {
      source: `pre-trained here (${pretrainMinutes} min budget)`,
      seconds,
      steps: result.step,
      plannedSteps: Math.floor(pool.length / config.batchSize),
      poolImages: pool.length,
      finalLoss: Number(last.loss.toFixed(4)),
      imagesPerSec: Number(last.imagesPerSec.toFixed(2)),
    },
  };
}

const { dir: backboneDir, info: pretraining } = await pretrainedBackbone();
const loaded = await loadBackbone(backboneDir);
const pretrainedWeights = loaded.weights;
const vit: VitConfig = loaded.vit;
const preset = loaded.card.backbone.preset;
loaded.dispose();
log(`backbone ${backboneDir}: ${JSON.stringify(pretraining)}`);
// Every size given, as the fine-tuning job does, so a backbone of any shape loads.
const modelChoice = {
  preset: ['tiny', 'small', 'base'].includes(preset) ? preset : 'tiny',
  ...vit,
};
const SIZE = vit.imageSize;

// ---- one fine-tuning run, the one-click way ----
type Start = 'pretrained' | 'scratch';
const STARTS: Start[] = ['pretrained', 'scratch'];

interface Run {
  metrics: TaskMetrics;
  result: FinetuneResult;
  epochs: number;
  steps: number;
  seconds: number;
}

async function fineTuneAndTest(
  task: FinetuneTask,
  data: FinetuneData,
  test: { images: tf.Tensor4D; labels: Float32Array | Int32Array },
  start: Start,
  seed: number,
): Promise<Run> {
  const faces = data.train.size;
  const oneClick = oneClickFinetuneConfig(task, { pretrainImages: 0, labelledTrainFaces: faces });
  const trainFaces = faces - Math.round(faces * oneClick.valFraction);
  const epochs =
    epochsOverride ??
    Math.max(1, Math.min(oneClick.epochs, Math.ceil(passCap / Math.max(1, trainFaces))));
  const t0 = performance.now();
  const result = await finetune(
    { ...oneClick, model: modelChoice, epochs, seed },
    data,
    start === 'pretrained' ? { backbone: pretrainedWeights } : {},
  );
  const params = tensorsOf(result.model.layout, result.params);
  const predicted = await predictSplit(
    result.model,
    params,
    tensorSplit(test.images, test.labels),
    result.config.evalBatchSize,
  );
  tf.dispose([...params.values()]);
  const seconds = Math.round((performance.now() - t0) / 1000);
  const metrics = metricsOf(result.model, data, predicted, test.labels);
  // The figure goes to stderr too, so a run cut short still leaves what it measured.
  const figure =
    metrics.task === 'landmarks'
      ? metrics.nme
      : metrics.task === 'attributes'
        ? metrics.meanAccuracy
        : metrics.accuracy;
  log(
    `${task} ${start} ${faces} faces: ${epochs} epochs, ${result.step} steps, ${seconds} s, ` +
      `${metrics.task === 'landmarks' ? 'NME' : 'accuracy'} ${pct(figure)}`,
  );
  return { metrics, result, epochs, steps: result.step, seconds };
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '—');
const round4 = (v: number) => Number(v.toFixed(4));
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const report: Record<string, unknown> = {
  backend: backend.name,
  quick,
  pretraining,
  options: { ks, seeds, epochs: epochsOverride, passes: passCap, mtflLimit, helenTest, ckLimit },
};
const tables: string[] = [];

// ---- HELEN: NME and FR@10% per k ----
let largestHelen: { result: FinetuneResult; schema: LandmarkSchema; test: tf.Tensor4D } | null =
  null;
let helenTestPoints: Float32Array | null = null;
if (tasks.has('helen') || tasks.has('infer')) {
  const schema = builtinLandmarkSchema('ibug68');
  const width = 68 * 2;
  const train = await loadHelenCrops('train', 870, SIZE);
  const allTest = await loadHelenCrops('test', 330, SIZE);
  const testRows = seededDraw(330, helenTest, SEED, 0x7e57);
  const testImages = tf.gather(allTest.images, testRows) as tf.Tensor4D;
  const testPoints = new Float32Array(testRows.length * width);
  testRows.forEach((r, i) =>
    testPoints.set(allTest.points.subarray(r * width, (r + 1) * width), i * width),
  );
  allTest.images.dispose();
  helenTestPoints = testPoints;
  const truth = Array.from({ length: testRows.length }, (_, i) =>
    testPoints.subarray(i * width, (i + 1) * width),
  );
  const rows: Record<string, unknown>[] = [];
  const helenKs = tasks.has('helen') ? ks : [Math.max(...ks)];
  for (const k of helenKs) {
    const perSeed: Record<string, { nme: number; fr: number }[]> = { pretrained: [], scratch: [] };
    const baseline: { nme: number; fr: number }[] = [];
    let epochs = 0;
    let steps: Record<string, number> = {};
    for (let s = 0; s < seeds; s++) {
      const seed = deriveSeed(SEED, k, s) % 1_000_000;
      const draw = seededDraw(870, k, seed, 0xd7a3);
      const points = new Float32Array(draw.length * width);
      draw.forEach((r, i) =>
        points.set(train.points.subarray(r * width, (r + 1) * width), i * width),
      );
      const mean = new Float32Array(width);
      points.forEach((v, i) => (mean[i % width]! += v / draw.length));
      const b = landmarkMetrics(
        truth.map(() => mean),
        truth,
        schema.normaliser,
      );
      baseline.push({ nme: b.nme, fr: b.failureRate });
      const images = tf.gather(train.images, draw) as tf.Tensor4D;
      for (const start of STARTS) {
        const run = await fineTuneAndTest(
          'landmarks',
          { task: 'landmarks', schema, train: tensorSplit(images, points) },
          { images: testImages, labels: testPoints },
          start,
          seed,
        );
        if (run.metrics.task !== 'landmarks') throw new Error('unreachable');
        perSeed[start]!.push({ nme: run.metrics.nme, fr: run.metrics.failureRate });
        epochs = run.epochs;
        steps = { ...steps, [start]: run.steps };
        if (start === 'pretrained' && k === Math.max(...ks) && s === 0)
          largestHelen = { result: run.result, schema, test: testImages };
      }
      images.dispose();
    }
    const avg = (xs: { nme: number; fr: number }[]) => ({
      nme: round4(meanOf(xs.map((x) => x.nme))),
      fr: round4(meanOf(xs.map((x) => x.fr))),
      ...(xs.length > 1 ? { nmePerSeed: xs.map((x) => round4(x.nme)) } : {}),
    });
    rows.push({
      k,
      epochs,
      steps,
      pretrained: avg(perSeed.pretrained!),
      scratch: avg(perSeed.scratch!),
      meanShape: avg(baseline),
    });
  }
  train.images.dispose();
  if (tasks.has('helen')) {
    report.helen = { testFaces: testRows.length, seeds, rows };
    tables.push(
      `HELEN test (${testRows.length} faces), NME / FR@10%, mean of ${seeds} draw(s) per k\n` +
        table(
          ['k', 'epochs', 'pre-trained', 'scratch', 'mean shape'],
          rows.map((r) => {
            const cell = (x: unknown) => {
              const m = x as { nme: number; fr: number };
              return `${pct(m.nme)} / ${pct(m.fr)}`;
            };
            return [
              String(r.k),
              String(r.epochs),
              cell(r.pretrained),
              cell(r.scratch),
              cell(r.meanShape),
            ];
          }),
        ),
    );
  }
}

// ---- MTFL: 5 points and 3 attributes ----
if (tasks.has('mtfl')) {
  const schema = builtinLandmarkSchema('five');
  const train = await readMtfl('training.txt', mtflLimit, SIZE, SEED);
  const test = await readMtfl('testing.txt', Math.ceil(mtflLimit / 2), SIZE, SEED);
  const attributeNames = ['Male', 'Smiling', 'Eyeglasses'];
  const out: Record<string, Record<string, unknown>> = {};
  for (const start of STARTS) {
    const lm = await fineTuneAndTest(
      'landmarks',
      { task: 'landmarks', schema, train: tensorSplit(train.images, train.points) },
      { images: test.images, labels: test.points },
      start,
      SEED,
    );
    const at = await fineTuneAndTest(
      'attributes',
      { task: 'attributes', attributes: 3, train: tensorSplit(train.images, train.attributes) },
      { images: test.images, labels: test.attributes },
      start,
      SEED,
    );
    const [l, a] = [lm.metrics, at.metrics];
    if (l.task !== 'landmarks' || a.task !== 'attributes') throw new Error('unreachable');
    out[start] = {
      nme: round4(l.nme),
      fr: round4(l.failureRate),
      accuracy: Object.fromEntries(attributeNames.map((n, i) => [n, round4(a.accuracy[i]!)])),
      epochs: { landmarks: lm.epochs, attributes: at.epochs },
    };
  }
  // The majority answer of the training faces, for scale.
  const majority = attributeNames.map((_, a) => {
    let yes = 0;
    for (let i = a; i < train.attributes.length; i += 3) yes += train.attributes[i]!;
    const guess = yes * 2 >= train.attributes.length / 3 ? 1 : 0;
    let right = 0;
    for (let i = a; i < test.attributes.length; i += 3) if (test.attributes[i] === guess) right++;
    return round4(right / (test.attributes.length / 3));
  });
  const testFaces = test.attributes.length / 3;
  report.mtfl = {
    trainFaces: train.attributes.length / 3,
    testFaces,
    ...out,
    majority: Object.fromEntries(attributeNames.map((n, i) => [n, majority[i]!])),
  };
  tf.dispose([train.images, test.images]);
  const row = (name: string, m: Record<string, unknown>) => {
    const acc = m.accuracy as Record<string, number>;
    return [
      name,
      `${pct(m.nme as number)} / ${pct(m.fr as number)}`,
      ...attributeNames.map((n) => pct(acc[n]!)),
    ];
  };
  tables.push(
    `MTFL (train ${train.attributes.length / 3} of training.txt, test ${testFaces} of testing.txt)\n` +
      table(
        ['backbone', '5-pt NME / FR', ...attributeNames],
        [
          row('pre-trained', out.pretrained!),
          row('scratch', out.scratch!),
          ['majority class', '', ...majority.map(pct)],
        ],
      ),
  );
}

// ---- CK+: expression, subject-disjoint ----
if (tasks.has('ck')) {
  const ck = await readCkPlus(SIZE, 0.2, ckLimit, SEED);
  const out: Record<string, { accuracy: number; recall: number[] }> = {};
  for (const start of STARTS) {
    const run = await fineTuneAndTest(
      'expression',
      {
        task: 'expression',
        classes: ck.classes.length,
        train: tensorSplit(ck.train.images, ck.train.labels),
      },
      { images: ck.test.images, labels: ck.test.labels },
      start,
      SEED,
    );
    if (run.metrics.task !== 'expression') throw new Error('unreachable');
    out[start] = {
      accuracy: round4(run.metrics.accuracy),
      recall: run.metrics.recall.map(round4),
    };
  }
  const counts = ck.classes.map((_, c) => ck.train.labels.filter((l) => l === c).length);
  const major = counts.indexOf(Math.max(...counts));
  const majority = ck.test.labels.filter((l) => l === major).length / ck.test.labels.length;
  report.ck = {
    classes: ck.classes,
    train: { faces: ck.train.labels.length, subjects: ck.train.subjects },
    test: { faces: ck.test.labels.length, subjects: ck.test.subjects },
    ...out,
    majority: round4(majority),
  };
  tf.dispose([ck.train.images, ck.test.images]);
  tables.push(
    `CK+ (train ${ck.train.labels.length} faces / ${ck.train.subjects} subjects, test ` +
      `${ck.test.labels.length} / ${ck.test.subjects}; majority class ${pct(majority)})\n` +
      table(
        ['backbone', 'accuracy', ...ck.classes],
        STARTS.map((s) => [
          s === 'pretrained' ? 'pre-trained' : 'scratch',
          pct(out[s]!.accuracy),
          ...out[s]!.recall.map(pct),
        ]),
      ),
  );
}

// ---- inference: the exported model ----
if (tasks.has('infer') && largestHelen) {
  const { result, schema, test } = largestHelen as {
    result: FinetuneResult;
    schema: LandmarkSchema;
    test: tf.Tensor4D;
  };
  const dir = path.join(scratch, 'model');
  await exportFinetunedModel(dir, result, {
    id: 'fewshot-helen',
    runId: null,
    schema: cardSchemaOf(schema),
    attributes: null,
    classes: null,
    // helen-crops.ts: the landmarks' box grown by 25% in all, 12.5% a side.
    crop: { from: 'face-box', margin: 0.125, landmarksToFaceBox: 1 },
    metrics: [],
    data: { project: null, train: Math.max(...ks), val: 0, test: 0 },
    backbone: { pretrainedFrom: 'fewshot-backbone' },
  });
  const model = await loadExportedModel(dir);
  const batch = Math.min(32, test.shape[0]);
  const images = tf.slice(test, [0, 0, 0, 0], [batch, -1, -1, -1]);
  await model.predict(images); // warm-up: kernels compiled, weights uploaded
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await model.predict(images);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  // The exported graph's NME on all test faces, beside the engine's (the same weights).
  const all = await model.predict(test);
  const width = 68 * 2;
  const rows = (a: Float32Array) =>
    Array.from({ length: test.shape[0] }, (_, i) => a.subarray(i * width, (i + 1) * width));
  const exportedNme = landmarkMetrics(
    rows(all.landmarks!),
    rows(helenTestPoints!),
    schema.normaliser,
  ).nme;
  model.dispose();
  images.dispose();
  const msPerFace = times[2]! / batch;
  report.inference = {
    batch,
    medianBatchMs: Math.round(times[2]!),
    msPerFace: Number(msPerFace.toFixed(2)),
    exportedNme: round4(exportedNme),
    backend: backend.name,
  };
  tables.push(
    `Inference (exported HELEN model, k = ${Math.max(...ks)}, ${backend.name}): ` +
      `${msPerFace.toFixed(1)} ms per face (median of 5 batches of ${batch}); ` +
      `exported graph's NME on the test faces ${pct(exportedNme)}`,
  );
}
if (largestHelen) (largestHelen as { test: tf.Tensor4D }).test.dispose();
await rm(scratch, { recursive: true, force: true });

report.seconds = elapsed();
const p = pretraining;
console.log(
  `\nBackbone: ${p.source}` +
    (p.steps !== undefined
      ? `: ${p.steps} of ${p.plannedSteps} steps (batch 32) on ${p.poolImages} MTFL pool images in ` +
        `${p.seconds} s, last loss ${p.finalLoss}, ${p.imagesPerSec} img/s`
      : '') +
    `\nRecipe: one-click fine-tuning (frozen backbone, cached tokens, flip-only), ` +
    (epochsOverride === null
      ? `one-click epochs capped at ${passCap} face passes`
      : `${epochsOverride} epochs`) +
    `; ${backend.name}; total ${report.seconds} s\n`,
);
console.log(tables.join('\n\n'));
console.log(JSON.stringify(report));

/** Rows of cells as a text table with aligned columns. */
function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (cell ?? '').padEnd(widths[c]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
