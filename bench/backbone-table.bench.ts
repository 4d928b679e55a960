/**
 * `npm run bench:fewshot [-- options]`: the few-shot backbone table (issue 22). Rows are face
 * backbones (bench/backbone-rows.ts: a random ViT, the studio's own ProS ViT with `--pros DIR`,
 * FaceMesh, and the appearance backbone's slot); each gets the closed-form landmark head
 * (engine/landmarks/landmark-ridge-head.ts: local mesh prior, global ridge, flip augmentation,
 * λ by leave-one-out on the training faces only — nothing is tuned on the test faces).
 *
 * Columns: HELEN test (first `--helen-test`, default all 330) inter-ocular NME / FR@10% for k
 * training faces drawn from HELEN train (seeded, `--seeds` draws, the mean shown; k = 870 is the
 * whole set, one draw), MTFL 5-point NME (eye-centre normaliser; `--mtfl N` seeded training rows,
 * N/2 testing rows), and ms per face to predict (two backbone passes, as is and mirrored, plus
 * the head). Faces are cut and embedded by the engine's path (engine/backbones/embed-faces.ts,
 * through bench/backbone-faces.ts): the backbone's crop policy around the true points (FaceMesh
 * ×1.6 of the landmarks' extent), as training cuts them.
 *
 * A second table follows the product's path on the same fits: the first cut from a detector-like
 * box (the points' box, centre moved ±5%, side ±10%, seeded per face), then a second cut around
 * the first prediction (the card's `refine: 'predicted-landmarks'`), NME after each.
 *
 * Below the tables: Spearman's ρ between predicted σ and actual point error on HELEN test (mean
 * over draws) and, for the last row at k = 100 (first draw), the reliability table.
 *
 *   --ks 10,50,100,870   --seeds 3   --helen-test 330   --mtfl 600   --pros DIR
 *   --rows facemesh      (only rows whose label contains one of these words)
 *   --backend webgpu     (any of engine/backend.ts's names; default FACE_STUDIO_BACKEND, else
 *                         wasm; stops with the reason when it cannot be used here)
 *   --cache DIR          (keep embeddings on disk, keyed by backbone, taps and boxes)
 *   --no-detector        (skip the product's-path table)
 *   --detector-draws 1   (draws of each k that also take the product's path: each cuts and
 *                         embeds the test faces once more, minutes on a loaded machine)
 *   --exported           (each draw's head also exported as the product exports it — one graph,
 *                         its refinement included when the fit kept it — and run by `predictFaces`
 *                         on the test faces from their labelled points: a cut as training cuts,
 *                         predicted, cut again around the prediction where it moves the crop's
 *                         centre by over the card's recutBeyond, predicted with its mirror;
 *                         NME / FR@10%, and ρ of the card's σ; a third table)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { builtinLandmarkSchema } from '../src-main/core/schemas/builtin';
import type { FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { headInputOf } from '../src-main/engine/backbones/embed-faces';
import {
  fitLandmarkRidge,
  predictLandmarkRidge,
  type HeadInput,
  type LandmarkRidgeModel,
} from '../src-main/engine/landmarks/landmark-ridge-head';
import { flipIndexOf } from '../src-main/engine/landmarks/schema-flip';
import { reliabilityTable, spearman } from '../src-main/engine/landmarks/uncertainty-report';
import { failureRate, mean, nmePerFace } from '../src-main/engine/metrics/landmark-metrics';
import type { LandmarkSchema } from '../src-main/shared/schemas';
import { exportBackboneHeadModel } from '../src-main/engine/export/backbone-head-export';
import { loadExportedModel } from '../src-main/engine/export/load-model';
import { landmarkHeadCard } from '../src-main/engine/jobs/landmark-head-job';
import { predictFaces } from '../src-main/engine/predict/predict-faces';
import { benchBackbones, type BenchBackbone } from './backbone-rows';
import {
  embedFaces,
  placed,
  readHelen,
  readMtflFaces,
  type EmbeddedFaces,
  type LabelledFace,
} from './backbone-faces';
import { seededDraw } from '../research/fewshot-data';
import { backendLine, backendNameOf, deviceOf, useBenchBackend } from './bench-backend';

const { values: opt } = parseArgs({
  options: {
    ks: { type: 'string', default: '10,50,100,870' },
    seeds: { type: 'string', default: '3' },
    'helen-test': { type: 'string', default: '330' },
    mtfl: { type: 'string', default: '600' },
    pros: { type: 'string' },
    rows: { type: 'string' },
    backend: { type: 'string' },
    cache: { type: 'string' },
    'no-detector': { type: 'boolean', default: false },
    'detector-draws': { type: 'string', default: '1' },
    exported: { type: 'boolean', default: false },
  },
});
const ks = opt.ks.split(',').map(Number);
const seeds = Number(opt.seeds);
const helenTest = Number(opt['helen-test']);
const mtflLimit = Number(opt.mtfl);
const cache = opt.cache ?? null;
const withDetector = !opt['no-detector'];
const detectorDraws = Number(opt['detector-draws']);

/** The head's view of embedded faces (rows `idx`), as is or mirrored: the engine's `headInputOf`. */
function headInput(
  row: BenchBackbone,
  backbone: FaceBackbone,
  e: EmbeddedFaces,
  idx: readonly number[],
  mirrored: boolean,
): HeadInput {
  return headInputOf(
    backbone,
    e,
    { points: row.pointsTap, map: row.mapTap, local: row.localTap },
    mirrored,
    idx,
  );
}

function targetsOf(e: EmbeddedFaces, idx: readonly number[]): Float32Array {
  const w = e.pointCount * 2;
  const out = new Float32Array(idx.length * w);
  idx.forEach((i, r) => out.set(e.points.subarray(i * w, (i + 1) * w), r * w));
  return out;
}

interface Scored {
  nme: number;
  fr: number;
  rho: number;
  sigma: Float64Array;
  error: Float64Array;
  /** The predicted shapes, crop units of the faces' boxes. */
  shapes: Float64Array;
  headMs: number;
}

async function fitHead(
  row: BenchBackbone,
  backbone: FaceBackbone,
  train: EmbeddedFaces,
  trainIdx: readonly number[],
  schema: LandmarkSchema,
): Promise<LandmarkRidgeModel> {
  return fitLandmarkRidge(
    headInput(row, backbone, train, trainIdx, false),
    headInput(row, backbone, train, trainIdx, true),
    targetsOf(train, trainIdx),
    flipIndexOf(schema.points.length, schema.mirror),
  );
}

/** `model` on `test` (cut as its boxes say), scored against the true points in those boxes. */
async function score(
  row: BenchBackbone,
  backbone: FaceBackbone,
  model: LandmarkRidgeModel,
  test: EmbeddedFaces,
  schema: LandmarkSchema,
): Promise<Scored> {
  const all = Array.from({ length: test.count }, (_, i) => i);
  const t0 = performance.now();
  const pred = await predictLandmarkRidge(
    model,
    headInput(row, backbone, test, all, false),
    headInput(row, backbone, test, all, true),
  );
  const headMs = (performance.now() - t0) / test.count;
  const w = schema.points.length * 2;
  const shapes = all.map((f) => pred.shapes.subarray(f * w, (f + 1) * w));
  const truth = all.map((f) => test.points.subarray(f * w, (f + 1) * w));
  const errors = nmePerFace(shapes, truth, schema.normaliser);
  const k = schema.points.length;
  const error = new Float64Array(test.count * k);
  for (let i = 0; i < error.length; i++) {
    error[i] = Math.hypot(
      pred.shapes[2 * i]! - test.points[2 * i]!,
      pred.shapes[2 * i + 1]! - test.points[2 * i + 1]!,
    );
  }
  return {
    nme: mean(errors),
    fr: failureRate(errors),
    rho: spearman(pred.sigma, error),
    sigma: pred.sigma,
    error,
    shapes: pred.shapes,
    headMs,
  };
}

/**
 * The faces to cut again for `refine: 'predicted-landmarks'`: each face's shape predicted in its
 * first box, in image px, for the crop policy to cut around as training cut around the labelled
 * points.
 */
function refinedFaces(
  first: EmbeddedFaces,
  shapes: Float64Array,
  faces: readonly LabelledFace[],
): LabelledFace[] {
  const w = first.pointCount * 2;
  return faces.map((f, i) => {
    const box = first.boxes[i]!;
    const uv = shapes.subarray(i * w, (i + 1) * w);
    const points = Array.from(uv, (v, t) =>
      t % 2 === 0 ? box.x + v * box.width : box.y + v * box.height,
    );
    return { file: f.file, points };
  });
}

/** `e` with its points replaced by the true points of `faces` in its boxes. */
function withTruth(e: EmbeddedFaces, faces: readonly LabelledFace[]): EmbeddedFaces {
  const points = new Float32Array(e.points.length);
  faces.forEach((f, i) => {
    const b = e.boxes[i]!;
    for (let p = 0; p < e.pointCount; p++) {
      points[(i * e.pointCount + p) * 2] = (f.points[2 * p]! - b.x) / b.width;
      points[(i * e.pointCount + p) * 2 + 1] = (f.points[2 * p + 1]! - b.y) / b.height;
    }
  });
  return { ...e, points };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** What the exported path gave: scores, and whether the fit kept its refinement. */
interface ExportedScore {
  nme: number;
  fr: number;
  rho: number;
  refined: boolean;
}

/**
 * `model` exported as the product exports it (landmarkHeadCard, exportBackboneHeadModel), loaded,
 * and run by predictFaces on `faces` from their labelled points (the card's second cut included):
 * NME / FR@10% in image px, and ρ of the card's σ against the point errors (both ÷ the crop side).
 */
async function scoreExported(
  row: BenchBackbone,
  backbone: FaceBackbone,
  model: LandmarkRidgeModel,
  faces: readonly LabelledFace[],
  schema: LandmarkSchema,
  trainFaces: number,
): Promise<ExportedScore> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-exported-'));
  try {
    const head = {
      task: 'landmarks' as const,
      model,
      taps: { points: row.pointsTap, map: row.mapTap, local: row.localTap },
    };
    const card = landmarkHeadCard(
      {
        id: 'bench',
        createdAt: new Date().toISOString(),
        data: { project: null, train: trainFaces, val: 0, test: faces.length },
        backbone: { preset: 'backbone-head', pretrainedFrom: null },
        config: {},
        runId: null,
      },
      backbone,
      head,
      schema,
    );
    await exportBackboneHeadModel(dir, { card, backbones: [backbone], head });
    const loaded = await loadExportedModel(dir);
    try {
      const outcome = await predictFaces(
        loaded,
        faces.map((f) => ({ file: f.file, points: placed(f.points) })),
        { detect: false },
      );
      if (outcome.faces.length !== faces.length)
        throw new Error(`predictFaces gave ${outcome.faces.length} of ${faces.length} faces`);
      const predicted = outcome.faces.map((f) => f.labels.points.flatMap((p) => [p.x, p.y]));
      const errors = nmePerFace(
        predicted,
        faces.map((f) => f.points),
        schema.normaliser,
      );
      const sigma: number[] = [];
      const error: number[] = [];
      outcome.faces.forEach((f, i) => {
        const side = f.crop.width;
        f.labels.points.forEach((p, j) => {
          sigma.push((p.uncertainty ?? 0) / side);
          error.push(
            Math.hypot(p.x - faces[i]!.points[2 * j]!, p.y - faces[i]!.points[2 * j + 1]!) / side,
          );
        });
      });
      return {
        nme: mean(errors),
        fr: failureRate(errors),
        rho: spearman(sigma, error),
        refined: model.refine !== null,
      };
    } finally {
      loaded.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const backend = await useBenchBackend(
  backendNameOf(opt.backend ?? process.env.FACE_STUDIO_BACKEND ?? 'wasm'),
);
console.log(backendLine(backend));
const helen = builtinLandmarkSchema('ibug68');
const five = builtinLandmarkSchema('five');
const helenTrainFaces = await readHelen('train');
const helenTestFaces = (await readHelen('test')).slice(0, helenTest);
const mtflTrainFaces = await readMtflFaces('training.txt', seededDraw(10000, mtflLimit, 22, 1));
const mtflTestFaces = await readMtflFaces(
  'testing.txt',
  seededDraw(2995, Math.floor(mtflLimit / 2), 22, 2),
);
const filter = opt.rows?.split(',').map((w) => w.toLowerCase()) ?? null;
const rows = benchBackbones(opt.pros ?? null).filter(
  (r) => !filter || filter.some((w) => r.label.toLowerCase().includes(w)),
);

const results: Record<string, unknown>[] = [];
const lines: string[] = [];
const detectorLines: string[] = [];
const exportedLines: string[] = [];
let reliability: ReturnType<typeof reliabilityTable> | null = null;
for (const row of rows) {
  const started = performance.now();
  const backbone = await row.load();
  const taps = [row.pointsTap, row.mapTap, row.localTap]
    .flat()
    .filter((t): t is string => t !== null);
  const train = await embedFaces(backbone, helenTrainFaces, taps, 'landmarks', cache);
  const test = await embedFaces(backbone, helenTestFaces, taps, 'landmarks', cache);
  const detected = withDetector
    ? await embedFaces(backbone, helenTestFaces, taps, { detectorSeed: 1 }, cache)
    : null;
  const cells: string[] = [];
  const detectorCells: string[] = [];
  const exportedCells: string[] = [];
  const perK: Record<string, unknown> = {};
  const rhos: number[] = [];
  let headMs = 0;
  for (const k of ks) {
    const draws = k >= train.count ? 1 : seeds;
    const scored: Scored[] = [];
    const firstPass: Scored[] = [];
    const refined: Scored[] = [];
    const exported: ExportedScore[] = [];
    for (let s = 1; s <= draws; s++) {
      const idx = seededDraw(train.count, k, 22, k, s);
      const model = await fitHead(row, backbone, train, idx, helen);
      const r = await score(row, backbone, model, test, helen);
      scored.push(r);
      rhos.push(r.rho);
      headMs = r.headMs;
      if (k === 100 && s === 1) reliability = reliabilityTable(r.sigma, r.error, 5);
      let realistic = '';
      if (detected && s <= detectorDraws) {
        // The product's path: a detector-like box, then a second cut around the first guess.
        const first = await score(row, backbone, model, detected, helen);
        const again = refinedFaces(detected, first.shapes, helenTestFaces);
        const recut = await embedFaces(backbone, again, taps, 'landmarks', cache);
        const second = await score(row, backbone, model, withTruth(recut, helenTestFaces), helen);
        firstPass.push(first);
        refined.push(second);
        realistic = `; detector box ${pct(first.nme)}, refined ${pct(second.nme)} FR ${pct(second.fr)}`;
      }
      if (opt.exported) {
        const e = await scoreExported(row, backbone, model, helenTestFaces, helen, k);
        exported.push(e);
        realistic += `; exported${e.refined ? ' (refined)' : ' (unrefined)'} ${pct(e.nme)} FR ${pct(e.fr)} ρ ${e.rho.toFixed(3)}`;
      }
      const check = model.refineCheck;
      const decided = check
        ? `; held-out ${(check.unrefined * 100).toFixed(3)} → ${(check.refined * 100).toFixed(3)} (${model.refine ? 'kept' : 'dropped'})`
        : '';
      console.error(
        `${backbone.id} k=${k} draw ${s}: NME ${pct(r.nme)} FR ${pct(r.fr)} ρ ${r.rho.toFixed(3)}${decided}${realistic} (${((performance.now() - started) / 1000).toFixed(0)} s; load ${os.loadavg()[0]!.toFixed(1)})`,
      );
    }
    const nme = mean(scored.map((r) => r.nme));
    const fr = mean(scored.map((r) => r.fr));
    cells.push(`${pct(nme)} / ${(100 * fr).toFixed(1)}%`);
    perK[k] = { nme, fr, perDraw: scored.map((r) => r.nme), rho: mean(scored.map((r) => r.rho)) };
    if (exported.length) {
      const e = {
        nme: mean(exported.map((r) => r.nme)),
        fr: mean(exported.map((r) => r.fr)),
        rho: mean(exported.map((r) => r.rho)),
        refined: exported.filter((r) => r.refined).length,
      };
      exportedCells.push(
        `${pct(e.nme)} / ${(100 * e.fr).toFixed(1)}% (ρ ${e.rho.toFixed(2)}, refined ${e.refined}/${exported.length})`,
      );
      Object.assign(perK[k] as object, { exported: { ...e, perDraw: exported } });
    }
    if (detected) {
      const nme1 = mean(firstPass.map((r) => r.nme));
      const nme2 = mean(refined.map((r) => r.nme));
      const fr2 = mean(refined.map((r) => r.fr));
      detectorCells.push(`${pct(nme1)} → ${pct(nme2)} / ${(100 * fr2).toFixed(1)}%`);
      Object.assign(perK[k] as object, {
        detectorBox: nme1,
        refined: nme2,
        refinedFr: fr2,
        refinedPerDraw: refined.map((r) => r.nme),
      });
    }
  }
  const mtflTrain = await embedFaces(backbone, mtflTrainFaces, taps, 'landmarks', cache);
  const mtflTest = await embedFaces(backbone, mtflTestFaces, taps, 'landmarks', cache);
  const mtflModel = await fitHead(
    row,
    backbone,
    mtflTrain,
    Array.from({ length: mtflTrain.count }, (_, i) => i),
    five,
  );
  const mtfl = await score(row, backbone, mtflModel, mtflTest, five);
  const ms = 2 * test.msPerFace + headMs;
  lines.push(`| ${row.label} | ${cells.join(' | ')} | ${pct(mtfl.nme)} | ${ms.toFixed(1)} |`);
  if (detected) detectorLines.push(`| ${row.label} | ${detectorCells.join(' | ')} |`);
  if (exportedCells.length) exportedLines.push(`| ${row.label} | ${exportedCells.join(' | ')} |`);
  results.push({
    backbone: backbone.id,
    helen: perK,
    mtfl: { nme: mtfl.nme, fr: mtfl.fr },
    msPerFace: ms,
    headMsPerFace: headMs,
    spearman: mean(rhos),
  });
  console.error(
    `${backbone.id}: Spearman ρ (σ vs point error, HELEN test, mean of ${rhos.length} fits) ${mean(rhos).toFixed(3)}; head ${headMs.toFixed(2)} ms/face`,
  );
  backbone.dispose();
}

console.log(
  `\nHELEN test (${helenTest} faces) NME / FR@10%, k training faces (mean of ${seeds} draws; k=870 one); MTFL ${mtflLimit}/${Math.floor(mtflLimit / 2)}\n`,
);
console.log(`| backbone | ${ks.map((k) => `k=${k}`).join(' | ')} | MTFL 5-pt NME | ms/face |`);
console.log(`|---|${ks.map(() => '---').join('|')}|---|---|`);
for (const l of lines) console.log(l);
console.log('| appearance backbone (branch `appearance`) | | | | | | |');
if (detectorLines.length) {
  console.log(
    `\nThe product's path (first ${detectorDraws} draw(s) of each k), HELEN test NME: first cut from a detector-like box (points' box, centre ±5%, side ±10%, seeded) → second cut around the first prediction (refine: predicted-landmarks) / FR@10% after it\n`,
  );
  console.log(`| backbone | ${ks.map((k) => `k=${k}`).join(' | ')} |`);
  console.log(`|---|${ks.map(() => '---').join('|')}|`);
  for (const l of detectorLines) console.log(l);
}
if (exportedLines.length) {
  console.log(
    `\nThe exported model (each draw's head exported as the product does, run by predictFaces from the labelled points: cut, predict, cut again around the prediction where it moves the centre by over the card's recutBeyond, predict with the mirror), HELEN test NME / FR@10% (ρ of the card's σ; draws whose fit kept its refinement)\n`,
  );
  console.log(`| backbone | ${ks.map((k) => `k=${k}`).join(' | ')} |`);
  console.log(`|---|${ks.map(() => '---').join('|')}|`);
  for (const l of exportedLines) console.log(l);
}
for (const r of results)
  console.log(`\nSpearman ρ, ${String(r.backbone)}: ${(r.spearman as number).toFixed(3)}`);
if (reliability) {
  console.log(
    `\nReliability, ${rows[rows.length - 1]!.label}, k=100 draw 1 (σ bins, crop units):\n`,
  );
  console.log('| bin | points | mean σ | RMS error | within 2σ |');
  console.log('|---|---|---|---|---|');
  reliability.forEach((b, i) =>
    console.log(
      `| ${i + 1} | ${b.count} | ${b.meanSigma.toFixed(4)} | ${b.rmsError.toFixed(4)} | ${(100 * b.within2Sigma).toFixed(1)}% |`,
    ),
  );
}
console.log(
  JSON.stringify({
    bench: 'fewshot-backbones',
    backend: backend.name,
    device: deviceOf(backend),
    ks,
    seeds,
    helenTest,
    mtfl: mtflLimit,
    results,
  }),
);
