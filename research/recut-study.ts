/**
 * Recut study: when must `predict` cut a face again around its first guess (predict/recut.ts)?
 * An exported landmark model (a folder, e.g. one-click's of 100 HELEN faces) on `--count` HELEN
 * faces of `--split` from `--from` (faces the model was not fitted on), each cut twice: around its
 * labelled points (as training cuts: "exact") and from a detector-like box (the points' box,
 * centre ±5%, side ±10%, seeded: "jitter"). Per face: NME of the first cut with its mirror, NME
 * of the cut around the first cut's (unmirrored) guess with its mirror, and the framing shift of
 * that second cut (centre ÷ side, and |side ratio − 1|). Prints NME and the share recut by
 * threshold on the centre's shift, for both cuts.
 *
 *   npx tsx research/recut-study.ts --model DIR --split train --from 300 --count 150
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { openImage } from '../src-main/core/library/image-source';
import { chooseBackend } from '../src-main/engine/backend';
import { cropFaces, faceCropBox, fromCrop } from '../src-main/engine/data/face-crop';
import { loadExportedModel } from '../src-main/engine/export/load-model';
import { mean, nmeOfFace } from '../src-main/engine/metrics/landmark-metrics';
import { combineFlipped, flipIndexOf } from '../src-main/engine/predict/flip-consistency';
import { framingShift } from '../src-main/engine/predict/recut';
import type { Box } from '../src-main/shared/domain';
import { detectorLike, placed, readHelen } from '../bench/backbone-faces';

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string' },
    split: { type: 'string', default: 'train' },
    from: { type: 'string', default: '300' },
    count: { type: 'string', default: '150' },
  },
});
if (!opt.model) throw new Error('--model DIR: an exported landmark model folder');
await chooseBackend({ force: 'wasm' });
const model = await loadExportedModel(opt.model);
const schema = model.card.schema;
if (model.card.task !== 'landmarks' || !schema || !model.card.head)
  throw new Error(`${opt.model}: not a backbone-headed landmark model`);
const k = schema.points.length;
const flip = flipIndexOf(k, schema.mirror);
const policy = model.card.head.crop.policy;
const from = Number(opt.from);
const faces = (await readHelen(opt.split === 'test' ? 'test' : 'train')).slice(
  from,
  from + Number(opt.count),
);

/** Landmarks of crops `[n, S, S, 3]` as they are and flip-averaged with their mirrors. */
async function run(pixels: tf.Tensor4D): Promise<{ raw: Float32Array; averaged: Float32Array }> {
  const input = tf.concat([pixels, tf.reverse(pixels, 2)]) as tf.Tensor4D;
  const out = (await model.predict(input)).landmarks!;
  input.dispose();
  const n = pixels.shape[0] * k * 2;
  return {
    raw: out.subarray(0, n),
    averaged: combineFlipped(out.subarray(0, n), out.subarray(n), flip).points,
  };
}
const inImage = (uv: Float32Array, box: Box) =>
  fromCrop(
    Array.from({ length: k }, (_, j) => ({ x: uv[2 * j]!, y: uv[2 * j + 1]! })),
    box,
  );
const flat = (points: readonly { x: number; y: number }[]) => points.flatMap((p) => [p.x, p.y]);

interface Row {
  jitter: boolean;
  first: number;
  second: number;
  centre: number;
  side: number;
}
const rows: Row[] = [];
for (const [i, face] of faces.entries()) {
  const opened = await openImage(face.file);
  for (const jitter of [false, true]) {
    const firstCut = jitter
      ? faceCropBox(opened, { detection: detectorLike(face.points, from + i, 1) }, policy)
      : faceCropBox(opened, { points: placed(face.points) }, policy);
    const a = await cropFaces(opened, [firstCut], model.inputSize);
    const first = await run(a);
    a.dispose();
    const guess = inImage(first.raw, firstCut).map((p) => ({ ...p, v: 2 as const }));
    const secondCut = faceCropBox(opened, { points: guess }, policy);
    const b = await cropFaces(opened, [secondCut], model.inputSize);
    const second = await run(b);
    b.dispose();
    rows.push({
      jitter,
      first: nmeOfFace(flat(inImage(first.averaged, firstCut)), face.points, schema.normaliser),
      second: nmeOfFace(flat(inImage(second.averaged, secondCut)), face.points, schema.normaliser),
      centre: framingShift(firstCut, secondCut),
      side: Math.abs(secondCut.width / firstCut.width - 1),
    });
  }
}

const pct = (v: number) => `${(100 * v).toFixed(3)}%`;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const jitter of [false, true]) {
  const r = rows.filter((x) => x.jitter === jitter);
  console.log(
    `${jitter ? 'detector-like box' : 'around the points'} (${r.length} faces): first cut ${pct(mean(r.map((x) => x.first)))}, ` +
      `always cut again ${pct(mean(r.map((x) => x.second)))}; centre shift median ${pct(median(r.map((x) => x.centre)))}, ` +
      `side change median ${pct(median(r.map((x) => x.side)))}`,
  );
  for (const beyond of [0.006, 0.008, 0.01, 0.012, 0.015, 0.02, 0.03]) {
    const recut = r.filter((x) => x.centre > beyond);
    console.log(
      `  recutBeyond ${beyond}: NME ${pct(mean(r.map((x) => (x.centre > beyond ? x.second : x.first))))}, ` +
        `cut again ${((100 * recut.length) / r.length).toFixed(0)}%, ${(2 + recut.length / r.length).toFixed(2)} graph runs a face`,
    );
  }
}
model.dispose();
