/**
 * What a fine-tuned model must beat to be worth using (docs/ARCHITECTURE.md, "Training recipe"):
 * a rule that needs no model, fitted on the training faces and scored on the same held-out faces
 * with the same metrics as the model.
 * - landmarks: the mean shape — the mean of the training faces' points in crop coordinates,
 *   placed in each held-out face's crop (targets in crop coordinates make that the same vector
 *   for every face), scored by NME / FR@10% / AUC;
 * - attributes: each attribute's majority value among the training faces labelled for it, and
 *   each one-of-N group's majority class (group-metrics.ts);
 * - expression: the majority class.
 *
 * Plain arrays in, plain records out, so any fine-tuning path (gradient or a head on frozen
 * backbones) calls the same function; the metric names match the job's flat metrics
 * (`nme`, `failureRate`, `auc`; `meanAccuracy`, `accuracy.<name>`; `accuracy`, `recall.<name>`).
 */
import type {
  CardBaseline,
  CardClassGroup,
  CardMetrics,
  CardVerdict,
} from '../../shared/model-card';
import { attributeMetrics, expressionMetrics } from './classification-metrics';
import { groupAccuracy, majorityGroupClasses, meanOfMeasured } from './group-metrics';
import { landmarkMetrics, type FlatShape } from './landmark-metrics';

/** The training targets and the held-out ones, as the task has them. */
export type BaselineData =
  | {
      task: 'landmarks';
      /** Flat `[x0, y0, x1, y1, …]` per face, in crop coordinates (0..1 of each face's crop). */
      train: readonly FlatShape[];
      heldOut: readonly FlatShape[];
      /** The schema's normaliser point indices (inter-ocular for 68 points). */
      normaliser: readonly [number, number];
    }
  | {
      task: 'attributes';
      /**
       * Per face, per attribute: 1, 0 or NaN (not labelled); then per group of `groups` its class
       * index or NaN.
       */
      train: readonly (readonly number[])[];
      heldOut: readonly (readonly number[])[];
      attributes: readonly string[];
      /** One-of-N attributes (MTFL pose), their labels after the yes/no ones. */
      groups?: readonly CardClassGroup[];
    }
  | {
      task: 'expression';
      /** Class index per face. */
      train: readonly number[];
      heldOut: readonly number[];
      classes: readonly string[];
    };

/** The metric a verdict compares, and which way is better. */
export const HEADLINE_METRIC = {
  landmarks: { name: 'nme', lowerIsBetter: true },
  attributes: { name: 'meanAccuracy', lowerIsBetter: false },
  expression: { name: 'accuracy', lowerIsBetter: false },
} as const;

function finiteOnly(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

function requireFaces(what: string, count: number): void {
  if (count === 0)
    throw new Error(`baseline: no ${what} faces to ${what === 'training' ? 'fit' : 'score'} it on`);
}

/** The mean of the training shapes, point by point. */
export function meanShape(train: readonly FlatShape[]): Float64Array {
  requireFaces('training', train.length);
  const width = train[0]!.length;
  const mean = new Float64Array(width);
  for (const shape of train) {
    if (shape.length !== width)
      throw new Error(`baseline: training shapes of ${width} and ${shape.length} values differ`);
    for (let j = 0; j < width; j++) mean[j]! += shape[j]! / train.length;
  }
  return mean;
}

/** Each attribute's majority value (1 or 0) among the faces labelled for it; ties and none: 0. */
export function majorityValues(
  train: readonly (readonly number[])[],
  attributes: number,
): number[] {
  const ones = new Array<number>(attributes).fill(0);
  const seen = new Array<number>(attributes).fill(0);
  for (const row of train)
    for (let a = 0; a < attributes; a++) {
      const v = row[a];
      if (v === undefined || Number.isNaN(v)) continue;
      seen[a]!++;
      if (v >= 0.5) ones[a]!++;
    }
  return ones.map((n, a) => (n * 2 > seen[a]! ? 1 : 0));
}

/** The most frequent class among the training faces; ties go to the lower index. */
export function majorityClass(train: readonly number[], classes: number): number {
  requireFaces('training', train.length);
  const counts = new Array<number>(classes).fill(0);
  for (const c of train) {
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new Error(`baseline: class ${c} is out of range 0..${classes - 1}`);
    counts[c]!++;
  }
  return counts.reduce((best, n, c) => (n > counts[best]! ? c : best), 0);
}

/** The baseline fitted on `data.train` and scored on `data.heldOut`. */
export function baselineOf(data: BaselineData): CardBaseline {
  requireFaces('held-out', data.heldOut.length);
  if (data.task === 'landmarks') {
    const mean = meanShape(data.train);
    const m = landmarkMetrics(
      data.heldOut.map(() => mean),
      data.heldOut,
      data.normaliser,
    );
    return {
      rule: 'mean-shape',
      values: finiteOnly({ nme: m.nme, failureRate: m.failureRate, auc: m.auc }),
      fittedOn: data.train.length,
    };
  }
  if (data.task === 'attributes') {
    requireFaces('training', data.train.length);
    const a = data.attributes.length;
    const majority = majorityValues(data.train, a);
    const truth = data.heldOut.flatMap((row) => Array.from({ length: a }, (_, i) => row[i] ?? NaN));
    const m = attributeMetrics(
      truth,
      data.heldOut.flatMap(() => majority),
      a,
    );
    const values: Record<string, number> = { meanAccuracy: m.meanAccuracy };
    m.accuracy.forEach((v, i) => (values[`accuracy.${data.attributes[i]}`] = v));
    const groups = data.groups ?? [];
    if (groups.length > 0) {
      const classes = majorityGroupClasses(
        data.train.map((row) => row.slice(a)),
        groups.map((g) => g.classes.length),
      );
      const accuracy = groupAccuracy(
        data.heldOut.map((row) => row.slice(a)),
        data.heldOut.map(() => classes),
        groups.length,
      );
      accuracy.forEach((v, g) => (values[`accuracy.${groups[g]!.name}`] = v));
      values.meanAccuracy = meanOfMeasured([...m.accuracy, ...accuracy]);
    }
    return { rule: 'majority-value', values: finiteOnly(values), fittedOn: data.train.length };
  }
  const c = data.classes.length;
  const majority = majorityClass(data.train, c);
  const m = expressionMetrics(
    data.heldOut,
    data.heldOut.map(() => majority),
    c,
  );
  const values: Record<string, number> = { accuracy: m.accuracy };
  m.recall.forEach((v, i) => (values[`recall.${data.classes[i]}`] = v));
  return { rule: 'majority-class', values: finiteOnly(values), fittedOn: data.train.length };
}

/**
 * `better` when the model's headline metric strictly beats the baseline's on the same faces; a
 * model equal to its baseline (or without the metric) is `no-better`.
 */
export function verdictOf(
  task: BaselineData['task'],
  values: Readonly<Record<string, number>>,
  baseline: Pick<CardBaseline, 'values'>,
): CardVerdict {
  const { name, lowerIsBetter } = HEADLINE_METRIC[task];
  const model = values[name];
  const rule = baseline.values[name];
  if (model === undefined || rule === undefined || !Number.isFinite(model)) return 'no-better';
  // Beyond float noise: a model that reproduces the baseline must not count as better.
  const margin = 1e-9 * Math.max(1, Math.abs(rule));
  return (lowerIsBetter ? model < rule - margin : model > rule + margin) ? 'better' : 'no-better';
}

/** Who the held-out faces are: distinct subjects among them, and how many also train. */
export interface HeldOutSubjects {
  subjects: number;
  sharedSubjects: number;
}

/**
 * The people behind held-out faces: null when no face names a subject, else the distinct
 * subjects among `heldOut` and how many of them also have faces in `train`.
 */
export function heldOutSubjects(
  train: readonly (string | undefined)[],
  heldOut: readonly (string | undefined)[],
): HeldOutSubjects | null {
  const held = new Set(heldOut.filter((s): s is string => s !== undefined));
  if (held.size === 0) return null;
  const trained = new Set(train);
  return { subjects: held.size, sharedSubjects: [...held].filter((s) => trained.has(s)).length };
}

/**
 * One card metric set with its baseline and verdict: the model's `values` on `faces` held-out
 * faces, and the baseline fitted on `data.train` and scored on the same faces.
 */
export function honestMetrics(
  data: BaselineData,
  measured: { data: string; values: Record<string, number>; subjects?: HeldOutSubjects | null },
): CardMetrics {
  const baseline = baselineOf(data);
  return {
    data: measured.data,
    faces: data.heldOut.length,
    values: measured.values,
    baseline,
    verdict: verdictOf(data.task, measured.values, baseline),
    ...(measured.subjects ? measured.subjects : {}),
  };
}
