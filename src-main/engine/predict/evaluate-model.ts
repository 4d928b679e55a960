/**
 * Scores an exported model on a labelled set (docs/ARCHITECTURE.md, "Training recipe"), predicted
 * as `predict` does (flip test for landmarks) and compared with its labels. Where each face is cut
 * from (the report's `crop` says which):
 *
 * - `inference`, the default for a model whose card has a head record: as `predict` cuts it — the
 *   face's labelled box, else the detector's (the whole image when it finds none, if the card
 *   allows), then, for landmark heads, again around the first prediction — so eval scores what a
 *   user of `predict` gets;
 * - `true-points`, the default for other models and an explicit choice for any: the card's crop
 *   policy around the labelled landmarks (else the labelled box, else the whole image), which
 *   measures the model apart from the detector but flatters it, as no user has the true points.
 *
 * Metrics:
 *
 * | task       | metrics                                                             |
 * |------------|---------------------------------------------------------------------|
 * | landmarks  | NME by the schema's normaliser, failure rate at 10%, CED AUC at 10% |
 * | attributes | accuracy per attribute (one-of-N groups: vs their majority rate), mean |
 * | expression | accuracy, recall per class, confusion matrix                        |
 *
 * A face counts when it has the labels the task needs (every point placed and confirmed; any of the
 * model's attributes; an expression). An image that cannot be read, or an expression the model does
 * not know, is bad input: every one is listed in one InputProblemsError.
 */
import { join } from 'node:path';
import type { SourceImage } from '../../core/library/labelled-input';
import { ProblemList } from '../../core/problems';
import type { Split } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import type { ExportedModel } from '../export/load-model';
import { argmaxRows, attributeMetrics, expressionMetrics } from '../metrics/classification-metrics';
import { groupScores, meanOfMeasured, type GroupScore } from '../metrics/group-metrics';
import { landmarkMetrics } from '../metrics/landmark-metrics';
import {
  predictFaces,
  type FaceSource,
  type ImageToPredict,
  type PredictOptions,
} from './predict-faces';

/** Where eval cuts each face from (see the module comment). */
export type EvalCrop = 'inference' | 'true-points';

export interface EvaluateOptions {
  /** Default: `inference` for a model with a head record, else `true-points`. */
  crop?: EvalCrop;
  /** The detector for `inference` crops of faces without a box (default: the library's). */
  detector?: PredictOptions['detector'];
  /** Only images of this split (when the data names splits). */
  split?: Split;
  /** At most this many faces, in the data's order. */
  limit?: number;
  batchSize?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface EvalReport {
  model: { id: string; task: string };
  /**
   * How the faces were cut: `inference` (as predict cuts them) or `true-points` (around the
   * labelled points, which predict cannot do).
   */
  crop: EvalCrop;
  /** How many faces were cut from each source (`points`, `box`, `detector`, `whole-image`). */
  cutFrom: Partial<Record<FaceSource, number>>;
  /** Faces scored. */
  faces: number;
  /** Faces in the data (after the split filter) without the labels the task needs. */
  unlabelled: number;
  landmarks?: {
    nme: number;
    failureRate: number;
    auc: number;
    /** The two points whose distance normalises NME. */
    normaliser: [number, number];
    /** Mean predicted uncertainty (flip consistency, fraction of the crop side). */
    meanUncertainty: number;
  };
  attributes?: {
    /** Over every yes/no attribute and one-of-N group measured. */
    meanAccuracy: number;
    accuracy: Record<string, number>;
    /** One-of-N groups (MTFL pose): accuracy beside the majority rate of the same faces. */
    groups?: Record<string, GroupScore>;
  };
  expression?: {
    accuracy: number;
    recall: Record<string, number>;
    /** `confusion[t][p]`: faces of class t predicted as p, in `classes` order. */
    confusion: number[][];
    classes: string[];
  };
}

interface Scored {
  image: SourceImage;
  request: ImageToPredict;
}

export async function evaluateModel(
  model: ExportedModel,
  input: { root: string; images: readonly SourceImage[] },
  options: EvaluateOptions = {},
): Promise<EvalReport> {
  const card = model.card;
  const inSplit = input.images.filter((i) => !options.split || i.split === options.split);
  const labelled = inSplit.filter((image) => hasLabels(model, image));
  const chosen = labelled.slice(0, options.limit ?? labelled.length);
  if (chosen.length === 0) {
    throw new StudioError(
      'invalid-payload',
      `${input.root}: no face${options.split ? ` in split ${options.split}` : ''} has the labels a ${card.task} model is scored on`,
    );
  }
  const problems = new ProblemList();
  const classes = card.classes ?? [];
  if (card.task === 'expression') {
    for (const image of chosen) {
      const expression = image.faces[0]!.expression!;
      if (!classes.includes(expression))
        problems.add(
          image.file,
          undefined,
          `expression "${expression}" is not one of the model's classes (${classes.join(', ')})`,
        );
    }
  }
  problems.throwIfAny(`Cannot score model ${card.id} on ${input.root}`);

  const crop: EvalCrop = options.crop ?? (card.head ? 'inference' : 'true-points');
  const scored: Scored[] = chosen.map((image) => {
    const face = image.faces[0]!;
    const file = join(input.root, image.file);
    const placed = face.points.some((p) => p.v > 0);
    const request: ImageToPredict =
      placed && crop === 'true-points'
        ? { file, points: face.points }
        : face.box
          ? { file, box: face.box }
          : { file };
    return { image, request };
  });
  const outcome = await predictFaces(
    model,
    scored.map((s) => s.request),
    {
      detect: crop === 'inference',
      noFace: card.head?.crop.wholeImageFallback === false ? 'skip' : 'whole-image',
      ...(options.detector ? { detector: options.detector } : {}),
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  if (outcome.cancelled) throw new StudioError('conflict', 'Evaluation cancelled');
  for (const failure of outcome.failed)
    problems.add(scored[failure.index]!.image.file, undefined, failure.message);
  for (const missed of outcome.noFace)
    problems.add(
      scored[missed.index]!.image.file,
      undefined,
      "the detector found no face, and the model's card allows no whole-image fallback",
    );
  problems.throwIfAny(`Cannot score model ${card.id} on ${input.root}`);

  const faces = outcome.faces.map((p) => ({
    predicted: p,
    truth: scored[p.index]!.image.faces[0]!,
  }));
  const cutFrom: Partial<Record<FaceSource, number>> = {};
  for (const f of faces) cutFrom[f.predicted.found] = (cutFrom[f.predicted.found] ?? 0) + 1;
  const report: EvalReport = {
    model: { id: card.id, task: card.task },
    crop,
    cutFrom,
    faces: faces.length,
    unlabelled: inSplit.length - labelled.length,
  };
  if (card.task === 'landmarks') {
    const normaliser = card.schema!.normaliser;
    const flat = (points: readonly { x: number; y: number }[]): number[] =>
      points.flatMap((p) => [p.x, p.y]);
    const metrics = landmarkMetrics(
      faces.map((f) => flat(f.predicted.labels.points)),
      faces.map((f) => flat(f.truth.points)),
      normaliser,
    );
    const uncertainties = faces.flatMap((f) =>
      f.predicted.labels.points.map((p) => p.uncertainty ?? 0),
    );
    report.landmarks = {
      nme: metrics.nme,
      failureRate: metrics.failureRate,
      auc: metrics.auc,
      normaliser: [normaliser[0], normaliser[1]],
      meanUncertainty: uncertainties.reduce((a, b) => a + b, 0) / uncertainties.length,
    };
  }
  if (card.task === 'attributes') {
    const names = card.attributes!;
    const truth = faces.flatMap((f) =>
      names.map((name) => {
        const value = f.truth.attributes?.[name];
        return value === undefined ? NaN : value ? 1 : 0;
      }),
    );
    const probability = faces.flatMap((f) =>
      names.map((name) => f.predicted.scores.attributes?.[name] ?? NaN),
    );
    const metrics = attributeMetrics(truth, probability, names.length);
    report.attributes = {
      meanAccuracy: metrics.meanAccuracy,
      accuracy: Object.fromEntries(names.map((name, i) => [name, metrics.accuracy[i]!])),
    };
    if (card.groups?.length) {
      const groups = groupScores(
        card.groups,
        faces.map((f) => f.truth.classes),
        faces.map((f) => f.predicted.labels.classes),
      );
      report.attributes.groups = groups;
      report.attributes.meanAccuracy = meanOfMeasured([
        ...metrics.accuracy,
        ...Object.values(groups).map((g) => g.accuracy),
      ]);
    }
  }
  if (card.task === 'expression') {
    const truth = faces.map((f) => classes.indexOf(f.truth.expression!));
    const scores = faces.flatMap((f) =>
      classes.map((c) => f.predicted.scores.expression?.[c] ?? 0),
    );
    const metrics = expressionMetrics(truth, argmaxRows(scores, classes.length), classes.length);
    report.expression = {
      accuracy: metrics.accuracy,
      recall: Object.fromEntries(classes.map((c, i) => [c, metrics.recall[i]!])),
      confusion: metrics.confusion,
      classes: [...classes],
    };
  }
  return report;
}

/** Whether the image's face has what the model's task is scored on. */
function hasLabels(model: ExportedModel, image: SourceImage): boolean {
  const face = image.faces[0];
  if (!face) return false;
  const card = model.card;
  if (card.task === 'landmarks') {
    const count = card.schema?.points.length ?? 0;
    // A point no person confirmed (the studio's own format can carry one) is no truth to score on.
    return (
      face.points.length === count && face.points.every((p) => p.v > 0 && p.confirmed !== false)
    );
  }
  if (card.task === 'attributes')
    return (
      (card.attributes ?? []).some((name) => face.attributes?.[name] !== undefined) ||
      (card.groups ?? []).some((g) => face.classes?.[g.name] !== undefined)
    );
  if (card.task === 'expression') return face.expression !== undefined;
  return false;
}
