/**
 * Head study on cached FaceMesh embeddings of HELEN (bench/backbone-faces.ts with a cache dir):
 * variants of the landmark head (which maps, which local map, option overrides) scored on HELEN
 * test with crops around the true points; every penalty is chosen inside the head on the
 * training faces only. Prints NME, FR@10%, Spearman ρ and RMS error / σ per k (mean of draws).
 *
 *   npx tsx research/head-study.ts --variant NAME --maps p_re_lu_12,p_re_lu_15 --local p_re_lu_9
 *     --ks 10,50,100,870 --seeds 3 --options '{"mapWeight":1}' --cache /tmp/headplus-cache
 */
import { parseArgs } from 'node:util';
import { builtinLandmarkSchema } from '../src-main/core/schemas/builtin';
import { chooseBackend } from '../src-main/engine/backend';
import { loadFaceMesh } from '../src-main/engine/backbones/facemesh';
import { headInputOf } from '../src-main/engine/backbones/embed-faces';
import {
  DEFAULT_RIDGE_OPTIONS,
  fitLandmarkRidge,
  predictLandmarkRidge,
  type HeadInput,
  type LandmarkRidgeOptions,
} from '../src-main/engine/landmarks/landmark-ridge-head';
import { flipIndexOf } from '../src-main/engine/landmarks/schema-flip';
import { reliabilityTable, spearman } from '../src-main/engine/landmarks/uncertainty-report';
import { failureRate, mean, nmePerFace } from '../src-main/engine/metrics/landmark-metrics';
import { embedFaces, readHelen, type EmbeddedFaces } from '../bench/backbone-faces';
import { seededDraw } from './fewshot-data';

const { values: opt } = parseArgs({
  options: {
    ks: { type: 'string', default: '10,50,100,870' },
    seeds: { type: 'string', default: '3' },
    variant: { type: 'string', default: 'base' },
    maps: { type: 'string', default: 'p_re_lu_15' },
    options: { type: 'string', default: '{}' },
    cache: { type: 'string', default: '/tmp/headplus-cache' },
    local: { type: 'string', default: '' },
  },
});
await chooseBackend({ force: 'wasm' });
const mesh = await loadFaceMesh();
const taps = ['mesh', 'p_re_lu_9', 'p_re_lu_12', 'p_re_lu_15'];
const train = await embedFaces(mesh, await readHelen('train'), taps, 'landmarks', opt.cache);
const test = await embedFaces(mesh, await readHelen('test'), taps, 'landmarks', opt.cache);
const schema = builtinLandmarkSchema('ibug68');
const flip = flipIndexOf(68, schema.mirror);
const mapTaps = opt.maps.split(',').filter(Boolean);
const options: LandmarkRidgeOptions = { ...DEFAULT_RIDGE_OPTIONS, ...JSON.parse(opt.options) };

function input(e: EmbeddedFaces, idx: readonly number[], mirrored: boolean): HeadInput {
  const taps = { points: 'mesh', map: mapTaps, local: opt.local || null };
  return headInputOf(mesh, e, taps, mirrored, idx);
}
const targets = (e: EmbeddedFaces, idx: readonly number[]) => {
  const out = new Float32Array(idx.length * 136);
  idx.forEach((i, r) => out.set(e.points.subarray(i * 136, (i + 1) * 136), r * 136));
  return out;
};
const all = Array.from({ length: test.count }, (_, i) => i);
const testIn = input(test, all, false);
const testMir = input(test, all, true);
const truth = all.map((f) => test.points.subarray(f * 136, (f + 1) * 136));
const summary: string[] = [];
for (const k of opt.ks.split(',').map(Number)) {
  const draws = k >= train.count ? 1 : Number(opt.seeds);
  const nmes: number[] = [];
  const frs: number[] = [];
  const rhos: number[] = [];
  const ratios: number[] = [];
  for (let s = 1; s <= draws; s++) {
    const idx = seededDraw(train.count, k, 22, k, s);
    const t0 = performance.now();
    const model = await fitLandmarkRidge(
      input(train, idx, false),
      input(train, idx, true),
      targets(train, idx),
      flip,
      options,
    );
    const fitS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const pred = await predictLandmarkRidge(model, testIn, testMir);
    const ms = (performance.now() - t1) / test.count;
    const errs = nmePerFace(
      all.map((f) => pred.shapes.subarray(f * 136, (f + 1) * 136)),
      truth,
      schema.normaliser,
    );
    const err = new Float64Array(test.count * 68);
    for (let i = 0; i < err.length; i++)
      err[i] = Math.hypot(
        pred.shapes[2 * i]! - test.points[2 * i]!,
        pred.shapes[2 * i + 1]! - test.points[2 * i + 1]!,
      );
    const rel = reliabilityTable(pred.sigma, err, 5);
    nmes.push(mean(errs));
    frs.push(failureRate(errs));
    rhos.push(spearman(pred.sigma, err));
    ratios.push(mean(rel.map((b) => b.rmsError / b.meanSigma)));
    console.error(
      `${opt.variant} k=${k} s=${s}: ${(100 * nmes.at(-1)!).toFixed(3)}% fit ${fitS.toFixed(1)} s, ${ms.toFixed(2)} ms/face, ρ ${rhos.at(-1)!.toFixed(3)} err/σ ${ratios.at(-1)!.toFixed(2)}`,
    );
  }
  summary.push(
    `k=${k} ${(100 * mean(nmes)).toFixed(3)}% FR ${(100 * mean(frs)).toFixed(1)}% ρ ${mean(rhos).toFixed(3)} err/σ ${mean(ratios).toFixed(2)}`,
  );
}
console.log(`${opt.variant} maps=${opt.maps} options=${opt.options}: ${summary.join(' | ')}`);
mesh.dispose();
