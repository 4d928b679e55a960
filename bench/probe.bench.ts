/**
 * `npm run bench:probe [-- MINUTES [WORKERS]]`: does pre-training help? Pre-trains the tiny preset
 * on the MTFL pool (net_7876, whole images: they are face-filling) for a fixed time budget
 * (default 20 min, 2 workers), then fits a linear probe — logistic regression on frozen CLS
 * features — for MTFL smile and gender on training.txt faces and scores it on testing.txt faces,
 * for the pre-trained teacher and for a randomly initialised backbone of the same shape.
 * Prints JSON lines: the pre-training summary, then per attribute both accuracies, the
 * difference, and the majority-class rate for scale.
 * Env: PROBE_TRAIN (default 2000) and PROBE_TEST (1000) faces, cropped by the landmarks' box.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src-main/engine/backend';
import { ProjectFacesData } from '../src-main/engine/data/project-faces';
import type { FaceSource } from '../src-main/engine/data/project-faces';
import { extractFeatures } from '../src-main/engine/embed';
import { modelLayout } from '../src-main/engine/model';
import { initParams } from '../src-main/engine/params';
import { modelConfigOf, pretrain } from '../src-main/engine/pretrain';
import { parsePretrainConfig } from '../src-main/engine/pretrain-config';
import { Rng, deriveSeed } from '../src-main/engine/rng';

const MTFL = fileURLToPath(new URL('../../shared/data/mtfl', import.meta.url));
const minutes = Number(process.argv[2] ?? 20);
const workers = Number(process.argv[3] ?? 2);
const TRAIN = Number(process.env.PROBE_TRAIN ?? 2000);
const TEST = Number(process.env.PROBE_TEST ?? 1000);
/** Expected pre-training speed (tiny, 2 workers, bench/PRETRAIN_NOTES.md), to size the schedule. */
const EXPECTED_IMG_PER_SEC = Number(process.env.PROBE_IMG_PER_SEC ?? 2.5);

interface Face {
  source: FaceSource;
  gender: number; // 1 male
  smile: number; // 1 yes
}

/** MTFL rows → faces cropped to a square around the five landmarks (2.2× their extent). */
async function readFaces(list: string, count: number): Promise<Face[]> {
  const rows = (await readFile(path.join(MTFL, list), 'utf8')).trim().split('\n').slice(0, count);
  return Promise.all(
    rows.map(async (row) => {
      const f = row.trim().split(/\s+/);
      const file = path.join(MTFL, f[0]!);
      const n = f.slice(1).map(Number);
      const xs = n.slice(0, 5);
      const ys = n.slice(5, 10);
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      const side = 2.2 * Math.max(x1 - x0, y1 - y0);
      const meta = await sharp(file).metadata();
      return {
        source: {
          file,
          width: meta.width!,
          height: meta.height!,
          crop: { x: (x0 + x1 - side) / 2, y: (y0 + y1 - side) / 2, width: side, height: side },
        },
        gender: n[10]!,
        smile: n[11]!,
      };
    }),
  );
}

async function featuresOf(
  model: ReturnType<typeof modelConfigOf>,
  weights: Float32Array,
  data: ProjectFacesData,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let at = 0; at < data.size; at += 64) {
    const indices = Array.from({ length: Math.min(64, data.size - at) }, (_, i) => at + i);
    const images = await data.batch(indices);
    const features = extractFeatures(model, weights, images);
    const flat = (await features.data()) as Float32Array;
    const dim = features.shape[1];
    for (let i = 0; i < indices.length; i++) out.push(flat.slice(i * dim, (i + 1) * dim));
    tf.dispose([images, features]);
  }
  return out;
}

/** L2-regularised logistic regression, full-batch gradient descent on standardised features. */
function probe(train: Float32Array[], yTrain: number[], test: Float32Array[], yTest: number[]) {
  const d = train[0]!.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const x of train) for (let j = 0; j < d; j++) mean[j]! += x[j]! / train.length;
  for (const x of train)
    for (let j = 0; j < d; j++) std[j]! += (x[j]! - mean[j]!) ** 2 / train.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) + 1e-6;
  const z = (x: Float32Array) => Float64Array.from(x, (v, j) => (v - mean[j]!) / std[j]!);
  const xs = train.map(z);
  const w = new Float64Array(d);
  let b = 0;
  const lambda = 1e-3;
  for (let epoch = 0; epoch < 500; epoch++) {
    const gw = new Float64Array(d);
    let gb = 0;
    xs.forEach((x, i) => {
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * x[j]!;
      const err = 1 / (1 + Math.exp(-s)) - yTrain[i]!;
      for (let j = 0; j < d; j++) gw[j]! += (err * x[j]!) / xs.length;
      gb += err / xs.length;
    });
    for (let j = 0; j < d; j++) w[j]! -= 0.5 * (gw[j]! + lambda * w[j]!);
    b -= 0.5 * gb;
  }
  let right = 0;
  test.map(z).forEach((x, i) => {
    let s = b;
    for (let j = 0; j < d; j++) s += w[j]! * x[j]!;
    if ((s > 0 ? 1 : 0) === yTest[i]) right++;
  });
  return right / test.length;
}

const backend = await chooseBackend();
const config = parsePretrainConfig({
  model: { preset: 'tiny' },
  batchSize: 32,
  workers,
  seed: 1,
  // One pass over as many images as the budget should allow, so the schedules (warm-up, cosine,
  // teacher temperature and momentum) run their whole course within it.
  epochs: 1,
  warmupEpochs: 0.1,
  freezePrototypesEpochs: 0,
});
const model = modelConfigOf(config);
const poolDir = path.join(MTFL, 'net_7876');
const poolNames = (await readdir(poolDir)).filter((n) => n.endsWith('.jpg')).sort();
const planned = Math.max(config.batchSize * 4, Math.round(minutes * 60 * EXPECTED_IMG_PER_SEC));
const order = new Rng(deriveSeed(1, 0x9001)).permutation(poolNames.length).slice(0, planned);
const pool = await Promise.all(
  order.map(async (i): Promise<FaceSource> => {
    const file = path.join(poolDir, poolNames[i]!);
    const meta = await sharp(file).metadata();
    return { file, width: meta.width!, height: meta.height!, crop: null };
  }),
);
const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), minutes * 60_000);
const started = performance.now();
let last = { step: 0, loss: NaN, imagesPerSec: 0 };
const result = await pretrain(config, new ProjectFacesData(pool, model.vit.imageSize), {
  signal: controller.signal,
  onProgress: (p) => {
    last = p;
    if (p.step % 10 === 0)
      console.error(
        `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} ${p.imagesPerSec.toFixed(2)} img/s`,
      );
  },
});
clearTimeout(timer);
console.log(
  JSON.stringify({
    backend: backend.name,
    workers,
    budgetMinutes: minutes,
    poolImages: pool.length,
    steps: result.step,
    plannedSteps: Math.floor(pool.length / config.batchSize),
    cancelledAtBudget: result.cancelled,
    finalLoss: last.loss,
    imagesPerSec: Number(last.imagesPerSec.toFixed(2)),
    pretrainSeconds: Math.round((performance.now() - started) / 1000),
  }),
);

const trainFaces = await readFaces('training.txt', TRAIN);
const testFaces = await readFaces('testing.txt', TEST);
const trainData = new ProjectFacesData(
  trainFaces.map((f) => f.source),
  model.vit.imageSize,
);
const testData = new ProjectFacesData(
  testFaces.map((f) => f.source),
  model.vit.imageSize,
);
const random = initParams(modelLayout(model), new Rng(deriveSeed(config.seed, 0x1417)));
const backbones = { pretrained: result.teacher, random };
const features: Record<string, { train: Float32Array[]; test: Float32Array[] }> = {};
for (const [name, weights] of Object.entries(backbones))
  features[name] = {
    train: await featuresOf(model, weights, trainData),
    test: await featuresOf(model, weights, testData),
  };
for (const attribute of ['smile', 'gender'] as const) {
  const yTrain = trainFaces.map((f) => (f[attribute] === 1 ? 1 : 0));
  const yTest = testFaces.map((f) => (f[attribute] === 1 ? 1 : 0));
  const positives = yTest.reduce((a: number, y) => a + y, 0) / yTest.length;
  const acc = (name: string) => probe(features[name]!.train, yTrain, features[name]!.test, yTest);
  const pretrained = acc('pretrained');
  const randomInit = acc('random');
  console.log(
    JSON.stringify({
      attribute,
      trainFaces: yTrain.length,
      testFaces: yTest.length,
      pretrained: Number(pretrained.toFixed(4)),
      random: Number(randomInit.toFixed(4)),
      difference: Number((pretrained - randomInit).toFixed(4)),
      majorityClass: Number(Math.max(positives, 1 - positives).toFixed(4)),
    }),
  );
}
