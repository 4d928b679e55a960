/**
 * The backbone comparison on a project's own labelled faces (docs/ARCHITECTURE.md, "Backbones and
 * tasks"): for one task, each offered backbone (backbone-registry.ts) cuts the faces by its own
 * crop policy, embeds them, gets the closed-form head fitted on the train split and is scored on
 * val and test, side by side with the baseline fitted on the same train faces.
 *
 * - landmarks: fitLandmarkRidge (flip augmentation, λ by leave-one-out) on the registry's points
 *   and map taps; NME with the schema's normaliser and FR@10%; baseline the mean training shape;
 * - attributes: one fitRidgeClassifier per binary attribute and per one-of-N group (MTFL pose) on
 *   the registry's vector taps, on the faces labelled for it; the mean accuracy over them;
 *   baseline each one's majority;
 * - expression: one fitRidgeClassifier over the classes; accuracy; baseline the majority class.
 * The winner is chosen on val (test when the project has no val faces), so the test figure stays
 * a figure the choice did not see.
 */
import type {
  BackboneComparison,
  ComparisonProgress,
  ComparisonRow,
  SplitScore,
} from '../../shared/backbone-comparison';
import * as tf from '@tensorflow/tfjs';
import type { Box } from '../../shared/domain';
import { StudioError, toIpcError } from '../../shared/errors';
import {
  fitRidgeClassifier,
  ridgePredict,
  selectRows,
  type FeatureRows,
} from '../attributes/ridge-classifier';
import { DEFAULT_CROP_POLICY, toCrop } from '../data/face-crop';
import {
  labelledFaceCropBox,
  measuredCropPolicy,
  type LabelledFace,
  type LabelledFaceSet,
} from '../data/labelled-faces';
import { fitLandmarkRidge, predictLandmarkRidge } from '../landmarks/landmark-ridge-head';
import { flipIndexOf } from '../landmarks/schema-flip';
import { failureRate, mean, nmePerFace } from '../metrics/landmark-metrics';
import type { OfferedBackbone } from './backbone-registry';
import { embedCrops, headInputOf, landmarkTapNames, type EmbeddedCrops } from './embed-faces';
import { findTap, tapSize, type FaceBackbone } from './face-backbone';

type Split = 'train' | 'val' | 'test';

export interface CompareOptions {
  /** Checked between chunks and backbones: an aborted signal throws its reason. */
  signal?: AbortSignal;
  /** Awaited before each backbone (the job queue's pause gate). */
  beforeBackbone?: (index: number) => Promise<void>;
  onProgress?: (progress: ComparisonProgress) => void;
  /** Faces per backbone call. */
  chunk?: number;
  now?: () => Date;
}

/** Row indices of each split in `faces`. */
function splitRows(faces: readonly LabelledFace[]): Record<Split, number[]> {
  const rows: Record<Split, number[]> = { train: [], val: [], test: [] };
  faces.forEach((f, i) => rows[f.split].push(i));
  return rows;
}

/** Fewest training faces a head is fitted on. */
export const MIN_TRAIN_FACES = 2;

/** Checks there is something to fit and to score; a clear error naming the project otherwise. */
function checkFaces(set: LabelledFaceSet, rows: Record<Split, number[]>): void {
  const where = set.project ? `Project "${set.project}"` : 'The project';
  if (rows.train.length < MIN_TRAIN_FACES)
    throw new StudioError(
      'invalid-payload',
      `${where} has ${rows.train.length} face(s) labelled for ${set.task} in the train split; a comparison needs ${MIN_TRAIN_FACES} or more`,
    );
  if (rows.val.length + rows.test.length === 0)
    throw new StudioError(
      'invalid-payload',
      `${where} has no faces labelled for ${set.task} in the val or test split to score the backbones on; assign some (Library: splits)`,
    );
}

/**
 * Compares `backbones` on `set` (the project's faces labelled for one task). A backbone that fails
 * to load or fit gets a row with its error; an abort throws.
 */
export async function compareBackbones(
  set: LabelledFaceSet,
  backbones: readonly OfferedBackbone[],
  options: CompareOptions = {},
): Promise<BackboneComparison> {
  const rows = splitRows(set.faces);
  checkFaces(set, rows);
  const lowerIsBetter = set.task === 'landmarks';
  const out: ComparisonRow[] = [];
  for (const [index, offered] of backbones.entries()) {
    await options.beforeBackbone?.(index);
    options.signal?.throwIfAborted();
    const progress = (stage: ComparisonProgress['stage'], faces = 0) =>
      options.onProgress?.({
        backboneId: offered.id,
        done: index + (stage === 'scored' ? 1 : 0),
        total: backbones.length,
        stage,
        faces,
        facesTotal: set.faces.length,
      });
    progress('loading');
    const base = rowOf(offered);
    let backbone: FaceBackbone | null = null;
    try {
      backbone = await offered.load();
      const scored = await scoreBackbone(set, rows, offered, backbone, options, progress);
      out.push({ ...base, ...scored });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      out.push({ ...base, error: toIpcError(error).message });
    } finally {
      backbone?.dispose();
    }
    progress('scored', set.faces.length);
  }
  const chosenBy: Split | null = rows.val.length > 0 ? 'val' : rows.test.length > 0 ? 'test' : null;
  return {
    format: 'face-studio-backbone-comparison',
    version: 1,
    task: set.task,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    metric: lowerIsBetter ? 'nme' : 'accuracy',
    lowerIsBetter,
    faces: { train: rows.train.length, val: rows.val.length, test: rows.test.length },
    baseline: baselineOf(set, rows),
    rows: out,
    winner: chosenBy ? winnerOf(out, chosenBy, lowerIsBetter) : null,
    chosenBy,
  };
}

/** The best row's backbone on `split`, or null when none was scored there. */
export function winnerOf(
  rows: readonly ComparisonRow[],
  split: 'val' | 'test',
  lowerIsBetter: boolean,
): string | null {
  let best: ComparisonRow | null = null;
  for (const row of rows) {
    const score = row[split];
    if (!score || !Number.isFinite(score.value)) continue;
    const current = best?.[split]?.value;
    if (current === undefined || (lowerIsBetter ? score.value < current : score.value > current))
      best = row;
  }
  return best?.backboneId ?? null;
}

function rowOf(offered: OfferedBackbone): ComparisonRow {
  return {
    backboneId: offered.id,
    name: offered.name,
    kind: offered.kind,
    licence: offered.licence.spdx,
    attribution: offered.licence.attribution,
    package: offered.licence.package,
    taps: [],
    val: null,
    test: null,
    msPerFace: null,
    error: null,
  };
}

type Scored = Pick<ComparisonRow, 'taps' | 'val' | 'test' | 'msPerFace'>;

async function scoreBackbone(
  set: LabelledFaceSet,
  rows: Record<Split, number[]>,
  offered: OfferedBackbone,
  backbone: FaceBackbone,
  options: CompareOptions,
  progress: (stage: 'embedding' | 'fitting', faces: number) => void,
): Promise<Scored> {
  const policy = measuredCropPolicy(set.faces, backbone.cropPolicy.crop);
  const boxes = set.faces.map((face) => labelledFaceCropBox(face, policy));
  const crops = set.faces.map((face, i) => ({ source: face.file, box: boxes[i]! }));
  const landmarks = set.task === 'landmarks';
  const taps = landmarks
    ? landmarkTapNames(offered.taps.landmarks, true)
    : [...offered.taps.classify];
  // One pass on a blank face first, so the figure per face leaves out compiling the graph.
  const blank = tf.zeros([1, backbone.inputSize, backbone.inputSize, 3]) as tf.Tensor4D;
  await backbone.embed(blank, taps).finally(() => blank.dispose());
  const embedded = await embedCrops(backbone, crops, taps, {
    mirrored: landmarks,
    ...(options.chunk ? { chunk: options.chunk } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (done) => progress('embedding', done),
  });
  options.signal?.throwIfAborted();
  progress('fitting', set.faces.length);
  const scored =
    set.task === 'landmarks'
      ? await scoreLandmarks(set, rows, offered, backbone, embedded, boxes)
      : await scoreClasses(set, rows, featureRows(backbone, embedded, taps));
  const passes = landmarks ? 2 : 1;
  return {
    taps,
    val: scored.val,
    test: scored.test,
    msPerFace: passes * embedded.msPerFace + scored.headMsPerFace,
  };
}

interface SplitScores {
  val: SplitScore | null;
  test: SplitScore | null;
  headMsPerFace: number;
}

/** `[n · K · 2]` crop coordinates of the faces' labelled points. */
function cropTargets(faces: readonly LabelledFace[], boxes: readonly Box[]): Float32Array {
  const k = faces[0]?.points.length ?? 0;
  const out = new Float32Array(faces.length * k * 2);
  faces.forEach((face, i) =>
    toCrop(face.points, boxes[i]!).forEach((p, j) => {
      out[(i * k + j) * 2] = p.x;
      out[(i * k + j) * 2 + 1] = p.y;
    }),
  );
  return out;
}

function pick(values: Float32Array, rows: readonly number[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(values.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

function landmarkScore(
  predicted: ArrayLike<number>,
  truth: Float32Array,
  count: number,
  width: number,
  normaliser: readonly [number, number],
): SplitScore {
  const shapes = Array.from(
    { length: count },
    (_, f) => Array.prototype.slice.call(predicted, f * width, (f + 1) * width) as number[],
  );
  const truths = Array.from({ length: count }, (_, f) =>
    truth.subarray(f * width, (f + 1) * width),
  );
  const errors = nmePerFace(shapes, truths, normaliser);
  return { value: mean(errors), failureRate: failureRate(errors), faces: count };
}

async function scoreLandmarks(
  set: Extract<LabelledFaceSet, { task: 'landmarks' }>,
  rows: Record<Split, number[]>,
  offered: OfferedBackbone,
  backbone: FaceBackbone,
  embedded: EmbeddedCrops,
  boxes: readonly Box[],
): Promise<SplitScores> {
  const schema = set.schema;
  const width = schema.points.length * 2;
  const targets = cropTargets(set.faces, boxes);
  const taps = offered.taps.landmarks;
  const model = await fitLandmarkRidge(
    headInputOf(backbone, embedded, taps, false, rows.train),
    headInputOf(backbone, embedded, taps, true, rows.train),
    pick(targets, rows.train, width),
    flipIndexOf(schema.points.length, schema.mirror),
  );
  let headMs = 0;
  let headFaces = 0;
  const score = async (split: 'val' | 'test'): Promise<SplitScore | null> => {
    const idx = rows[split];
    if (idx.length === 0) return null;
    const t0 = performance.now();
    const pred = await predictLandmarkRidge(
      model,
      headInputOf(backbone, embedded, taps, false, idx),
      headInputOf(backbone, embedded, taps, true, idx),
    );
    headMs += performance.now() - t0;
    headFaces += idx.length;
    return landmarkScore(
      pred.shapes,
      pick(targets, idx, width),
      idx.length,
      width,
      schema.normaliser,
    );
  };
  const val = await score('val');
  const test = await score('test');
  return { val, test, headMsPerFace: headFaces ? headMs / headFaces : 0 };
}

/** The embedded taps side by side per face, as classifier features. */
function featureRows(
  backbone: FaceBackbone,
  embedded: EmbeddedCrops,
  taps: readonly string[],
): FeatureRows {
  const sizes = taps.map((t) => tapSize(findTap(backbone, t)));
  const dim = sizes.reduce((a, b) => a + b, 0);
  const data = new Float32Array(embedded.count * dim);
  for (let r = 0; r < embedded.count; r++) {
    let at = r * dim;
    taps.forEach((t, i) => {
      const size = sizes[i]!;
      data.set(embedded.taps[t]!.subarray(r * size, (r + 1) * size), at);
      at += size;
    });
  }
  return { rows: embedded.count, dim, data };
}

/** One classifying output: its rows' labels (NaN: not labelled) and its class count. */
interface ClassOutput {
  labels: number[];
  classes: number;
}

function classOutputs(set: LabelledFaceSet): ClassOutput[] {
  if (set.task === 'expression')
    return [{ labels: set.faces.map((f) => f.label[0] ?? NaN), classes: set.classes.length }];
  if (set.task === 'attributes') {
    const a = set.attributes.length;
    // The one-of-N groups (MTFL pose) follow the yes/no attributes in each face's label.
    const groups = (set.groups ?? []).map((g, i) => ({
      labels: set.faces.map((f) => f.label[a + i] ?? NaN),
      classes: g.classes.length,
    }));
    return [
      ...set.attributes.map((_, j) => ({
        labels: set.faces.map((f) => f.label[j] ?? NaN),
        classes: 2,
      })),
      ...groups,
    ];
  }
  return [];
}

const labelled = (output: ClassOutput, rows: readonly number[]) =>
  rows.filter((r) => Number.isFinite(output.labels[r]));

/** Mean over outputs scored on `split` of each output's accuracy; null when none is. */
function meanAccuracy(parts: { correct: number; faces: number }[]): SplitScore | null {
  const scored = parts.filter((p) => p.faces > 0);
  if (scored.length === 0) return null;
  return {
    value: mean(scored.map((p) => p.correct / p.faces)),
    failureRate: null,
    faces: Math.max(...scored.map((p) => p.faces)),
  };
}

async function scoreClasses(
  set: LabelledFaceSet,
  rows: Record<Split, number[]>,
  x: FeatureRows,
): Promise<SplitScores> {
  const parts: Record<'val' | 'test', { correct: number; faces: number }[]> = { val: [], test: [] };
  let headMs = 0;
  let headFaces = 0;
  for (const output of classOutputs(set)) {
    const train = labelled(output, rows.train);
    if (train.length < MIN_TRAIN_FACES) continue;
    const model = await fitRidgeClassifier(
      selectRows(x, train),
      Int32Array.from(train.map((r) => output.labels[r]!)),
      output.classes,
    );
    for (const split of ['val', 'test'] as const) {
      const idx = labelled(output, rows[split]);
      if (idx.length === 0) continue;
      const t0 = performance.now();
      const predicted = ridgePredict(model, selectRows(x, idx));
      headMs += performance.now() - t0;
      headFaces += idx.length;
      let correct = 0;
      idx.forEach((r, i) => (correct += predicted[i] === output.labels[r] ? 1 : 0));
      parts[split].push({ correct, faces: idx.length });
    }
  }
  if (parts.val.length + parts.test.length === 0)
    throw new StudioError(
      'invalid-payload',
      `No ${set.task === 'attributes' ? 'attribute' : 'expression'} has ${MIN_TRAIN_FACES} or more labelled training faces to fit a head on`,
    );
  return {
    val: meanAccuracy(parts.val),
    test: meanAccuracy(parts.test),
    headMsPerFace: headFaces ? headMs / headFaces : 0,
  };
}

/** The baseline fitted on train: the mean shape (landmarks) or the majority class. */
function baselineOf(
  set: LabelledFaceSet,
  rows: Record<Split, number[]>,
): BackboneComparison['baseline'] {
  if (set.task === 'landmarks') {
    const policy = measuredCropPolicy(set.faces, DEFAULT_CROP_POLICY);
    const boxes = set.faces.map((face) => labelledFaceCropBox(face, policy));
    const targets = cropTargets(set.faces, boxes);
    const width = set.schema.points.length * 2;
    const meanShape = new Float64Array(width);
    for (const r of rows.train)
      for (let j = 0; j < width; j++) meanShape[j]! += targets[r * width + j]! / rows.train.length;
    const score = (split: 'val' | 'test') => {
      const idx = rows[split];
      if (idx.length === 0) return null;
      const repeated = new Float64Array(idx.length * width);
      idx.forEach((_, i) => repeated.set(meanShape, i * width));
      return landmarkScore(
        repeated,
        pick(targets, idx, width),
        idx.length,
        width,
        set.schema.normaliser,
      );
    };
    return { name: 'mean shape', val: score('val'), test: score('test') };
  }
  const score = (split: 'val' | 'test') => {
    const parts: { correct: number; faces: number }[] = [];
    for (const output of classOutputs(set)) {
      const train = labelled(output, rows.train);
      if (train.length < MIN_TRAIN_FACES) continue;
      const counts = new Array<number>(output.classes).fill(0);
      for (const r of train) counts[output.labels[r]!]! += 1;
      const majority = counts.indexOf(Math.max(...counts));
      const idx = labelled(output, rows[split]);
      if (idx.length === 0) continue;
      parts.push({
        correct: idx.filter((r) => output.labels[r] === majority).length,
        faces: idx.length,
      });
    }
    return meanAccuracy(parts);
  };
  return { name: 'majority class', val: score('val'), test: score('test') };
}
