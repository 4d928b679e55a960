/**
 * `npm run bench:appearance [-- options]`: the appearance-backbone table (issue 22). For each
 * backbone, frozen features and a ridge head (engine/attributes/ridge-classifier.ts, λ by 5-fold
 * cross-validation on the training rows only):
 *
 *   MTFL    male / smiling / glasses / pose accuracy: fitted on training.txt rows (default all
 *           10,000), scored on testing.txt rows (default all 2,995); crops 2.2× the five points'
 *           extent (tests/engine/attributes/appearance-data.ts);
 *   CK+     expression accuracy by subject: 5 folds of subjects, each face scored once by a head
 *           that never saw its person (λ chosen by subject-grouped CV inside the training folds);
 *   ms/face embedding time (crop, backbone; batches of 32; wasm unless FACE_STUDIO_BACKEND).
 *
 * Each figure is printed beside the majority-class baseline: the share of the test rows' most
 * frequent class, the best any constant answer scores. Prints a table, then one JSON line. Options:
 *
 *   --backbones mini-xception,faceres   which backbones (default both)
 *   --mtfl-train N  --mtfl-test N       MTFL rows (seeded draws; 0 = all, the default)
 *   --ck-limit N                        CK+ faces (seeded draw; 0 = all 981, the default)
 */
import { parseArgs } from 'node:util';
import { chooseBackend } from '../src-main/engine/backend';
import type { FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { loadFaceResBackbone } from '../src-main/engine/backbones/faceres-backbone';
import { loadMiniXceptionBackbone } from '../src-main/engine/backbones/mini-xception-backbone';
import { embedFaces } from '../src-main/engine/attributes/appearance-features';
import {
  fitRidgeClassifier,
  ridgePredict,
  selectRows,
  type FeatureRows,
} from '../src-main/engine/attributes/ridge-classifier';
import { Rng, deriveSeed } from '../src-main/engine/model/rng';
import {
  MTFL_ATTRIBUTES,
  accuracy,
  majorityRate,
  readCkFaces,
  readMtflFaces,
} from '../tests/engine/attributes/appearance-data';

const { values: opt } = parseArgs({
  options: {
    backbones: { type: 'string', default: 'mini-xception,faceres' },
    'mtfl-train': { type: 'string', default: '0' },
    'mtfl-test': { type: 'string', default: '0' },
    'ck-limit': { type: 'string', default: '0' },
  },
});
const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`bench:appearance: bad count "${v}"`);
  return n;
};

/** The backbones and the taps their heads read. */
const BACKBONES: Record<string, { load: () => Promise<FaceBackbone>; taps: string[] }> = {
  'mini-xception': { load: loadMiniXceptionBackbone, taps: ['pooled'] },
  faceres: { load: loadFaceResBackbone, taps: ['embedding', 'gender'] },
};

const backend = await chooseBackend();
const started = performance.now();
const log = (line: string) =>
  console.error(`[${Math.round((performance.now() - started) / 1000)} s] ${line}`);

const mtflTrain = await readMtflFaces('training.txt', count(opt['mtfl-train']), 1);
const mtflTest = await readMtflFaces('testing.txt', count(opt['mtfl-test']), 1);
const ck = await readCkFaces(count(opt['ck-limit']), 1);
log(`MTFL ${mtflTrain.length} train / ${mtflTest.length} test; CK+ ${ck.faces.length} faces`);

interface Scored {
  accuracy: number;
  majority: number;
}

/** Accuracy of `predicted` on `truth`, and the test rows' majority rate (the best constant). */
function scored(predicted: Int32Array, truth: number[]): Scored {
  return { accuracy: accuracy(predicted, truth), majority: majorityRate(truth) };
}

/** CK+ by subject: 5 subject folds, each face predicted by a head that never saw its person. */
function ckBySubject(features: FeatureRows): Scored {
  const subjects = [...new Set(ck.faces.map((f) => f.subject))].sort();
  const order = new Rng(deriveSeed(1, 0xc4)).permutation(subjects.length);
  const foldOf = new Map(order.map((s, i) => [subjects[s]!, i % 5]));
  const predicted = new Int32Array(ck.faces.length);
  for (let f = 0; f < 5; f++) {
    const train = ck.faces.flatMap((x, i) => (foldOf.get(x.subject) === f ? [] : [i]));
    const test = ck.faces.flatMap((x, i) => (foldOf.get(x.subject) === f ? [i] : []));
    const labels = Int32Array.from(train, (i) => ck.faces[i]!.label);
    const head = fitRidgeClassifier(selectRows(features, train), labels, ck.classes.length, {
      groups: train.map((i) => ck.faces[i]!.subject),
    });
    const p = ridgePredict(head, selectRows(features, test));
    test.forEach((i, j) => (predicted[i] = p[j]!));
  }
  return scored(
    predicted,
    ck.faces.map((x) => x.label),
  );
}

const rows: Record<string, Record<string, Scored | number>> = {};
for (const id of opt.backbones.split(',')) {
  const spec = BACKBONES[id];
  if (!spec) throw new Error(`bench:appearance: unknown backbone "${id}"`);
  const backbone = await spec.load();
  const row: Record<string, Scored | number> = {};
  const t0 = performance.now();
  const train = await embedFaces(backbone, mtflTrain, spec.taps);
  const test = await embedFaces(backbone, mtflTest, spec.taps);
  const ckEmbedded = await embedFaces(backbone, ck.faces, spec.taps);
  const faces = mtflTrain.length + mtflTest.length + ck.faces.length;
  row.msPerFace = (performance.now() - t0) / faces;
  log(`${id}: embedded ${faces} faces, ${row.msPerFace.toFixed(1)} ms/face`);
  for (const attribute of MTFL_ATTRIBUTES) {
    const labels = Int32Array.from(mtflTrain, (f) => f.labels[attribute]);
    const head = fitRidgeClassifier(train.features, labels, attribute === 'pose' ? 5 : 2);
    row[attribute] = scored(
      ridgePredict(head, test.features),
      mtflTest.map((f) => f.labels[attribute]),
    );
    log(`${id}: ${attribute} λ ${head.lambda}`);
  }
  row.ck = ckBySubject(ckEmbedded.features);
  row.unusable = [...train.quality, ...test.quality, ...ckEmbedded.quality].filter(
    (q) => !q.usable,
  ).length;
  rows[id] = row;
  backbone.dispose();
}

const pct = (s: Scored | number | undefined): string =>
  typeof s === 'object'
    ? `${(100 * s.accuracy).toFixed(1)}% (${(100 * s.majority).toFixed(1)}%)`
    : '';
console.log(
  `\nbackend ${backend.name}; MTFL ${mtflTrain.length} train / ${mtflTest.length} test rows; ` +
    `CK+ ${ck.faces.length} faces by subject (5 folds). Accuracy (majority-class baseline):\n`,
);
console.log(
  '| backbone | MTFL male | MTFL smiling | MTFL glasses | MTFL pose | CK+ by subject | ms/face | unusable faces |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [id, r] of Object.entries(rows))
  console.log(
    `| ${id} | ${pct(r.male)} | ${pct(r.smiling)} | ${pct(r.glasses)} | ${pct(r.pose)} | ${pct(r.ck)} | ${(r.msPerFace as number).toFixed(1)} | ${r.unusable as number} |`,
  );
console.log(
  JSON.stringify({
    backend: backend.name,
    mtflTrain: mtflTrain.length,
    mtflTest: mtflTest.length,
    ck: ck.faces.length,
    rows,
  }),
);
