/**
 * `npm run bench:probe [-- --minutes 50 --workers 2 | --backbone DIR] [--save DIR]
 * [--pool faces|faces-all|whole] [--set k=v]…`: does pre-training help? Pre-trains the tiny
 * preset (at 32 px input) on the MTFL pool (the net_7876 faces of training.txt, cropped as the
 * probe's faces are — the framing curation gives a project's pool; `--pool whole` takes the whole
 * 200 px images instead, where the face is about half the side; `--pool faces-all` every row of
 * training.txt, the LFW faces too, labels unused) for a time budget — or loads an exported
 * backbone (`--backbone`, e.g. a `face-studio pretrain` model folder) — then fits a linear probe
 * on frozen features for MTFL smile and gender, and scores it on testing.txt faces, for that
 * backbone and for a randomly initialised one of the same shape. Three feature sets each
 * (`vitFeatures`): the CLS row, CLS beside the mean patch token, and the last four blocks' CLS
 * rows. `--set key=value` changes the short-run recipe (bench/probe-recipe.ts; same syntax as
 * `face-studio pretrain --set`, e.g.
 * `--set model.imageSize=64 --set epochs=2`; `--minutes` is also the run's time limit).
 * A pre-trained teacher is exported to `--save` (default .tmp/probe-backbone) so
 * `bench:fewshot --backbone` can reuse it.
 *
 * The probe — class-weighted ridge regression in closed form, its strength picked on a held-out
 * fifth of the training faces — is checked before its figures mean anything: the same probe on
 * 16×16 grey pixels must beat chance. It is scored by balanced accuracy (the mean of the two
 * classes' recall) because the label rates differ between the lists: the first 2,000 rows of
 * training.txt (LFW) are 75% male, testing.txt (AFLW) 39%, so a probe that learnt the training
 * rate scores below testing.txt's majority class on plain accuracy whatever its features
 * (bench/PRETRAIN_NOTES.md, "Linear probe").
 *
 * Prints JSON lines: the backbone, then per attribute and feature set the train and test
 * accuracy, the balanced accuracy, a weighted k-NN's balanced accuracy (`knn`), and the
 * majority-class rate for scale; the differences are taken from the mean of several random inits.
 * The last line is the verdict: per feature set, smile and gender for the pre-trained backbone and
 * each random init, and `beatsRandomByFivePoints`, the feature sets on which both attributes gain
 * ≥ 5 points (the issue's bar).
 * Env: PROBE_TRAIN (default 2000) and PROBE_TEST (1000) faces, seeded draws from each list,
 * cropped to 2.2× the five landmarks' extent; PROBE_RANDOM_SEEDS (3) random inits.
 * bench/probe_torch.py runs the same recipe and probe in PyTorch, on faces written by
 * bench/probe-dump.ts.
 */
import { seededPool } from './fewshot-data';
import { ATTRIBUTES, MTFL, PROBE_SETS, isFacePool } from './probe-faces';
import { probeRecipe } from './probe-recipe';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { exportBackbone, loadBackbone } from '../src-main/engine/export/saved-backbone';
import { chooseBackend } from '../src-main/engine/backend';
import { ProjectFacesData } from '../src-main/engine/data/project-faces';
import { extractFeatures } from '../src-main/engine/model/embed';
import { modelLayout } from '../src-main/engine/pretrain/pretrain-model';
import { initParams } from '../src-main/engine/model/params';
import { modelConfigOf, pretrain } from '../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../src-main/engine/pretrain/pretrain-config';
import { Rng, deriveSeed } from '../src-main/engine/model/rng';
import { featureWidth } from '../src-main/engine/model/vit';
import type { FeaturePooling, FeaturePoolings } from '../src-main/engine/model/vit';
import { applySet } from '../src-main/cli/training-command';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '50' },
    workers: { type: 'string', default: '2' },
    backbone: { type: 'string' },
    save: { type: 'string', default: '.tmp/probe-backbone' },
    set: { type: 'string', multiple: true, default: [] },
    pool: { type: 'string', default: 'faces' },
  },
});
const USAGE =
  'npm run bench:probe -- [--minutes M] [--workers W] [--backbone DIR] [--save DIR] [--pool faces|faces-all|whole] [--set key=value]…';
if (!isFacePool(args.pool) && args.pool !== 'whole')
  throw new Error(`--pool must be faces, faces-all or whole, not ${args.pool}. ${USAGE}`);
/** The feature sets the probe is fitted on, for each backbone. */
const POOLINGS: FeaturePooling[] = ['cls', 'cls+mean', 'cls4'];
const minutes = Number(args.minutes);
const workers = Number(args.workers);
const TRAIN = Number(process.env.PROBE_TRAIN ?? 2000);
const TEST = Number(process.env.PROBE_TEST ?? 1000);
const RANDOM_SEEDS = Number(process.env.PROBE_RANDOM_SEEDS ?? 3);
if (!Number.isInteger(RANDOM_SEEDS) || RANDOM_SEEDS < 1)
  throw new Error(`PROBE_RANDOM_SEEDS must be a whole number ≥ 1, not ${RANDOM_SEEDS}`);
/** Expected pre-training speed (img/s, this config, 2 workers), to size the schedule. */
const EXPECTED_IMG_PER_SEC = Number(process.env.PROBE_IMG_PER_SEC ?? 14);

type Featurise = (images: tf.Tensor4D) => tf.Tensor2D;

async function featuresOf(featurise: Featurise, data: ProjectFacesData): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let at = 0; at < data.size; at += 64) {
    const indices = Array.from({ length: Math.min(64, data.size - at) }, (_, i) => at + i);
    const images = await data.batch(indices);
    const features = featurise(images);
    const flat = (await features.data()) as Float32Array;
    const dim = features.shape[1];
    for (let i = 0; i < indices.length; i++) out.push(flat.slice(i * dim, (i + 1) * dim));
    tf.dispose([images, features]);
  }
  return out;
}

/** The probe's sanity reference: 16×16 grey pixels, which carry smile and gender plainly. */
const greyPixels: Featurise = (images) =>
  tf.tidy(() => {
    const small = tf.mean(tf.image.resizeBilinear(images, [16, 16]), 3);
    return tf.reshape(small, [images.shape[0], 256]);
  });

interface ProbeScore {
  trainAccuracy: number;
  accuracy: number;
  balancedAccuracy: number;
}

/** One feature set's row in the printed JSON: the linear probe's scores and the k-NN's. */
interface Scored extends ProbeScore {
  knnBalancedAccuracy: number;
}

/**
 * How many independent directions a feature set spreads over: the participation ratio of its
 * correlation matrix R over the rows, (tr R)² / ‖R‖²_F = d² / Σ r²ᵢⱼ — d for uncorrelated
 * features, 1 when every feature is the same up to scale (a dimensional collapse).
 */
function effectiveDims(rows: Float32Array[]): number {
  const d = rows[0]!.length;
  const z = rows.map(standardiser(rows));
  let sumSq = 0;
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      let r = 0;
      for (const x of z) r += x[i]! * x[j]!;
      r /= rows.length;
      sumSq += (i === j ? 1 : 2) * r * r;
    }
  return (d * d) / sumSq;
}

/** Each feature's mean and (population) standard deviation over `rows` → a z-scoring function. */
function standardiser(rows: Float32Array[]): (x: Float32Array) => Float64Array {
  const d = rows[0]!.length;
  const mean = columnMeans(rows);
  const std = new Float64Array(d);
  for (const x of rows)
    for (let j = 0; j < d; j++) std[j]! += (x[j]! - mean[j]!) ** 2 / rows.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) + 1e-6;
  return (x) => Float64Array.from(x, (v, j) => (v - mean[j]!) / std[j]!);
}

/** The mean of each feature over the rows. */
function columnMeans(rows: Float32Array[]): Float64Array {
  const mean = new Float64Array(rows[0]!.length);
  for (const x of rows) for (let j = 0; j < mean.length; j++) mean[j]! += x[j]! / rows.length;
  return mean;
}

/** Plain accuracy and balanced accuracy (mean recall of the two classes) of 0/1 predictions. */
function ratesOf(predicted: number[], y: number[]): { accuracy: number; balanced: number } {
  const right = [0, 0];
  const total = [0, 0];
  predicted.forEach((p, i) => {
    total[y[i]!]!++;
    if (p === y[i]) right[y[i]!]!++;
  });
  const recall = [0, 1].map((c) => right[c]! / Math.max(1, total[c]!));
  return {
    accuracy: (right[0]! + right[1]!) / predicted.length,
    balanced: (recall[0]! + recall[1]!) / 2,
  };
}

/** Solves the symmetric positive definite system `a·x = b` (n×n, row-major) by Cholesky. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j * n + j]!;
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}

/**
 * A ridge-regression classifier (targets ±1) on standardised features, each class weighted to
 * half the loss (so the training list's label rate does not set the bias), solved in closed
 * form — exact, unlike a fixed number of gradient steps, which left even the pixel probe short
 * of fitting its training faces. Returns w (bias last) for `x` rows of `d` values.
 */
function fitRidge(xs: Float64Array[], y: number[], lambda: number): Float64Array {
  const d = xs[0]!.length;
  const n = d + 1;
  const positives = y.reduce((a, v) => a + v, 0);
  const weightOf = (v: number): number =>
    xs.length / (2 * Math.max(1, v === 1 ? positives : xs.length - positives));
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const row = new Float64Array(n);
  xs.forEach((x, i) => {
    row.set(x);
    row[d] = 1;
    const w = weightOf(y[i]!);
    const t = y[i] === 1 ? 1 : -1;
    for (let r = 0; r < n; r++) {
      const wr = w * row[r]!;
      b[r]! += wr * t;
      for (let c = 0; c <= r; c++) a[r * n + c]! += wr * row[c]!;
    }
  });
  for (let r = 0; r < n; r++) for (let c = 0; c < r; c++) a[c * n + r] = a[r * n + c]!;
  for (let r = 0; r < d; r++) a[r * n + r]! += lambda; // the bias is not shrunk
  a[d * n + d]! += 1e-9;
  return solveSpd(a, b, n);
}

/**
 * The linear probe: standardise on the training faces, pick the ridge strength on a seeded 20%
 * of them, refit on all, score the test faces.
 */
function probe(
  train: Float32Array[],
  yTrain: number[],
  test: Float32Array[],
  yTest: number[],
): ProbeScore {
  const d = train[0]!.length;
  const z = standardiser(train);
  const xs = train.map(z);
  const score = (w: Float64Array, x: Float64Array): number => {
    let s = w[d]!;
    for (let j = 0; j < d; j++) s += w[j]! * x[j]!;
    return s;
  };
  const rates = (
    w: Float64Array,
    set: Float64Array[],
    y: number[],
  ): { accuracy: number; balanced: number } =>
    ratesOf(
      set.map((x) => (score(w, x) > 0 ? 1 : 0)),
      y,
    );
  const order = new Rng(deriveSeed(1, 0x7a1)).permutation(xs.length);
  const held = new Set(order.slice(0, Math.round(xs.length / 5)));
  const fitIdx = xs.map((_, i) => i).filter((i) => !held.has(i));
  const heldIdx = [...held];
  let best = { lambda: 1, balanced: -1 };
  for (const lambda of [0.1, 1, 10, 100, 1000, 10000]) {
    const w = fitRidge(
      fitIdx.map((i) => xs[i]!),
      fitIdx.map((i) => yTrain[i]!),
      lambda,
    );
    const { balanced } = rates(
      w,
      heldIdx.map((i) => xs[i]!),
      heldIdx.map((i) => yTrain[i]!),
    );
    if (balanced > best.balanced) best = { lambda, balanced };
  }
  const w = fitRidge(xs, yTrain, best.lambda);
  const onTest = rates(w, test.map(z), yTest);
  return {
    trainAccuracy: rates(w, xs, yTrain).accuracy,
    accuracy: onTest.accuracy,
    balancedAccuracy: onTest.balanced,
  };
}

/**
 * Weighted k-NN on frozen features, DINO's other evaluation: centre on the training faces' mean
 * (a randomly initialised ViT's features share a large common part, which would make every cosine
 * ≈ 1), L2-normalise, take the k = 20 most cosine-similar training faces, and let each vote
 * exp(similarity / 0.07) for its class, divided by that class's share of the training faces so
 * the training list's label rate does not decide. Returns the balanced accuracy on `test`.
 */
function knn(
  train: Float32Array[],
  yTrain: number[],
  test: Float32Array[],
  yTest: number[],
): number {
  const K = 20;
  const T = 0.07;
  const d = train[0]!.length;
  const mean = columnMeans(train);
  const unit = (x: Float32Array): Float64Array => {
    const v = Float64Array.from(x, (value, j) => value - mean[j]!);
    const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0)) || 1;
    return v.map((value) => value / norm);
  };
  const bank = train.map(unit);
  const share = [0, 1].map((c) => yTrain.filter((y) => y === c).length / yTrain.length);
  const predicted = test.map((x) => {
    const q = unit(x);
    const sims = bank.map((b) => {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += q[j]! * b[j]!;
      return dot;
    });
    const nearest = sims
      .map((sim, i) => ({ sim, i }))
      .sort((a, b) => b.sim - a.sim)
      .slice(0, K);
    const votes = [0, 0];
    for (const { sim, i } of nearest)
      votes[yTrain[i]!]! += Math.exp(sim / T) / Math.max(share[yTrain[i]!]!, 1e-9);
    return votes[1]! > votes[0]! ? 1 : 0;
  });
  return ratesOf(predicted, yTest).balanced;
}

const backend = await chooseBackend();
const recipe = probeRecipe(workers);
for (const assignment of args.set) applySet(recipe, assignment, USAGE);
const config = parsePretrainConfig(recipe);
const model = modelConfigOf(config);
/**
 * Random inits of the same shape, the baseline: the pre-trained backbone is compared with their
 * mean, so one lucky or unlucky draw does not decide the verdict. The first is the pre-training's
 * own starting point only in distribution (the run draws its init from its own seed).
 */
const RANDOM_NAMES = Array.from({ length: RANDOM_SEEDS }, (_, k) =>
  k === 0 ? 'random' : `random#${k + 1}`,
);
/**
 * Each backbone is run once per batch for `cls+mean` and `cls4` side by side; its `cls` feature
 * set is the first `dim` of the `cls+mean` part (the CLS token after the final norm).
 */
const backbones: Record<string, (images: tf.Tensor4D, pooling: FeaturePoolings) => tf.Tensor2D> =
  Object.fromEntries(
    RANDOM_NAMES.map((name, k) => {
      const seed = k === 0 ? deriveSeed(config.seed, 0x1417) : deriveSeed(config.seed, 0x1417, k);
      const params = initParams(modelLayout(model), new Rng(seed));
      return [
        name,
        (images: tf.Tensor4D, pooling: FeaturePoolings) =>
          extractFeatures(model, params, images, pooling),
      ];
    }),
  );
let disposeLoaded = (): void => {};
if (args.backbone) {
  const loaded = await loadBackbone(args.backbone);
  backbones.pretrained = (images, pooling) => loaded.features(images, pooling);
  disposeLoaded = loaded.dispose;
  console.log(
    JSON.stringify({ backend: backend.name, backbone: args.backbone, card: loaded.card.config }),
  );
} else {
  const planned = Math.max(
    config.batchSize * 4,
    Math.round((minutes * 60 * EXPECTED_IMG_PER_SEC) / config.epochs),
  );
  const pool = isFacePool(args.pool)
    ? (await PROBE_SETS.pool(planned, args.pool)).map((f) => f.source)
    : await seededPool(path.join(MTFL, 'net_7876'), planned, 1);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), minutes * 60_000);
  const started = performance.now();
  let last = { step: 0, loss: NaN, teacherEntropy: NaN, imagesPerSec: 0 };
  let first = NaN;
  const result = await pretrain(config, new ProjectFacesData(pool, model.vit.imageSize), {
    signal: controller.signal,
    onProgress: (p) => {
      last = p;
      if (p.step === 1) first = p.loss - p.teacherEntropy;
      if (p.step % 10 === 0)
        console.error(
          `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} entropy ` +
            `${p.teacherEntropy.toFixed(3)} ${p.imagesPerSec.toFixed(2)} img/s`,
        );
    },
  });
  clearTimeout(timer);
  await mkdir(path.dirname(path.resolve(args.save)), { recursive: true });
  await exportBackbone(args.save, model.vit, result.teacher, {
    id: path.basename(args.save),
    preset: 'tiny',
    runId: null,
    config: config as unknown as Record<string, unknown>,
    data: { project: null, train: pool.length, val: 0, test: 0 },
  });
  backbones.pretrained = (images, pooling) =>
    extractFeatures(model, result.teacher, images, pooling);
  console.log(
    JSON.stringify({
      backend: backend.name,
      workers,
      budgetMinutes: minutes,
      poolImages: pool.length,
      steps: result.step,
      plannedSteps: config.epochs * Math.floor(pool.length / config.batchSize),
      cancelledAtBudget: result.cancelled,
      // DINO's loss minus the teacher's entropy is the KL the student minimises.
      firstKl: Number(first.toFixed(4)),
      finalKl: Number((last.loss - last.teacherEntropy).toFixed(4)),
      finalLoss: Number(last.loss.toFixed(4)),
      teacherEntropy: Number(last.teacherEntropy.toFixed(3)),
      imagesPerSec: Number(last.imagesPerSec.toFixed(2)),
      pretrainSeconds: Math.round((performance.now() - started) / 1000),
      savedTo: args.save,
    }),
  );
}

const trainFaces = await PROBE_SETS.train(TRAIN);
const testFaces = await PROBE_SETS.test(TEST);
const trainData = new ProjectFacesData(
  trainFaces.map((f) => f.source),
  model.vit.imageSize,
);
const testData = new ProjectFacesData(
  testFaces.map((f) => f.source),
  model.vit.imageSize,
);
const features: Record<string, { train: Float32Array[]; test: Float32Array[] }> = {
  pixels16: {
    train: await featuresOf(greyPixels, trainData),
    test: await featuresOf(greyPixels, testData),
  },
};
const passes: FeaturePooling[] = ['cls+mean', 'cls4'];
/** Where each feature set lies in a row of `passes` side by side. */
const clsMean = featureWidth(model.vit, 'cls+mean');
const spans: Record<FeaturePooling, [number, number]> = {
  cls: [0, featureWidth(model.vit, 'cls')],
  'cls+mean': [0, clsMean],
  cls4: [clsMean, clsMean + featureWidth(model.vit, 'cls4')],
};
for (const [name, featurise] of Object.entries(backbones)) {
  const rows = {
    train: await featuresOf((x) => featurise(x, passes), trainData),
    test: await featuresOf((x) => featurise(x, passes), testData),
  };
  for (const pooling of POOLINGS) {
    const [from, to] = spans[pooling];
    features[`${name} ${pooling}`] = {
      train: rows.train.map((row) => row.subarray(from, to)),
      test: rows.test.map((row) => row.subarray(from, to)),
    };
  }
}
disposeLoaded();
console.log(
  JSON.stringify({
    effectiveDims: Object.fromEntries(
      Object.entries(features).map(([name, { train }]) => [
        name,
        Number(effectiveDims(train).toFixed(1)),
      ]),
    ),
  }),
);
/** Per feature set and attribute: balanced accuracy, pre-trained and each random init. */
const verdict: Partial<
  Record<
    FeaturePooling,
    Partial<Record<string, { pretrained: number; random: number[]; difference: number }>>
  >
> = {};
const VERDICT_ATTRIBUTES = ['smile', 'gender'];
for (const attribute of ATTRIBUTES) {
  const yTrain: number[] = trainFaces.map((f) => f.labels[attribute]);
  const yTest: number[] = testFaces.map((f) => f.labels[attribute]);
  const positives = yTest.reduce((a, y) => a + y, 0) / yTest.length;
  const row: Record<string, unknown> = {
    attribute,
    trainFaces: yTrain.length,
    testFaces: yTest.length,
    trainPositiveRate: Number((yTrain.reduce((a, y) => a + y, 0) / yTrain.length).toFixed(3)),
    testPositiveRate: Number(positives.toFixed(3)),
    majorityClass: Number(Math.max(positives, 1 - positives).toFixed(4)),
  };
  const scores: Record<string, Scored> = {};
  for (const [name, { train, test }] of Object.entries(features)) {
    const s = probe(train, yTrain, test, yTest);
    row[name] = scores[name] = {
      trainAccuracy: Number(s.trainAccuracy.toFixed(4)),
      accuracy: Number(s.accuracy.toFixed(4)),
      balancedAccuracy: Number(s.balancedAccuracy.toFixed(4)),
      knnBalancedAccuracy: Number(knn(train, yTrain, test, yTest).toFixed(4)),
    };
  }
  for (const pooling of POOLINGS) {
    const pre = scores[`pretrained ${pooling}`]!;
    const rnd = RANDOM_NAMES.map((name) => scores[`${name} ${pooling}`]!);
    const meanOf = (key: keyof Scored): number => rnd.reduce((a, r) => a + r[key], 0) / rnd.length;
    const difference = pre.balancedAccuracy - meanOf('balancedAccuracy');
    row[`balancedDifference ${pooling}`] = Number(difference.toFixed(4));
    row[`knnBalancedDifference ${pooling}`] = Number(
      (pre.knnBalancedAccuracy - meanOf('knnBalancedAccuracy')).toFixed(4),
    );
    (verdict[pooling] ??= {})[attribute] = {
      pretrained: pre.balancedAccuracy,
      random: rnd.map((r) => r.balancedAccuracy),
      difference: Number(difference.toFixed(4)),
    };
  }
  console.log(JSON.stringify(row));
}

// The bar: on one feature set, smile and gender each ≥ 5 points over random init's mean.
const meets = POOLINGS.filter((pooling) =>
  VERDICT_ATTRIBUTES.every((a) => (verdict[pooling]?.[a]?.difference ?? -1) >= 0.05),
);
console.log(
  JSON.stringify({
    verdict: Object.fromEntries(
      POOLINGS.map((pooling) => [
        pooling,
        Object.fromEntries(VERDICT_ATTRIBUTES.map((a) => [a, verdict[pooling]?.[a]])),
      ]),
    ),
    randomInits: RANDOM_NAMES.length,
    beatsRandomByFivePoints: meets,
  }),
);
