/**
 * Runs an exported model on image files: finds the face (the library's detector, unless the
 * caller gives a face record, a box or labelled points), crops it by the model card's crop
 * policy, predicts in batches, and maps the landmarks back to image pixels. Landmark models also
 * see the mirrored crop: the two predictions' mean is the point, their distance its uncertainty
 * (flip-consistency.ts). `predict`, `eval` and the labeller's pre-labelling call this one function.
 *
 * Backbone-headed models (a card with `head`) cut faces by the head's crop record: the first crop
 * from the detection (or the box, the points, the whole image) by its policy, predicted without
 * its mirror to place the face, and, when the record says `refine: 'predicted-landmarks'`, a
 * second crop around that guess's points — cut as training cut around the labelled ones — where
 * it frames the face off the first by more than the record's `recutBeyond` (recut.ts); the final
 * crop is predicted with its mirror, and a first crop kept reuses its first pass (two graph runs a
 * face, three when cut again). Their σ is the card's calibration, σ² = a·s_j² + c·d², with d the
 * face's flip disagreement (point-uncertainty.ts), so a point the model is unsure of on this face
 * is never shown as confident.
 *
 * One face per image: the detector's best-scoring face, as a project keeps one face per image.
 * An image that cannot be read is reported in `failed` and the rest go on, as an import does.
 */
import * as tf from '@tensorflow/tfjs';
import { boxOfPoints } from '../../core/library/face-boxes';
import type { FaceDetector } from '../../core/library/face-detect';
import { openImage, type OpenedImage } from '../../core/library/image-source';
import type { Box, FaceDetection, Landmark, PlacedPoint } from '../../shared/domain';
import type { CardClassGroup, CardHead, CropPolicy, ModelCard } from '../../shared/model-card';
import { StudioError } from '../../shared/errors';
import { CropCutter, faceCropBox, fromCropPoint } from '../data/face-crop';
import type { ExportedModel, ExportedPrediction } from '../export/load-model';
import { CropBuffers } from './crop-batch';
import { combineFlipped, flipIndexOf } from './flip-consistency';
import { needsRecut } from './recut';

/** One image to predict on, and what is known about its face. */
export interface ImageToPredict {
  /** Absolute path (or relative to the working folder). */
  file: string;
  /** Curation's face record: cropped from it, no detection. null or absent: detect. */
  face?: FaceDetection | null;
  /** A face box in image px: cropped from it (grown by the card's margin), no detection. */
  box?: Box;
  /** Labelled landmarks: cropped from their box as training crops are (eval), no detection. */
  points?: readonly PlacedPoint[];
}

/** How the face to crop was found. */
export type FaceSource = 'detector' | 'record' | 'box' | 'points' | 'whole-image';

/** What the model says about one face, in the shape of an annotation (image px). */
export interface PredictedLabels {
  /**
   * Schema order; `{ x, y, v: 2, source: 'model', confirmed: false, uncertainty }`. Empty for other
   * tasks.
   */
  points: Landmark[];
  /** The face box the crop was cut around (the detector's, the record's, the given one). */
  box?: Box;
  /** Attribute models: probability ≥ 0.5 per attribute. */
  attributes: Record<string, boolean>;
  /** Attribute models with one-of-N groups (MTFL pose): each group's most probable class. */
  classes?: Record<string, string>;
  /** Expression models: the most probable class. */
  expression: string | null;
}

/** The model's raw outputs for one face, by name. */
export interface RawScores {
  /** Attribute probabilities. */
  attributes?: Record<string, number>;
  /** Each one-of-N group's class probabilities, by group and class name. */
  classes?: Record<string, Record<string, number>>;
  /** Expression class probabilities. */
  expression?: Record<string, number>;
  /** Backbone models: the CLS features. */
  features?: number[];
}

/** A face found in one image of the input, and the square crop the model sees of it. */
interface FaceInImage {
  /** Index of the image in the input. */
  index: number;
  file: string;
  width: number;
  height: number;
  found: FaceSource;
  /** The detector's (or the record's) score; null when the face was given otherwise. */
  score: number | null;
  /** The square the model saw, image px. */
  crop: Box;
}

export interface PredictedFace extends FaceInImage {
  labels: PredictedLabels;
  scores: RawScores;
}

export interface PredictFailure {
  index: number;
  file: string;
  message: string;
}

export interface PredictOutcome {
  /** In input order. */
  faces: PredictedFace[];
  /** Images where the detector found no face (and `noFace` was 'skip'). */
  noFace: { index: number; file: string }[];
  failed: PredictFailure[];
  cancelled: boolean;
}

export interface PredictOptions {
  /** Faces per model call (landmark models run twice as many crops: each and its mirror). */
  batchSize?: number;
  /** The detector, or how to load it; loaded only when an image needs detection. */
  detector?: FaceDetector | (() => Promise<FaceDetector>);
  /** Predict the mirrored crop too (landmark models): uncertainty and a better point. Default on. */
  flipTest?: boolean;
  /** Look for faces not given (default); off: an image without a given face is taken whole. */
  detect?: boolean;
  /** When the detector finds no face: skip the image, or predict on the whole image. */
  noFace?: 'skip' | 'whole-image';
  onProgress?: (progress: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

/** 16 faces: 32 crops of a `small` model fit any backend's memory with room to spare. */
const DEFAULT_BATCH = 16;

/**
 * A face's decoded image is kept for its recut up to 12 MB (4 MP of RGB): a batch of faces then
 * holds at most ~200 MB of pixels; a larger photo is decoded again if its face is cut again.
 */
const KEEP_DECODED = 12 * 2 ** 20;

interface Cropped extends FaceInImage {
  box: Box | undefined;
  /**
   * The crop the model sees, `S·S·3` floats in [0, 1] (face-crop.ts's `cropFaces`, as an array):
   * the face's slot of the run's crop buffers (crop-batch.ts).
   */
  pixels: Float32Array;
  /** The image, kept decoded for a second crop around the first prediction. */
  cutter: CropCutter;
}

export async function predictFaces(
  model: ExportedModel,
  images: readonly ImageToPredict[],
  options: PredictOptions = {},
): Promise<PredictOutcome> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new StudioError(
      'invalid-payload',
      `Batch size must be a positive integer, not ${batchSize}`,
    );
  const heads = headsOf(model.card);
  const flipTest = (options.flipTest ?? true) && heads.flip !== null;
  const detectorOf = options.detect === false ? null : lazyDetector(options.detector);
  const outcome: PredictOutcome = { faces: [], noFace: [], failed: [], cancelled: false };
  const buffers = new CropBuffers(model.inputSize, Math.min(batchSize, images.length));
  for (let from = 0; from < images.length; from += batchSize) {
    if (options.signal?.aborted) {
      outcome.cancelled = true;
      break;
    }
    const batch: Cropped[] = [];
    for (let index = from; index < Math.min(from + batchSize, images.length); index++) {
      const image = images[index]!;
      try {
        const cropped = await cropOne(
          model,
          heads,
          image,
          index,
          detectorOf,
          options.noFace ?? 'skip',
          buffers.slot(batch.length),
        );
        if (cropped) batch.push(cropped);
        else outcome.noFace.push({ index, file: image.file });
      } catch (error) {
        if (error instanceof DetectorUnavailable) throw error.reason;
        if (!(error instanceof StudioError)) throw error;
        outcome.failed.push({ index, file: image.file, message: error.message });
      }
    }
    if (batch.length > 0)
      outcome.faces.push(
        ...(heads.refine
          ? await predictRecut(model, heads, batch, flipTest, buffers)
          : await predictBatch(model, heads, batch, flipTest, buffers)),
      );
    options.onProgress?.({ done: Math.min(from + batchSize, images.length), total: images.length });
  }
  return outcome;
}

/** What the card says the model outputs, resolved once. */
interface Heads {
  pointNames: string[] | null;
  /** Flip index for landmark models, else null (no mirrored pass). */
  flip: number[] | null;
  attributes: string[] | null;
  /** Attribute models: the one-of-N groups, whose probabilities follow the attributes'. */
  groups: CardClassGroup[];
  classes: string[] | null;
  /** The policy every crop is cut by: the head's crop record's, else the card's. */
  policy: CropPolicy;
  /** Landmark heads: cut again around the first prediction and predict again. */
  refine: boolean;
  /** With `refine`: the framing shift beyond which a face is cut again (recut.ts). */
  recutBeyond: number;
  /** Landmark heads: the σ calibration (σ² = a·s_j² + c·d²); null: σ is the flip distance. */
  sigma: NonNullable<CardHead['uncertainty']> | null;
}

function headsOf(card: ModelCard): Heads {
  const schema = card.task === 'landmarks' ? card.schema : null;
  if (card.task === 'landmarks' && !schema)
    throw new StudioError(
      'invalid-payload',
      `Model ${card.id} predicts landmarks but its card has no schema`,
    );
  const sigma = schema ? (card.head?.uncertainty ?? null) : null;
  if (sigma && sigma.pointError.length !== schema!.points.length)
    throw new StudioError(
      'invalid-payload',
      `Model ${card.id}: its card calibrates σ for ${sigma.pointError.length} points; the schema has ${schema!.points.length}`,
    );
  return {
    pointNames: schema?.points ?? null,
    flip: schema ? flipIndexOf(schema.points.length, schema.mirror) : null,
    attributes: card.task === 'attributes' ? card.attributes : null,
    groups: card.task === 'attributes' ? (card.groups ?? []) : [],
    classes: card.task === 'expression' ? card.classes : null,
    policy: card.head?.crop.policy ?? card.crop,
    refine: schema !== null && card.head?.crop.refine === 'predicted-landmarks',
    recutBeyond: card.head?.crop.recutBeyond ?? 0,
    sigma,
  };
}

/**
 * Landmark heads with `refine`: the first crops predicted as they are (placing each face); a face
 * whose guess frames it off its crop by more than `recutBeyond` is cut again around the guess
 * (the crop policy applied to the guessed points as to labelled ones); then one graph run on the
 * new crops and the mirror of every face's final crop. A face kept on its first crop reuses its
 * first pass, so its answer is exactly the flip-averaged prediction on that crop. `batch` ends
 * holding each face's final crop (the caller disposes them).
 */
async function predictRecut(
  model: ExportedModel,
  heads: Heads,
  batch: Cropped[],
  flipTest: boolean,
  buffers: CropBuffers,
): Promise<PredictedFace[]> {
  const n = batch.length;
  const width = heads.flip!.length * 2;
  const first = await predictInput(model, buffers.firstSlots(n), n);
  const guesses = labelsOf(heads, batch, first, false);
  const recut: number[] = [];
  for (const [i, c] of batch.entries()) {
    const around = faceCropBox(c, { points: guesses[i]!.labels.points }, heads.policy);
    if (!needsRecut(c.crop, around, heads.recutBeyond)) continue;
    // Into the face's own slot: its first crop is not needed again.
    await c.cutter.cutFloats([around], model.inputSize, c.pixels);
    batch[i] = { ...c, crop: around };
    recut.push(i);
  }
  for (const c of batch) c.cutter.release();
  if (recut.length === 0 && !flipTest) return guesses;
  const second = await predictInput(
    model,
    buffers.batch(
      recut.map((i) => batch[i]!.pixels),
      flipTest ? batch.map((c) => c.pixels) : [],
    ),
    recut.length + (flipTest ? n : 0),
  );
  const fresh = second.landmarks;
  const expected = (recut.length + (flipTest ? n : 0)) * width;
  if (!fresh || fresh.length !== expected || first.landmarks?.length !== n * width)
    throw new StudioError(
      'internal',
      `The model returned ${fresh?.length ?? 0} landmark values for ${recut.length + (flipTest ? n : 0)} crops; expected ${expected}`,
    );
  // Rows as one graph run on [final crops; their mirrors] would give them.
  const landmarks = new Float32Array((flipTest ? 2 : 1) * n * width);
  landmarks.set(first.landmarks);
  recut.forEach((face, row) =>
    landmarks.set(fresh.subarray(row * width, (row + 1) * width), face * width),
  );
  if (flipTest) landmarks.set(fresh.subarray(recut.length * width), n * width);
  return labelsOf(heads, batch, { landmarks }, flipTest);
}

/** A detector that cannot load fails the whole run, not each image in turn. */
class DetectorUnavailable extends Error {
  constructor(readonly reason: unknown) {
    super('The face detector cannot load');
  }
}

function lazyDetector(given: PredictOptions['detector']): () => Promise<FaceDetector> {
  let loading: Promise<FaceDetector> | null = null;
  return () => {
    loading ??= (async () => {
      if (given && typeof given !== 'function') return given;
      if (given) return given();
      // Loaded on first need: a run over labelled faces never loads face-api at all.
      const { FaceDetector } = await import('../../core/library/face-detect');
      return FaceDetector.load();
    })().catch((error: unknown) => {
      throw new DetectorUnavailable(error);
    });
    return loading;
  };
}

/** Opens the image, finds the face to crop, and cuts it out at the model's input size. */
async function cropOne(
  model: ExportedModel,
  { policy, refine }: Heads,
  image: ImageToPredict,
  index: number,
  detectorOf: (() => Promise<FaceDetector>) | null,
  noFace: 'skip' | 'whole-image',
  slot: Float32Array,
): Promise<Cropped | null> {
  const opened = await openImage(image.file);
  const found = await locateFace(opened, image, detectorOf);
  if (found === null && noFace === 'skip' && detectorOf) return null;
  // No face given or found: the whole image, squared about its centre (padded, never squashed).
  const crop = faceCropBox(opened, found?.face ?? {}, policy);
  // Decode errors surface here, named by file (face-crop.ts).
  const cutter = new CropCutter(opened, refine ? KEEP_DECODED : 0);
  const pixels = await cutter.cutFloats([crop], model.inputSize, slot);
  return {
    index,
    file: image.file,
    width: opened.width,
    height: opened.height,
    found: found?.source ?? 'whole-image',
    score: found?.score ?? null,
    box: found?.box,
    crop,
    pixels,
    cutter,
  };
}

interface Located {
  face: { detection?: FaceDetection | null; points?: readonly PlacedPoint[] };
  box: Box;
  source: FaceSource;
  score: number | null;
}

async function locateFace(
  opened: OpenedImage,
  image: ImageToPredict,
  detectorOf: (() => Promise<FaceDetector>) | null,
): Promise<Located | null> {
  if (image.points && image.points.length > 0) {
    const placed = image.points.filter((p) => p.v > 0);
    if (placed.length === 0)
      throw new StudioError(
        'invalid-payload',
        `${image.file}: the face has no labelled points to crop around`,
      );
    return { face: { points: placed }, box: boxOfPoints(placed), source: 'points', score: null };
  }
  if (image.box) {
    // Only the box is read (face-crop.ts); crop and score fill the record's shape.
    const detection: FaceDetection = { box: image.box, crop: image.box, score: 1 };
    return { face: { detection }, box: image.box, source: 'box', score: null };
  }
  if (image.face) {
    return {
      face: { detection: image.face },
      box: image.face.box,
      source: 'record',
      score: image.face.score,
    };
  }
  if (!detectorOf) return null;
  const finding = await (await detectorOf()).detect(opened);
  if (!finding.face) return null;
  return {
    face: { detection: finding.face },
    box: finding.face.box,
    source: 'detector',
    score: finding.face.score,
  };
}

/** Runs the model on a batch of crops (and their mirrors) and turns its outputs into labels. */
async function predictBatch(
  model: ExportedModel,
  heads: Heads,
  batch: readonly Cropped[],
  flipTest: boolean,
  buffers: CropBuffers,
): Promise<PredictedFace[]> {
  const n = batch.length;
  const crops = batch.map((c) => c.pixels);
  const output = flipTest
    ? await predictInput(model, buffers.batch(crops, crops), 2 * n)
    : await predictInput(model, buffers.firstSlots(n), n);
  return labelsOf(heads, batch, output, flipTest);
}

/** One graph run on `count` crops laid out in `pixels` (`[count, S, S, 3]`, crop-batch.ts). */
async function predictInput(
  model: ExportedModel,
  pixels: Float32Array,
  count: number,
): Promise<ExportedPrediction> {
  if (model.predictPixels) return model.predictPixels(pixels, count);
  const size = model.inputSize;
  const input = tf.tensor4d(pixels, [count, size, size, 3]);
  try {
    return await model.predict(input);
  } finally {
    input.dispose();
  }
}

/** The labels of each face of `batch` from the graph's outputs on it (and its mirrors). */
function labelsOf(
  heads: Heads,
  batch: readonly Cropped[],
  output: ExportedPrediction,
  flipTest: boolean,
): PredictedFace[] {
  const n = batch.length;
  const landmarks = landmarksOf(heads, output.landmarks, n, flipTest);
  const attributes = halfMean(output.probabilities, flipTest);
  const k = heads.pointNames?.length ?? 0;
  return batch.map((c, face) => {
    const labels: PredictedLabels = { points: [], attributes: {}, expression: null };
    const scores: RawScores = {};
    if (landmarks) {
      for (let i = 0; i < k; i++) {
        const at = face * k + i;
        const { x, y } = fromCropPoint(
          landmarks.points[2 * at]!,
          landmarks.points[2 * at + 1]!,
          c.crop,
        );
        labels.points.push({
          x,
          y,
          v: 2,
          source: 'model',
          confirmed: false,
          uncertainty: landmarks.uncertainty ? landmarks.uncertainty[at]! : 0,
        });
      }
    }
    if (heads.attributes && attributes) {
      const a = heads.attributes.length;
      const width = a + heads.groups.reduce((s, g) => s + g.classes.length, 0);
      scores.attributes = {};
      heads.attributes.forEach((name, i) => {
        const p = attributes[face * width + i]!;
        scores.attributes![name] = p;
        labels.attributes[name] = p >= 0.5;
      });
      if (heads.groups.length > 0) {
        const answers = groupAnswers(heads.groups, attributes, face * width + a);
        scores.classes = answers.scores;
        labels.classes = answers.classes;
      }
    }
    if (heads.classes && attributes) {
      const classes = heads.classes;
      const row = Array.from(
        attributes.subarray(face * classes.length, (face + 1) * classes.length),
      );
      scores.expression = Object.fromEntries(classes.map((name, i) => [name, row[i]!]));
      labels.expression = classes[row.indexOf(Math.max(...row))]!;
    }
    if (output.features) {
      const dim = output.features.length / (flipTest ? 2 * n : n);
      scores.features = Array.from(output.features.subarray(face * dim, (face + 1) * dim));
    }
    const box = c.box ?? (labels.points.length > 0 ? boxOfPoints(labels.points) : undefined);
    if (box) labels.box = box;
    const { box: _box, pixels: _pixels, cutter: _cutter, ...inImage } = c;
    return { ...inImage, labels, scores };
  });
}

function landmarksOf(
  heads: Heads,
  values: Float32Array | undefined,
  n: number,
  flipTest: boolean,
): { points: Float32Array; uncertainty: Float32Array | null } | null {
  if (!heads.flip) return null;
  const width = heads.flip.length * 2;
  const expected = (flipTest ? 2 : 1) * n * width;
  if (!values || values.length !== expected)
    throw new StudioError(
      'internal',
      `The model returned ${values?.length ?? 0} landmark values for ${n} faces; expected ${expected}`,
    );
  if (!flipTest)
    return {
      points: values,
      uncertainty: heads.sigma
        ? calibratedSigma(heads.sigma, new Float32Array(values.length / 2))
        : null,
    };
  const combined = combineFlipped(
    values.subarray(0, n * width),
    values.subarray(n * width),
    heads.flip,
  );
  if (!heads.sigma) return combined;
  return {
    points: combined.points,
    uncertainty: calibratedSigma(heads.sigma, combined.uncertainty),
  };
}

/**
 * σ per point, `[n·K]` crop units, from the card's calibration and each point's flip disagreement
 * `d` (`[n·K]`): √(a·s_j² + c·d²). Without the mirrored pass d is 0 and σ the point's typical error.
 */
export function calibratedSigma(
  calibration: NonNullable<CardHead['uncertainty']>,
  d: Float32Array,
): Float32Array {
  const { a, c, pointError } = calibration;
  const k = pointError.length;
  return d.map((dist, i) => Math.sqrt(a * pointError[i % k]! ** 2 + c * dist * dist));
}

/** Class probabilities per face: with the mirrored pass, the mean of both halves. */
function halfMean(values: Float32Array | undefined, flipTest: boolean): Float32Array | null {
  if (!values) return null;
  if (!flipTest) return values;
  const half = values.length / 2;
  return Float32Array.from({ length: half }, (_, i) => (values[i]! + values[half + i]!) / 2);
}

/**
 * The one-of-N groups of one face, read from its row of the attributes output from `at`: each
 * group's class probabilities and its most probable class.
 */
function groupAnswers(
  groups: readonly CardClassGroup[],
  row: Float32Array,
  at: number,
): { scores: Record<string, Record<string, number>>; classes: Record<string, string> } {
  const scores: Record<string, Record<string, number>> = {};
  const classes: Record<string, string> = {};
  let from = at;
  for (const group of groups) {
    const p = group.classes.map((_, i) => row[from + i]!);
    scores[group.name] = Object.fromEntries(group.classes.map((c, i) => [c, p[i]!]));
    classes[group.name] = group.classes[p.indexOf(Math.max(...p))]!;
    from += group.classes.length;
  }
  return { scores, classes };
}
