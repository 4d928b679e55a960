/**
 * The attribute and expression head on frozen face backbones (docs/ARCHITECTURE.md, "Backbones and
 * tasks"): a project's labelled faces (engine/data/labelled-faces.ts's `LabelledFace.label`) →
 * ridge classifiers on backbone taps → a class per face with calibrated probabilities, or a note
 * saying why a face gets none.
 *
 * - Features: the taps named (`HeadTap`, e.g. the face-api age-gender net's `pooled` and
 *   `gender` beside mini-Xception's `pooled`), side by side per face. Every tap is a backbone
 *   output or a fixed pooling of one, and the head is affine in them (standardise, then the
 *   ridge), so an exported graph computes the same scores.
 * - Attributes (yes / no each): one ridge classifier per attribute, fitted on the faces where
 *   that attribute is labelled (1 or 0; NaN faces are left out of that attribute's fit only).
 *   An attribute labelled one way on every face has no classifier: its answer is that value,
 *   with probability the smoothed rate (N + 1)/(N + 2). Probabilities: Platt scaling of the
 *   margin (score-calibration.ts).
 * - Expression (one class of K): one ridge classifier; probabilities: a temperature softmax.
 * - λ and the calibration use the training rows only: λ by k-fold cross-validation (by group when
 *   groups are known, e.g. CK+ subjects, so one person is never on both sides), and the
 *   calibration on each row's held-out score at that λ.
 * - A face too small or too blurred for the backbones (face-quality.ts) gets that note instead of
 *   a guess (`predictClassifierHead`).
 */
import { StudioError } from '../../shared/errors';
import type { FaceBackbone } from '../backbones/face-backbone';
import { embedFaces, type FaceInput } from './appearance-features';
import { DEFAULT_QUALITY_LIMITS, type FaceQuality, type QualityLimits } from './face-quality';
import {
  concatFeatures,
  fitRidgeWithHeldOutScores,
  ridgeScores,
  selectRows,
  type FeatureRows,
  type RidgeClassifier,
} from './ridge-classifier';
import { ridgeClassifierAffine } from './classifier-affine';
import {
  fitPlatt,
  fitSoftmaxTemperature,
  plattProbability,
  softmaxProbabilities,
  type PlattScaling,
  type SoftmaxCalibration,
} from './score-calibration';

/** One feature tap of one backbone the head reads. */
export interface HeadTap {
  backbone: string;
  tap: string;
}

/** What the head predicts, with the names of its outputs. */
export type ClassifierTask =
  { task: 'attributes'; attributes: string[] } | { task: 'expression'; classes: string[] };

/** One yes/no attribute's classifier and how it was fitted. */
export interface AttributeModel {
  name: string;
  /** Faces with this attribute labelled (1 or 0): the rows it was fitted on. */
  faces: number;
  /** Of them, labelled yes. */
  positives: number;
  /** Null when every labelled face has the same value (nothing to separate). */
  model: RidgeClassifier | null;
  /** Margin → P(yes); null with `model`. */
  platt: PlattScaling | null;
  /** Share of the more frequent value among the labelled faces: the majority-class baseline. */
  majorityRate: number;
}

export type ClassifierHead =
  | {
      task: 'attributes';
      taps: HeadTap[];
      dim: number;
      attributes: AttributeModel[];
    }
  | {
      task: 'expression';
      taps: HeadTap[];
      dim: number;
      classes: string[];
      model: RidgeClassifier;
      calibration: SoftmaxCalibration;
      faces: number;
      majorityRate: number;
    };

export interface ClassifierFitOptions {
  /** Group of each face (e.g. the subject): a group is never split by the cross-validation. */
  groups?: readonly string[];
  seed?: number;
  /** λ grid (ridge-classifier.ts's LAMBDAS by default). */
  lambdas?: readonly number[];
}

/**
 * Fits the head for `task` on `x` (one row per face, the `taps` side by side) and `labels` (per
 * face: attributes 1 / 0 / NaN each; expression one class index).
 */
export async function fitClassifierHead(
  task: ClassifierTask,
  taps: readonly HeadTap[],
  x: FeatureRows,
  labels: readonly (readonly number[])[],
  options: ClassifierFitOptions = {},
): Promise<ClassifierHead> {
  if (labels.length !== x.rows)
    throw new StudioError(
      'invalid-payload',
      `${x.rows} faces of features but ${labels.length} label rows`,
    );
  if (task.task === 'expression') {
    const classes = task.classes.length;
    const y = Int32Array.from(labels, (l, i) => {
      const v = l[0];
      if (l.length !== 1 || v === undefined || !Number.isInteger(v) || v < 0 || v >= classes)
        throw new StudioError(
          'invalid-payload',
          `Face ${i}: an expression label is one class index 0…${classes - 1}, got [${l.join(', ')}]`,
        );
      return v;
    });
    if (classes < 2)
      throw new StudioError('invalid-payload', 'An expression head needs at least 2 classes');
    const fit = await fitRidgeWithHeldOutScores(x, y, classes, fitOptions(options, options.groups));
    return {
      task: 'expression',
      taps: [...taps],
      dim: x.dim,
      classes: [...task.classes],
      model: fit.model,
      calibration: fitSoftmaxTemperature(fit.heldOutScores, y, classes),
      faces: x.rows,
      majorityRate: majorityRate(y, classes),
    };
  }
  // One attribute after another: each fit reads its tensors before the next starts.
  const attributes: AttributeModel[] = [];
  for (const [a, name] of task.attributes.entries()) {
    const rows: number[] = [];
    labels.forEach((l, i) => {
      const v = l[a];
      if (l.length !== task.attributes.length)
        throw new StudioError(
          'invalid-payload',
          `Face ${i}: ${l.length} attribute values for ${task.attributes.length} attributes`,
        );
      if (v === 1 || v === 0) rows.push(i);
      else if (!Number.isNaN(v))
        throw new StudioError(
          'invalid-payload',
          `Face ${i}: attribute "${name}" is ${v}; it must be 1, 0 or NaN (not labelled)`,
        );
    });
    const y = Int32Array.from(rows, (i) => labels[i]![a]!);
    const positives = y.reduce((s, v) => s + v, 0);
    const base = {
      name,
      faces: rows.length,
      positives,
      majorityRate: rows.length ? Math.max(positives, rows.length - positives) / rows.length : 0,
    };
    if (positives === 0 || positives === rows.length) {
      attributes.push({ ...base, model: null, platt: null });
      continue;
    }
    const groups = options.groups ? rows.map((i) => options.groups![i]!) : undefined;
    const fit = await fitRidgeWithHeldOutScores(
      selectRows(x, rows),
      y,
      2,
      fitOptions(options, groups),
    );
    const margins = Float64Array.from(
      y,
      (_, i) => fit.heldOutScores[2 * i + 1]! - fit.heldOutScores[2 * i]!,
    );
    attributes.push({ ...base, model: fit.model, platt: fitPlatt(margins, y) });
  }
  return { task: 'attributes', taps: [...taps], dim: x.dim, attributes };
}

/** The ridge fit's options from the head's, with `groups` for the rows being fitted. */
export function fitOptions(options: ClassifierFitOptions, groups: readonly string[] | undefined) {
  return {
    ...(groups ? { groups } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.lambdas ? { lambdas: options.lambdas } : {}),
  };
}

function majorityRate(y: Int32Array, classes: number): number {
  const counts = new Float64Array(classes);
  for (const v of y) counts[v]! += 1;
  return Math.max(...counts) / y.length;
}

/** One attribute's answer for a face. */
export interface AttributeAnswer {
  name: string;
  /** 1 yes, 0 no. */
  value: 0 | 1;
  /** Calibrated P(yes). */
  probability: number;
  /** True when the attribute was labelled one way on every training face (no classifier). */
  constant: boolean;
}

/** The head's answer for one face, or the note saying why there is none. */
export type ClassifierPrediction =
  | { ok: true; task: 'attributes'; attributes: AttributeAnswer[] }
  | {
      ok: true;
      task: 'expression';
      /** Class index and name. */
      label: number;
      name: string;
      /** Calibrated probability of each class, in `classes` order. */
      probabilities: Float64Array;
    }
  | { ok: false; reason: 'too-small' | 'too-blurred'; message: string };

/**
 * The head's answer for each face of `x`; a face whose quality note says it is unusable gets
 * the note instead (`quality[i]`, one per face).
 */
export function predictClassifierHead(
  head: ClassifierHead,
  x: FeatureRows,
  quality: readonly FaceQuality[],
): ClassifierPrediction[] {
  if (quality.length !== x.rows)
    throw new StudioError('invalid-payload', `${x.rows} faces but ${quality.length} quality notes`);
  const p = headProbabilities(head, x);
  if (head.task === 'expression') {
    const k = head.classes.length;
    return quality.map((q, i): ClassifierPrediction => {
      if (!q.usable) return { ok: false, reason: q.reason, message: q.message };
      const probabilities = p.slice(i * k, (i + 1) * k);
      let label = 0;
      for (let c = 1; c < k; c++) if (probabilities[c]! > probabilities[label]!) label = c;
      return { ok: true, task: 'expression', label, name: head.classes[label]!, probabilities };
    });
  }
  const a = head.attributes.length;
  return quality.map((q, i): ClassifierPrediction => {
    if (!q.usable) return { ok: false, reason: q.reason, message: q.message };
    return {
      ok: true,
      task: 'attributes',
      attributes: head.attributes.map((attr, j) => {
        const probability = p[i * a + j]!;
        return {
          name: attr.name,
          value: probability >= 0.5 ? 1 : 0,
          probability,
          constant: !attr.model,
        };
      }),
    };
  });
}

/**
 * The head's calibrated probabilities for every face of `x`, `[rows × outputs]`: attributes
 * P(yes) per attribute (Platt on the margin; a constant attribute its smoothed rate),
 * expression one per class (temperature softmax). The one mapping from scores to probabilities:
 * `predictClassifierHead` reads it, the class-head job measures with it, and an exported graph
 * writes the same map as ops (export/calibration-graph.ts).
 */
export function headProbabilities(head: ClassifierHead, x: FeatureRows): Float64Array {
  if (x.dim !== head.dim)
    throw new StudioError(
      'invalid-payload',
      `Features have ${x.dim} values per face; this head reads ${head.dim} (${head.taps.map((t) => `${t.backbone}/${t.tap}`).join(', ')})`,
    );
  if (head.task === 'expression') {
    const scores = ridgeScores(head.model, x);
    const k = head.classes.length;
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < x.rows; i++)
      out.set(softmaxProbabilities(head.calibration, scores.subarray(i * k, (i + 1) * k)), i * k);
    return out;
  }
  const a = head.attributes.length;
  const out = new Float64Array(x.rows * a);
  head.attributes.forEach((attr, j) => {
    if (!attr.model || !attr.platt) {
      const p = constantProbability(attr);
      for (let i = 0; i < x.rows; i++) out[i * a + j] = p;
      return;
    }
    const scores = ridgeScores(attr.model, x);
    for (let i = 0; i < x.rows; i++)
      out[i * a + j] = plattProbability(attr.platt, scores[2 * i + 1]! - scores[2 * i]!);
  });
  return out;
}

/** P(yes) of an attribute labelled one way on every training face: (N + 1)/(N + 2) or 1/(N + 2). */
function constantProbability(attr: AttributeModel): number {
  return attr.positives === 0 ? 1 / (attr.faces + 2) : (attr.faces + 1) / (attr.faces + 2);
}

/** Features for a head: the taps side by side per face, and each face's quality note. */
export interface HeadFeatures {
  features: FeatureRows;
  quality: FaceQuality[];
}

export interface EmbedHeadOptions {
  batchSize?: number;
  limits?: QualityLimits;
}

/**
 * The `taps` of `backbones` (looked up by id) for each face, cut from the face's one box, side
 * by side in `taps` order; the quality note is judged on the first backbone's crop.
 */
export async function embedHeadFaces(
  backbones: readonly FaceBackbone[],
  taps: readonly HeadTap[],
  faces: readonly FaceInput[],
  options: EmbedHeadOptions = {},
): Promise<HeadFeatures> {
  if (taps.length === 0) throw new StudioError('invalid-payload', 'A head needs at least one tap');
  const order = [...new Set(taps.map((t) => t.backbone))];
  const blocks = new Map<string, FeatureRows>();
  let quality: FaceQuality[] | null = null;
  for (const id of order) {
    const backbone = backbones.find((b) => b.id === id);
    if (!backbone)
      throw new StudioError(
        'invalid-payload',
        `The head reads backbone "${id}", which is not loaded (loaded: ${backbones.map((b) => b.id).join(', ') || 'none'})`,
      );
    const names = taps.filter((t) => t.backbone === id).map((t) => t.tap);
    const embedded = await embedFaces(backbone, faces, names, {
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      limits: options.limits ?? DEFAULT_QUALITY_LIMITS,
    });
    quality ??= embedded.quality;
    // Split the backbone's block back into its taps, to join all taps in `taps` order.
    let at = 0;
    for (const name of names) {
      const size = backbone.taps.find((t) => t.name === name)!.shape.reduce((s, v) => s * v, 1);
      const data = new Float32Array(faces.length * size);
      for (let r = 0; r < faces.length; r++)
        data.set(
          embedded.features.data.subarray(
            r * embedded.features.dim + at,
            r * embedded.features.dim + at + size,
          ),
          r * size,
        );
      blocks.set(`${id}/${name}`, { rows: faces.length, dim: size, data });
      at += size;
    }
  }
  return {
    features: concatFeatures(...taps.map((t) => blocks.get(`${t.backbone}/${t.tap}`)!)),
    quality: quality!,
  };
}

/**
 * The head as one affine map on the raw (unstandardised) features plus its output calibration,
 * for an exported graph: `scores = x · weights + bias` (`weights` `[dim, outputs]`), then
 * - attributes: one output per attribute, the margin `score₁ − score₀` (an attribute without a
 *   classifier: zero weights, bias its prior's log-odds), `P(yes) = σ(a·margin + b)` with this
 *   attribute's `platt` (a constant attribute: a 1, b 0);
 * - expression: one output per class, `P = softmax(temperature · scores)`.
 * The result's `mean` is 0 and `scale` 1, so it is a `RidgeClassifier` that `ridgeScores` reads
 * as it is.
 */
export interface AffineHead {
  model: RidgeClassifier;
  calibration:
    { kind: 'platt'; a: Float64Array; b: Float64Array } | { kind: 'softmax'; temperature: number };
}

/** `head` as one affine map and its calibration (see AffineHead). */
export function classifierHeadAffine(head: ClassifierHead): AffineHead {
  const dim = head.dim;
  if (head.task === 'expression') {
    const { weights, bias } = ridgeClassifierAffine(head.model);
    return {
      model: {
        ...head.model,
        mean: new Float64Array(dim),
        scale: new Float64Array(dim).fill(1),
        weights,
        bias,
      },
      calibration: { kind: 'softmax', temperature: head.calibration.temperature },
    };
  }
  const k = head.attributes.length;
  const weights = new Float64Array(dim * k);
  const bias = new Float64Array(k);
  const a = new Float64Array(k);
  const b = new Float64Array(k);
  head.attributes.forEach((attr, c) => {
    if (!attr.model || !attr.platt) {
      const p = constantProbability(attr);
      bias[c] = Math.log(p / (1 - p));
      a[c] = 1;
      return;
    }
    // The margin score₁ − score₀ of the two-class classifier, standardisation folded in.
    const full = ridgeClassifierAffine(attr.model);
    for (let j = 0; j < dim; j++)
      weights[j * k + c] = full.weights[j * 2 + 1]! - full.weights[j * 2]!;
    bias[c] = full.bias[1]! - full.bias[0]!;
    a[c] = attr.platt.a;
    b[c] = attr.platt.b;
  });
  return {
    model: {
      classes: k,
      dim,
      lambda: NaN,
      cvAccuracy: NaN,
      mean: new Float64Array(dim),
      scale: new Float64Array(dim).fill(1),
      weights,
      bias,
    },
    calibration: { kind: 'platt', a, b },
  };
}
