/**
 * One-of-N attributes beside the yes/no ones (docs/ARCHITECTURE.md, "Backbones and tasks"): an
 * attribute set's `kind: 'class'` attributes — MTFL's head pose, five classes from left profile to
 * right profile — each a group of classes of which a face has one.
 *
 * - Fit: per group one multi-class ridge classifier (ridge-classifier.ts) on the training faces
 *   labelled for it (a face without that group's label is left out of that group only), λ by
 *   k-fold cross-validation (by group of faces when known); its scores mapped to probabilities by
 *   a softmax with one temperature fitted on the rows' held-out scores (score-calibration.ts), so
 *   the group's probabilities sum to 1 and the class is the ridge's argmax.
 * - Features: every tap the model embeds (appearance and geometry side by side), or the point
 *   taps alone (FaceMesh's `mesh`: 468 points), whichever scores the higher cross-validated
 *   accuracy on the training rows — never the test rows. Pose reads geometry best (research/
 *   APPEARANCE_NOTES.md: FaceMesh points 73.5% against appearance 66% on MTFL); the yes/no heads
 *   beside them read appearance only (head-tap-selection.ts).
 * - A group labelled with one class only (or on fewer than 2 faces) has no classifier: its
 *   answer is the smoothed class rates (n_c + 1)/(N + C), for every face.
 * - Export: each group is one affine map on the raw features with the temperature folded in,
 *   then a softmax (`classGroupAffine`; export/class-group-graph.ts writes it).
 */
import { StudioError } from '../../shared/errors';
import type { CardClassGroup } from '../../shared/model-card';
import {
  fitRidgeWithHeldOutScores,
  ridgeScores,
  selectRows,
  type FeatureRows,
  type RidgeClassifier,
} from './ridge-classifier';
import { ridgeClassifierAffine } from './classifier-affine';
import { fitOptions, type ClassifierFitOptions } from './classifier-head';
import { fitSoftmaxTemperature, softmaxProbabilities } from './score-calibration';

/** Which features a group's classifier reads: every tap, or the point taps alone. */
export type GroupFeatures = 'all' | 'points';

/** One one-of-N group's classifier and how it was chosen. */
export interface ClassGroupHead {
  name: string;
  classes: string[];
  /** Training faces labelled for this group: the rows it was fitted on. */
  faces: number;
  /** Of them, per class. */
  counts: number[];
  /** Share of the most frequent class among them: the majority-class baseline. */
  majorityRate: number;
  features: GroupFeatures;
  /** Cross-validated accuracy on the training rows of each candidate (null: not tried). */
  cvAccuracy: Record<GroupFeatures, number | null>;
  /** The columns of the head's features it reads, ascending (null: all of them). */
  columns: number[] | null;
  /** Null when fewer than 2 classes are labelled (see the module comment). */
  model: RidgeClassifier | null;
  /** `p = softmax(temperature · scores)`; 1 without a model. */
  temperature: number;
}

/** The classifier head's options (`groups`: each face's subject), and which features to fit on. */
export interface ClassGroupFitOptions extends ClassifierFitOptions {
  /** Fit on these features without trying the other (default: the better by cross-validation). */
  only?: GroupFeatures;
}

/** The columns of `x`'s point taps: `tapSizes` and `isPoints` per tap, in feature order. */
export function pointColumns(
  tapSizes: readonly number[],
  isPoints: readonly boolean[],
): number[] | null {
  const columns: number[] = [];
  let at = 0;
  tapSizes.forEach((size, i) => {
    if (isPoints[i]) for (let j = 0; j < size; j++) columns.push(at + j);
    at += size;
  });
  return columns.length > 0 ? columns : null;
}

/** The columns `columns` of every row of `x`. */
export function selectColumns(x: FeatureRows, columns: readonly number[]): FeatureRows {
  const dim = columns.length;
  const data = new Float32Array(x.rows * dim);
  for (let r = 0; r < x.rows; r++)
    for (let j = 0; j < dim; j++) data[r * dim + j] = x.data[r * x.dim + columns[j]!]!;
  return { rows: x.rows, dim, data };
}

/**
 * Fits every group of `groups` on `x` (one row per face, the head's taps side by side) and
 * `labels` (per face, per group: a class index or NaN when not labelled). `points`: the columns of
 * the point taps (pointColumns), or null when no backbone offers one.
 */
export async function fitClassGroups(
  groups: readonly CardClassGroup[],
  x: FeatureRows,
  labels: readonly (readonly number[])[],
  points: readonly number[] | null,
  options: ClassGroupFitOptions = {},
): Promise<ClassGroupHead[]> {
  if (labels.length !== x.rows)
    throw new StudioError(
      'invalid-payload',
      `${x.rows} faces of features but ${labels.length} rows of group labels`,
    );
  // One group after another: each fit reads its tensors before the next starts.
  const heads: ClassGroupHead[] = [];
  for (const [g, group] of groups.entries()) {
    const k = group.classes.length;
    const rows: number[] = [];
    labels.forEach((l, i) => {
      if (l.length !== groups.length)
        throw new StudioError(
          'invalid-payload',
          `Face ${i}: ${l.length} group labels for ${groups.length} one-of-N attributes`,
        );
      const v = l[g]!;
      if (Number.isNaN(v)) return;
      if (!Number.isInteger(v) || v < 0 || v >= k)
        throw new StudioError(
          'invalid-payload',
          `Face ${i}: "${group.name}" is ${v}; it must be a class index 0…${k - 1} or NaN (not labelled)`,
        );
      rows.push(i);
    });
    const y = Int32Array.from(rows, (i) => labels[i]![g]!);
    const counts = new Array<number>(k).fill(0);
    for (const v of y) counts[v]!++;
    const base = {
      name: group.name,
      classes: [...group.classes],
      faces: rows.length,
      counts,
      majorityRate: rows.length ? Math.max(...counts) / rows.length : 0,
    };
    if (counts.filter((c) => c > 0).length < 2) {
      heads.push({
        ...base,
        features: 'all',
        cvAccuracy: { all: null, points: null },
        columns: null,
        model: null,
        temperature: 1,
      });
      continue;
    }
    const fitOn = (features: FeatureRows) =>
      fitRidgeWithHeldOutScores(
        features,
        y,
        k,
        fitOptions(options, options.groups && rows.map((i) => options.groups![i]!)),
      );
    const labelled = selectRows(x, rows);
    if (options.only === 'points' && !points)
      throw new StudioError('invalid-payload', `Group ${group.name}: no point taps to fit on`);
    const all = options.only === 'points' ? null : await fitOn(labelled);
    const geometry =
      points && options.only !== 'all' ? await fitOn(selectColumns(labelled, points)) : null;
    // Ties go to the point taps: fewer features, the same held-out accuracy.
    const usePoints =
      geometry !== null && (all === null || geometry.model.cvAccuracy >= all.model.cvAccuracy);
    const chosen = usePoints ? geometry : all!;
    heads.push({
      ...base,
      features: usePoints ? 'points' : 'all',
      cvAccuracy: {
        all: all?.model.cvAccuracy ?? null,
        points: geometry?.model.cvAccuracy ?? null,
      },
      columns: usePoints ? [...points!] : null,
      model: chosen.model,
      temperature: fitSoftmaxTemperature(chosen.heldOutScores, y, k).temperature,
    });
  }
  return heads;
}

/** Smoothed class rates of a group without a classifier: (n_c + 1)/(N + C). */
function priorOf(head: ClassGroupHead): number[] {
  const k = head.classes.length;
  return head.counts.map((n) => (n + 1) / (head.faces + k));
}

/** Every group's class probabilities per face: `[rows × ΣC]`, groups in order. */
export function classGroupProbabilities(
  heads: readonly ClassGroupHead[],
  x: FeatureRows,
): Float64Array {
  const width = heads.reduce((s, h) => s + h.classes.length, 0);
  const out = new Float64Array(x.rows * width);
  let at = 0;
  for (const head of heads) {
    const k = head.classes.length;
    if (!head.model) {
      const prior = priorOf(head);
      for (let r = 0; r < x.rows; r++) out.set(prior, r * width + at);
    } else {
      const scores = ridgeScores(head.model, head.columns ? selectColumns(x, head.columns) : x);
      const calibration = { temperature: head.temperature };
      for (let r = 0; r < x.rows; r++)
        out.set(
          softmaxProbabilities(calibration, scores.subarray(r * k, (r + 1) * k)),
          r * width + at,
        );
    }
    at += k;
  }
  return out;
}

/** The most probable class of each group per face, from `[rows × ΣC]` probabilities. */
export function classGroupAnswers(
  heads: readonly Pick<ClassGroupHead, 'name' | 'classes'>[],
  probabilities: ArrayLike<number>,
  rows: number,
): Int32Array[] {
  const width = heads.reduce((s, h) => s + h.classes.length, 0);
  let at = 0;
  return heads.map((head) => {
    const k = head.classes.length;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++)
        if (probabilities[r * width + at + c]! > probabilities[r * width + at + best]!) best = c;
      out[r] = best;
    }
    at += k;
    return out;
  });
}

/** One group as `softmax(x · weights + bias)` on the raw features (`weights` `[dim × C]`). */
export interface GroupAffine {
  name: string;
  weights: Float64Array;
  bias: Float64Array;
}

/**
 * Each group as one affine map on all `dim` raw features, its standardisation and temperature
 * folded in (a group on the point taps has zero weights elsewhere; one without a classifier has
 * zero weights and the log of its class rates as bias), so `softmax` of it is
 * `classGroupProbabilities`.
 */
export function classGroupAffine(heads: readonly ClassGroupHead[], dim: number): GroupAffine[] {
  return heads.map((head) => {
    const k = head.classes.length;
    const weights = new Float64Array(dim * k);
    if (!head.model)
      return { name: head.name, weights, bias: Float64Array.from(priorOf(head), Math.log) };
    const model = head.model;
    const columns = head.columns ?? Array.from({ length: dim }, (_, j) => j);
    if (model.dim !== columns.length || columns.some((j) => j >= dim))
      throw new StudioError(
        'internal',
        `Group ${head.name} reads ${model.dim} features; the head's features are ${dim} wide`,
      );
    const folded = ridgeClassifierAffine(model);
    const t = head.temperature;
    columns.forEach((j, s) => {
      for (let c = 0; c < k; c++) weights[j * k + c] = t * folded.weights[s * k + c]!;
    });
    return { name: head.name, weights, bias: folded.bias.map((b) => t * b) };
  });
}
