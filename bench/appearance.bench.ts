/**
 * `npm run bench:appearance [-- options]`: the appearance table (issue 22). Each backbone embeds
 * every face once; each row is a set of taps (one backbone's, or several side by side) under the
 * studio's classifier head — the attribute default's row as the class-head job reads it (its
 * yes/no heads and CK+ on the appearance taps, pose on FaceMesh's points alone or beside them:
 * engine/attributes/head-tap-selection.ts), FaceMesh cut at its own policy's view of the crop (engine/attributes/classifier-head.ts: ridge classifiers, λ by 5-fold
 * cross-validation on the training rows only, Platt / temperature calibration on held-out
 * scores):
 *
 *   MTFL    male / smiling / glasses (yes/no heads) and pose (5 classes: the one-of-N group head,
 *           engine/attributes/class-groups.ts, which reads the row's taps or its FaceMesh points
 *           alone as cross-validation on the training rows chooses — the cell says which);
 *           fitted on training.txt rows (default all 10,000), scored on testing.txt rows
 *           (default all 2,995); crops 2.2× the five points' extent
 *           (tests/engine/attributes/appearance-data.ts);
 *   CK+     expression accuracy by subject: 5 folds of subjects, each face scored once by a head
 *           that never saw its person (λ chosen by subject-grouped CV inside the training folds);
 *   ECE     expected calibration error of the male probabilities on the MTFL test rows;
 *   ms/face embedding time of each backbone (crop, backbone; batches of 32; wasm unless
 *           FACE_STUDIO_BACKEND).
 *
 * Each accuracy is printed beside the majority-class rate of the rows it is scored on (the best
 * any constant answer scores). Prints a table, then one JSON line. Options:
 *
 *   --backbones mini-xception,face-api-age-gender,facemesh[,faceres]   which backbones
 *                                       (default: the attribute default's three; a row runs when
 *                                       its backbones are all asked for; FaceRes has no licence:
 *                                       bench-only)
 *   --mtfl-train N  --mtfl-test N       MTFL rows (seeded draws; 0 = all, the default)
 *   --ck-limit N                        CK+ faces (seeded draw; 0 = all 981, the default)
 *   --only TEXT                         only the rows whose name contains TEXT (e.g. "default")
 *   --no-cache                          embed again even when .tmp/bench-appearance holds the
 *                                       embeddings of the same backbone, taps and faces
 *
 * Embeddings are cached under .tmp/bench-appearance/ (git-ignored), keyed by backbone, taps and a
 * hash of the faces (files and boxes), so a rerun of the heads costs no embedding time.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseBackend } from '../src-main/engine/backend';
import { findTap, tapSize, type FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { headTapSelection } from '../src-main/engine/attributes/head-tap-selection';
import type { FaceInput } from '../src-main/engine/attributes/appearance-features';
import { loadAgeGenderBackbone } from '../src-main/engine/backbones/face-api-age-gender-backbone';
import {
  DEFAULT_FACE_BACKBONES,
  shippedBackbones,
} from '../src-main/engine/backbones/backbone-registry';
import { loadFaceMesh } from '../src-main/engine/backbones/facemesh';
import { loadFaceResBackbone } from '../src-main/engine/backbones/faceres-backbone';
import { loadMiniXceptionBackbone } from '../src-main/engine/backbones/mini-xception-backbone';
import {
  classGroupAnswers,
  classGroupProbabilities,
  fitClassGroups,
  pointColumns,
} from '../src-main/engine/attributes/class-groups';
import { MTFL_POSES } from '../src-main/core/formats/mtfl';
import {
  embedHeadFaces,
  fitClassifierHead,
  predictClassifierHead,
  type HeadFeatures,
  type HeadTap,
} from '../src-main/engine/attributes/classifier-head';
import {
  concatFeatures,
  selectRows,
  type FeatureRows,
} from '../src-main/engine/attributes/ridge-classifier';
import { expectedCalibrationError } from '../src-main/engine/attributes/score-calibration';
import { Rng, deriveSeed } from '../src-main/engine/model/rng';
import {
  accuracy,
  majorityRate,
  readCkFaces,
  readMtflFaces,
} from '../tests/engine/attributes/appearance-data';

const { values: opt } = parseArgs({
  options: {
    backbones: { type: 'string', default: 'mini-xception,face-api-age-gender,facemesh' },
    'mtfl-train': { type: 'string', default: '0' },
    'mtfl-test': { type: 'string', default: '0' },
    'ck-limit': { type: 'string', default: '0' },
    'no-cache': { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
  },
});
const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`bench:appearance: bad count "${v}"`);
  return n;
};

const registry = (id: string) => shippedBackbones().find((b) => b.id === id)!;

/**
 * The backbones and the taps embedded of each: the shipped ones' classify taps (the registry's,
 * what the product's head reads); FaceMesh's `mesh` points only on MTFL (what the attribute
 * default's groups read; its feature map, 4,608 values a face, is read by no attribute head) and
 * its classify taps on CK+ (the expression default reads them); FaceRes bench-only (no licence).
 * `view`: the side of the backbone's crop ÷ the appearance crop's, as the product's one crop
 * gives each backbone its own policy's view (head-crops.ts: FaceMesh 1.6 ÷ 1.2 of the box).
 */
const BACKBONES: Record<
  string,
  {
    load: () => Promise<FaceBackbone>;
    taps: readonly string[];
    ckTaps?: readonly string[];
    view?: number;
  }
> = {
  'mini-xception': {
    load: loadMiniXceptionBackbone,
    taps: registry('mini-xception').taps.classify,
  },
  'face-api-age-gender': {
    load: () => loadAgeGenderBackbone(),
    taps: registry('face-api-age-gender').taps.classify,
  },
  facemesh: {
    load: () => loadFaceMesh(),
    taps: ['mesh'],
    ckTaps: registry('facemesh').taps.classify,
    view: 1.6 / 1.2,
  },
  faceres: { load: loadFaceResBackbone, taps: ['embedding', 'gender'] },
};

/**
 * The product's attribute default: DEFAULT_FACE_BACKBONES.attributes, the taps each head reads as
 * the class-head job selects them (head-tap-selection.ts: yes/no on appearance, groups on the
 * points, alone or beside appearance by cross-validation on the training rows).
 */
const ATTRIBUTE_DEFAULT = headTapSelection(
  'attributes',
  DEFAULT_FACE_BACKBONES.attributes.map((id) => ({
    id,
    kind: registry(id).kind,
    // The registry names a backbone's points tap for its landmark head.
    taps: registry(id).taps.classify.map((name) => ({
      name,
      kind: registry(id).taps.landmarks.points === name ? ('points' as const) : ('vector' as const),
    })),
  })),
  (b) => registry(b.id).taps.classify,
);
/** The appearance taps alone: the attribute default before it learnt pose. */
const APPEARANCE = ATTRIBUTE_DEFAULT.classifier;
/** The expression default's taps (CK+ only: FaceMesh's feature map is embedded for CK+ alone). */
const EXPRESSION_DEFAULT: HeadTap[] = DEFAULT_FACE_BACKBONES.expression.flatMap((id) =>
  registry(id).taps.classify.map((tap) => ({ backbone: id, tap })),
);
const names = (taps: readonly HeadTap[]) => taps.map((t) => `${t.backbone}/${t.tap}`).join(' + ');

/**
 * Rows of the table: tap sets; a row is run when all its backbones were asked for. `classifier`:
 * the taps the yes/no heads and CK+ read (default: all); `ckOnly`: CK+ alone.
 */
const ROWS: { name: string; taps: HeadTap[]; classifier?: HeadTap[]; ckOnly?: boolean }[] = [
  { name: 'mini-Xception pooled', taps: [{ backbone: 'mini-xception', tap: 'pooled' }] },
  {
    name: 'face-api age-gender pooled + gender',
    taps: [
      { backbone: 'face-api-age-gender', tap: 'pooled' },
      { backbone: 'face-api-age-gender', tap: 'gender' },
    ],
  },
  {
    name: `attribute default: yes/no on ${names(ATTRIBUTE_DEFAULT.classifier)}; groups on ${names(ATTRIBUTE_DEFAULT.taps)}`,
    taps: ATTRIBUTE_DEFAULT.taps,
    classifier: ATTRIBUTE_DEFAULT.classifier,
  },
  { name: `appearance only (the previous default): ${names(APPEARANCE)}`, taps: APPEARANCE },
  { name: 'attribute default, every head on every tap', taps: ATTRIBUTE_DEFAULT.taps },
  {
    name: `expression default: ${names(EXPRESSION_DEFAULT)}`,
    taps: EXPRESSION_DEFAULT,
    ckOnly: true,
  },
  { name: 'FaceMesh mesh (468 points)', taps: [{ backbone: 'facemesh', tap: 'mesh' }] },
  {
    name: 'mini-Xception + FaceMesh mesh',
    taps: [
      { backbone: 'mini-xception', tap: 'pooled' },
      { backbone: 'facemesh', tap: 'mesh' },
    ],
  },
  {
    name: 'FaceRes embedding + gender (no licence)',
    taps: [
      { backbone: 'faceres', tap: 'embedding' },
      { backbone: 'faceres', tap: 'gender' },
    ],
  },
];

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

const CACHE = new URL('../.tmp/bench-appearance/', import.meta.url).pathname;

/** `embedHeadFaces` of one backbone, read from the cache when the same faces were embedded. */
async function embedCached(
  id: string,
  load: () => Promise<FaceBackbone>,
  taps: HeadTap[],
  faces: readonly FaceInput[],
): Promise<{ embedded: HeadFeatures; ms: number; cached: boolean }> {
  const key = createHash('sha256')
    .update(JSON.stringify({ id, taps, faces: faces.map((f) => [f.source, f.box]) }))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(CACHE, `${id}-${faces.length}-${key}`);
  if (!opt['no-cache'])
    try {
      const meta = JSON.parse(await fs.readFile(`${file}.json`, 'utf8')) as {
        rows: number;
        dim: number;
        quality: HeadFeatures['quality'];
        ms: number;
      };
      const bytes = await fs.readFile(`${file}.bin`);
      const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      if (data.length === meta.rows * meta.dim)
        return {
          embedded: { features: { rows: meta.rows, dim: meta.dim, data }, quality: meta.quality },
          ms: meta.ms,
          cached: true,
        };
    } catch {
      // Not cached yet: embed below.
    }
  const backbone = await load();
  const t0 = performance.now();
  const embedded = await embedHeadFaces([backbone], taps, faces);
  const ms = performance.now() - t0;
  backbone.dispose();
  await fs.mkdir(CACHE, { recursive: true });
  const { rows, dim, data } = embedded.features;
  await fs.writeFile(`${file}.bin`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  await fs.writeFile(`${file}.json`, JSON.stringify({ rows, dim, quality: embedded.quality, ms }));
  return { embedded, ms, cached: false };
}

/** Each backbone's taps for each face set, embedded once. */
const embedded = new Map<string, { train: HeadFeatures; test: HeadFeatures; ck: HeadFeatures }>();
const msPerFace: Record<string, number> = {};
/** Floats per face of each backbone's taps, in BACKBONES order (CK+: its `ckTaps`). */
const tapSizes: Record<string, number[]> = {};
const ckTapSizes: Record<string, number[]> = {};
/** `face` with its box scaled by `view` about its centre (a backbone's own policy's view). */
function viewOf<F extends FaceInput>(face: F, view: number): F {
  const { x, y, width, height } = face.box;
  return {
    ...face,
    box: {
      x: x + (width * (1 - view)) / 2,
      y: y + (height * (1 - view)) / 2,
      width: width * view,
      height: height * view,
    },
  };
}
const asked = opt.backbones.split(',');
for (const id of asked) {
  const spec = BACKBONES[id];
  if (!spec) throw new Error(`bench:appearance: unknown backbone "${id}"`);
  const backbone = await spec.load();
  const taps = spec.taps.map((tap) => ({ backbone: id, tap }));
  const ckTaps = (spec.ckTaps ?? spec.taps).map((tap) => ({ backbone: id, tap }));
  tapSizes[id] = spec.taps.map((tap) => tapSize(findTap(backbone, tap)));
  ckTapSizes[id] = ckTaps.map((t) => tapSize(findTap(backbone, t.tap)));
  backbone.dispose();
  const view = <F extends FaceInput>(faces: F[]): F[] =>
    spec.view ? faces.map((f) => viewOf(f, spec.view!)) : faces;
  const train = await embedCached(id, spec.load, taps, view(mtflTrain));
  const test = await embedCached(id, spec.load, taps, view(mtflTest));
  const ckFaces = await embedCached(id, spec.load, ckTaps, view(ck.faces));
  const parts = [train, test, ckFaces];
  const faces = mtflTrain.length + mtflTest.length + ck.faces.length;
  msPerFace[id] = parts.reduce((s, p) => s + p.ms, 0) / faces;
  const cached = parts.filter((p) => p.cached).length;
  log(
    `${id}: ${faces} faces, ${msPerFace[id].toFixed(1)} ms/face` +
      (cached ? ` (${cached} of 3 face sets from the cache, timed when embedded)` : ''),
  );
  embedded.set(id, { train: train.embedded, test: test.embedded, ck: ckFaces.embedded });
}

/** The row's taps out of the backbones' blocks, side by side. */
function featuresOf(taps: readonly HeadTap[], set: 'train' | 'test' | 'ck'): FeatureRows {
  return concatFeatures(
    ...taps.map(({ backbone, tap }) => {
      const spec = BACKBONES[backbone]!;
      const index = (set === 'ck' ? (spec.ckTaps ?? spec.taps) : spec.taps).indexOf(tap);
      if (index < 0)
        throw new Error(`bench:appearance: ${backbone}/${tap} is not embedded for ${set}`);
      const block = embedded.get(backbone)![set].features;
      const sizes = (set === 'ck' ? ckTapSizes : tapSizes)[backbone]!;
      const at = sizes.slice(0, index).reduce((s, v) => s + v, 0);
      const dim = sizes[index]!;
      const data = new Float32Array(block.rows * dim);
      for (let r = 0; r < block.rows; r++)
        data.set(block.data.subarray(r * block.dim + at, r * block.dim + at + dim), r * dim);
      return { rows: block.rows, dim, data };
    }),
  );
}

/** CK+ by subject: 5 subject folds, each face predicted by a head that never saw its person. */
async function ckBySubject(features: FeatureRows, taps: readonly HeadTap[]): Promise<Scored> {
  const subjects = [...new Set(ck.faces.map((f) => f.subject))].sort();
  const order = new Rng(deriveSeed(1, 0xc4)).permutation(subjects.length);
  const foldOf = new Map(order.map((s, i) => [subjects[s]!, i % 5]));
  const predicted = new Int32Array(ck.faces.length);
  for (let f = 0; f < 5; f++) {
    const train = ck.faces.flatMap((x, i) => (foldOf.get(x.subject) === f ? [] : [i]));
    const test = ck.faces.flatMap((x, i) => (foldOf.get(x.subject) === f ? [i] : []));
    const head = await fitClassifierHead(
      { task: 'expression', classes: ck.classes },
      taps,
      selectRows(features, train),
      train.map((i) => [ck.faces[i]!.label]),
      { groups: train.map((i) => ck.faces[i]!.subject) },
    );
    const p = predictClassifierHead(
      head,
      selectRows(features, test),
      test.map(() => ({ usable: true, sidePx: 48, sharpness: 1 })),
    );
    test.forEach((i, j) => {
      const x = p[j]!;
      predicted[i] = x.ok && x.task === 'expression' ? x.label : -1;
    });
  }
  const truth = ck.faces.map((x) => x.label);
  return { accuracy: accuracy(predicted, truth), majority: majorityRate(truth) };
}

const BINARY = ['male', 'smiling', 'glasses'] as const;
/** Which features the pose head chose per row (`all` taps, or the FaceMesh `points` alone). */
const poseFeatures: Record<string, string> = {};
const results: Record<string, Record<string, Scored | number>> = {};
for (const row of ROWS) {
  if (!row.taps.every((t) => embedded.has(t.backbone))) continue;
  if (opt.only && !row.name.includes(opt.only)) continue;
  const classifier = row.classifier ?? row.taps;
  const out: Record<string, Scored | number> = {};
  out.msPerFace = [...new Set(row.taps.map((t) => t.backbone))].reduce(
    (s, id) => s + msPerFace[id]!,
    0,
  );
  if (row.ckOnly) {
    out.ck = await ckBySubject(featuresOf(classifier, 'ck'), classifier);
    results[row.name] = out;
    log(`${row.name}: ${JSON.stringify(out)}`);
    continue;
  }
  const train = featuresOf(row.taps, 'train');
  const test = featuresOf(row.taps, 'test');
  const trainClassifier = featuresOf(classifier, 'train');
  const head = await fitClassifierHead(
    { task: 'attributes', attributes: [...BINARY] },
    classifier,
    trainClassifier,
    mtflTrain.map((f) => BINARY.map((a) => f.labels[a])),
  );
  // Every MTFL face is judged usable; the bench scores the head, not the notes (counted below).
  const usable = mtflTest.map(() => ({ usable: true as const, sidePx: 100, sharpness: 1 }));
  const p = predictClassifierHead(head, featuresOf(classifier, 'test'), usable);
  BINARY.forEach((a, j) => {
    const truth = mtflTest.map((f) => f.labels[a]);
    const prob = p.map((x) =>
      x.ok && x.task === 'attributes' ? x.attributes[j]!.probability : NaN,
    );
    out[a] = {
      accuracy: accuracy(
        prob.map((v) => (v >= 0.5 ? 1 : 0)),
        truth,
      ),
      majority: majorityRate(truth),
    };
    if (a === 'male') out.maleEce = expectedCalibrationError(prob, truth);
    if (head.task === 'attributes') log(`${row.name}: ${a} λ ${head.attributes[j]!.model?.lambda}`);
  });
  const [pose] = await fitClassGroups(
    [{ name: 'pose', classes: [...MTFL_POSES] }],
    train,
    mtflTrain.map((f) => [f.labels.pose]),
    pointColumns(
      row.taps.map((t) => tapSizes[t.backbone]![BACKBONES[t.backbone]!.taps.indexOf(t.tap)]!),
      row.taps.map((t) => t.backbone === 'facemesh' && t.tap === 'mesh'),
    ),
  );
  const poseTruth = mtflTest.map((f) => f.labels.pose);
  const [posePredicted] = classGroupAnswers(
    [pose!],
    classGroupProbabilities([pose!], test),
    mtflTest.length,
  );
  out.pose = {
    accuracy: accuracy(posePredicted!, poseTruth),
    majority: majorityRate(poseTruth),
  };
  poseFeatures[row.name] = pose!.features;
  log(`${row.name}: pose CV ${JSON.stringify(pose!.cvAccuracy)} → ${pose!.features}`);
  out.ck = await ckBySubject(featuresOf(classifier, 'ck'), classifier);
  results[row.name] = out;
  log(`${row.name}: ${JSON.stringify(out)}`);
}
const unusable: Record<string, number> = {};
for (const [id, e] of embedded)
  unusable[id] = [...e.train.quality, ...e.test.quality, ...e.ck.quality].filter(
    (q) => !q.usable,
  ).length;

const pct = (s: Scored | number | undefined): string =>
  typeof s === 'object'
    ? `${(100 * s.accuracy).toFixed(1)}% (${(100 * s.majority).toFixed(1)}%)`
    : '';
console.log(
  `\nbackend ${backend.name}; MTFL ${mtflTrain.length} train / ${mtflTest.length} test rows; ` +
    `CK+ ${ck.faces.length} faces by subject (5 folds). Accuracy (majority-class rate):\n`,
);
console.log(
  '| features | MTFL male | MTFL smiling | MTFL glasses | MTFL pose | CK+ by subject | male ECE | ms/face |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, r] of Object.entries(results))
  console.log(
    `| ${name} | ${pct(r.male)} | ${pct(r.smiling)} | ${pct(r.glasses)} | ${pct(r.pose)}${poseFeatures[name] === 'points' ? ' (points)' : ''} | ${pct(r.ck)} | ${typeof r.maleEce === 'number' ? r.maleEce.toFixed(3) : ''} | ${(r.msPerFace as number).toFixed(1)} |`,
  );
console.log(
  `\nfaces judged unusable (too small / too blurred), per backbone: ${JSON.stringify(unusable)}`,
);
console.log(
  JSON.stringify({
    backend: backend.name,
    mtflTrain: mtflTrain.length,
    mtflTest: mtflTest.length,
    ck: ck.faces.length,
    msPerFace,
    unusable,
    rows: results,
  }),
);
