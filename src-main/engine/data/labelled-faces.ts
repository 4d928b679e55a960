/**
 * A project's labelled faces as fine-tuning data (FinetuneData): each face is cut out by the one
 * crop policy (face-crop.ts, the same one prediction uses) at the backbone's input size, lazily,
 * the first time a batch asks for it, and kept (as bytes) for later epochs. Landmarks move into
 * the crop's 0..1 coordinates; attributes and expressions are passed through.
 *
 * Splits: train from the train split; validation from the val split, or, when the project has no
 * labelled val faces, a seeded `valFraction` of train held out here (so the job knows which faces
 * they are and can show a few) — by subject when faces name one, so no person is on both sides;
 * the test split is kept apart for the final metrics.
 *
 * The engine opens no project: the app (app/training/finetune-faces.ts) picks the faces.
 */
import * as tf from '@tensorflow/tfjs';
import type { Box, FaceDetection, PlacedPoint } from '../../shared/domain';
import type { CardClassGroup, CropPolicy } from '../../shared/model-card';
import type { LandmarkSchema } from '../../shared/schemas';
import { StudioError } from '../../shared/errors';
import type { FinetuneData, FinetuneSplit } from '../finetune/finetune-data';
import { deriveSeed, Rng } from '../model/rng';
import { boundsOf } from '../../shared/geometry';
import { cropFaceBytes, faceCropBox, toCrop } from './face-crop';

/** One labelled face of one image. */
export interface LabelledFace {
  imageId: string;
  /** Absolute path of the image file. */
  file: string;
  /** The image's size as recorded at import (the labels' pixels). */
  width: number;
  height: number;
  split: 'train' | 'val' | 'test';
  /** The person shown, when the project knows (e.g. CK+'s `S005`): held out as a whole. */
  subject?: string;
  /** Curation's face record, if any: the crop is cut around its box. */
  detection: FaceDetection | null;
  /** Labelled points in image px (schema order); the crop's fallback and the landmark labels. */
  points: PlacedPoint[];
  /**
   * Attributes: 1, 0 or NaN (not labelled) per yes/no attribute of the set, then per one-of-N
   * group its class index or NaN; expression: one class index; landmarks: unused (the labels
   * come from `points`).
   */
  label: number[];
}

/** What the faces are labelled for, with the names of the model's outputs. */
export type FaceTask =
  | { task: 'landmarks'; schema: LandmarkSchema }
  | {
      task: 'attributes';
      attributes: string[];
      /** The set's one-of-N attributes (MTFL pose); their labels follow the yes/no ones. */
      groups?: CardClassGroup[];
    }
  | { task: 'expression'; classes: string[] };

export type LabelledFaceSet = FaceTask & {
  /** The project's name, for the model card's "test split of project …". */
  project: string | null;
  faces: LabelledFace[];
  /** Faces left out, counted by reason (e.g. `partly labelled`, `points not confirmed`). */
  skipped: Record<string, number>;
};

/** How a project's faces are read for a run (the run's config decides). */
export interface FaceSetOptions {
  /** Points a model or template placed that no person confirmed count as labels too. */
  includeUnconfirmed: boolean;
}

/** One split's faces in split order, with the square each is cut from. */
export interface SplitFaces {
  faces: LabelledFace[];
  boxes: Box[];
}

export interface LabelledFacesData {
  /** train and val (never empty val: none when too few faces to hold any out). */
  data: FinetuneData;
  test: FinetuneSplit | null;
  /** The faces behind each split, by index, so predictions can be traced back to images. */
  faces: { train: SplitFaces; val: SplitFaces; test: SplitFaces };
  /** Where validation faces came from. */
  valSource: 'val split' | 'held out of train' | 'none';
  policy: CropPolicy;
}

export interface LabelledFacesOptions {
  /** Side of the crops, px: the backbone's input size. */
  imageSize: number;
  policy: CropPolicy;
  /** Fraction of train held out when the project has no val faces (finetune's valFraction). */
  valFraction: number;
  seed: number;
  /** Most bytes of crops kept in memory; past it, crops are cut again each time. 1 GiB. */
  cacheBytes?: number;
}

/** At least this many faces with both a detection and points before the ratio is measured. */
const MIN_FACES_TO_MEASURE = 5;

/**
 * `policy` with `landmarksToFaceBox` measured on the faces that have both a detection and every
 * point labelled: the median of detection side ÷ points side. The ratio depends on the schema (5
 * points span far less of a face than 68), and it is what makes a face cropped from its points
 * look like one cropped from a detection, as at prediction time. Too few such faces: unchanged.
 */
export function measuredCropPolicy(
  faces: readonly Pick<LabelledFace, 'detection' | 'points'>[],
  policy: CropPolicy,
): CropPolicy {
  const ratios: number[] = [];
  for (const face of faces) {
    if (!face.detection || face.points.length === 0 || face.points.some((p) => p.v === 0)) continue;
    const points = boundsOf(face.points);
    if (!points) continue;
    const side = Math.max(points.width, points.height);
    const detected = Math.max(face.detection.box.width, face.detection.box.height);
    if (side > 0 && detected > 0 && insideBox(face.points, face.detection.box))
      ratios.push(detected / side);
  }
  if (ratios.length < MIN_FACES_TO_MEASURE) return policy;
  ratios.sort((a, b) => a - b);
  const mid = ratios.length / 2;
  const median =
    ratios.length % 2 ? ratios[Math.floor(mid)]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return { ...policy, landmarksToFaceBox: Number(median.toFixed(4)) };
}

/** Whether the points' centre lies in `box` (the detection is of this face, not another). */
function insideBox(points: readonly PlacedPoint[], box: Box): boolean {
  const b = boundsOf(points);
  if (!b) return false;
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  return cx >= box.x && cx <= box.x + box.width && cy >= box.y && cy <= box.y + box.height;
}

/**
 * The square a face is cut from: the crop policy's, except that a detection whose box does not
 * hold the labelled points' centre (the detector found another face of a group photo) gives way
 * to the points, which a person placed.
 */
export function labelledFaceCropBox(face: LabelledFace, policy: CropPolicy): Box {
  const placed = face.points.filter((p) => p.v > 0);
  const detection =
    face.detection && (placed.length === 0 || insideBox(placed, face.detection.box))
      ? face.detection
      : null;
  return faceCropBox(face, { detection, points: placed }, policy);
}

/** Crops of faces by index, cut on first use and kept within a byte budget. */
class CropCache {
  private readonly crops = new Map<number, Uint8Array>();
  private bytes = 0;

  constructor(
    private readonly faces: readonly LabelledFace[],
    private readonly boxes: readonly Box[],
    private readonly size: number,
    private readonly budget: number,
  ) {}

  async crop(index: number): Promise<Uint8Array> {
    const kept = this.crops.get(index);
    if (kept) return kept;
    const face = this.faces[index];
    if (!face) throw new StudioError('not-found', `Face index ${index} is out of range`);
    const [crop] = await cropFaceBytes(face.file, [this.boxes[index]!], this.size);
    if (this.bytes + crop!.length <= this.budget) {
      this.crops.set(index, crop!);
      this.bytes += crop!.length;
    }
    return crop!;
  }

  async batch(indices: readonly number[]): Promise<tf.Tensor4D> {
    const perFace = this.size * this.size * 3;
    const pixels = new Float32Array(indices.length * perFace);
    await Promise.all(
      indices.map(async (index, row) => {
        const crop = await this.crop(index);
        for (let i = 0; i < perFace; i++) pixels[row * perFace + i] = crop[i]! / 255;
      }),
    );
    return tf.tensor4d(pixels, [indices.length, this.size, this.size, 3]);
  }
}

function labelsOf(set: FaceTask, faces: readonly LabelledFace[], boxes: readonly Box[]) {
  if (set.task === 'landmarks') {
    const k = set.schema.points.length;
    const out = new Float32Array(faces.length * k * 2);
    faces.forEach((face, i) => {
      if (face.points.length !== k)
        throw new StudioError(
          'invalid-payload',
          `Face of image ${face.imageId} has ${face.points.length} points; the schema has ${k}`,
        );
      toCrop(face.points, boxes[i]!).forEach((p, j) => out.set([p.x, p.y], (i * k + j) * 2));
    });
    return out;
  }
  if (set.task === 'attributes') {
    const a = set.attributes.length;
    const out = new Float32Array(faces.length * a);
    faces.forEach((face, i) => out.set(face.label.slice(0, a), i * a));
    return out;
  }
  return Int32Array.from(faces.map((face) => face.label[0]!));
}

/**
 * A seeded `fraction` of `faces` held out for validation (as finetune-data.ts's trainValSplits,
 * but here, so the job knows the faces). Faces that name a subject go by subject: whole people
 * are drawn until at least the fraction's count of faces is held out, never every person; faces
 * without a subject are each their own group. No subject anywhere: exactly the fraction's count.
 */
export function holdOut(
  faces: readonly LabelledFace[],
  fraction: number,
  seed: number,
): { train: LabelledFace[]; val: LabelledFace[] } {
  const wanted = Math.round(faces.length * fraction);
  if (wanted === 0) return { train: [...faces], val: [] };
  const groups = new Map<string, number[]>();
  faces.forEach((face, i) => {
    const key = face.subject !== undefined ? `s:${face.subject}` : `i:${i}`;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const list = [...groups.values()];
  const order = new Rng(deriveSeed(seed, 0x5e7)).permutation(list.length);
  const val: LabelledFace[] = [];
  const train: LabelledFace[] = [];
  for (const g of order) {
    const group = list[g]!.map((i) => faces[i]!);
    // Enough held out, or this group would leave nothing to train on: it trains.
    if (val.length >= wanted || val.length + group.length >= faces.length) train.push(...group);
    else val.push(...group);
  }
  return { train, val };
}

/** Splits the faces, holds out validation faces when needed, and serves lazy crops. */
export function labelledFacesData(
  set: LabelledFaceSet,
  options: LabelledFacesOptions,
): LabelledFacesData {
  const policy = options.policy;
  let train = set.faces.filter((f) => f.split === 'train');
  let val = set.faces.filter((f) => f.split === 'val');
  const test = set.faces.filter((f) => f.split === 'test');
  if (train.length === 0) {
    const others = set.faces.length;
    throw new StudioError(
      'not-found',
      `The project has no labelled ${set.task} faces in its train split` +
        (others > 0 ? ` (${others} in val and test)` : '') +
        '; assign labelled images to the train split first',
    );
  }
  let valSource: LabelledFacesData['valSource'] = val.length > 0 ? 'val split' : 'none';
  if (val.length === 0) {
    const held = holdOut(train, options.valFraction, options.seed);
    if (held.val.length > 0) {
      ({ train, val } = held);
      valSource = 'held out of train';
    }
  }
  const budget = options.cacheBytes ?? 2 ** 30;
  const splitOf = (faces: LabelledFace[]): { faces: SplitFaces; split: FinetuneSplit } => {
    const boxes = faces.map((face) => labelledFaceCropBox(face, policy));
    const cache = new CropCache(faces, boxes, options.imageSize, budget);
    return {
      faces: { faces, boxes },
      split: {
        size: faces.length,
        labels: labelsOf(set, faces, boxes),
        images: (indices) => cache.batch(indices),
      },
    };
  };
  const t = splitOf(train);
  const v = splitOf(val);
  const s = splitOf(test);
  const splits = { train: t.split, ...(val.length > 0 ? { val: v.split } : {}) };
  const data: FinetuneData =
    set.task === 'landmarks'
      ? { task: 'landmarks', schema: set.schema, ...splits }
      : set.task === 'attributes'
        ? { task: 'attributes', attributes: set.attributes.length, ...splits }
        : { task: 'expression', classes: set.classes.length, ...splits };
  return {
    data,
    test: test.length > 0 ? s.split : null,
    faces: { train: t.faces, val: v.faces, test: s.faces },
    valSource,
    policy,
  };
}
