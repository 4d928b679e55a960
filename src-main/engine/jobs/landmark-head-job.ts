/**
 * The landmarks task of a backbone-head run (backbone-head-job.ts; docs/ARCHITECTURE.md,
 * "Backbones and tasks"): the training faces cut by the backbone's crop policy around their
 * labelled points (`trainedOn: 'landmarks'`), embedded as they are and mirrored, the ridge head
 * fitted (λ by leave-one-out, the flip from the schema's mirror pairs, σ calibrated on the
 * leave-one-out errors, the refinement on the backbone's local map kept when it pays off on
 * held-out faces and recorded in the card either way), then measured as `predict` and `eval` run
 * it: each measured face cut from its detection when it has one (else its labelled points),
 * predicted, cut again around the predicted points where they move the crop's centre by over
 * `recutBeyond` of its side (`refine: 'predicted-landmarks'`; predict/recut.ts), predicted with its
 * mirror, and exported as one graph with its card.
 */
import { HeadCropRecord, type CardMetrics, type ModelCard } from '../../shared/model-card';
import type { LandmarkSchema } from '../../shared/schemas';
import type { SamplePrediction } from '../../shared/worker-protocol';
import { StudioError } from '../../shared/errors';
import {
  embedCrops,
  headInputOf,
  landmarkTapNames,
  type EmbeddedCrops,
  type FaceCrop,
} from '../backbones/embed-faces';
import type { FaceBackbone } from '../backbones/face-backbone';
import { faceCropBox, toCrop } from '../data/face-crop';
import { exportBackboneHeadModel } from '../export/backbone-head-export';
import { headCropRecord } from '../landmarks/head-crop-record';
import {
  landmarkCardHead,
  landmarkHeadModel,
  landmarkTapsOf,
  type LandmarkHead,
} from '../landmarks/landmark-head-model';
import { fitLandmarkRidge } from '../landmarks/landmark-ridge-head';
import { flipIndexOf } from '../landmarks/schema-flip';
import type { BaselineData } from '../metrics/baselines';
import { cedCurve, landmarkMetrics, nmePerFace } from '../metrics/landmark-metrics';
import { cardSchemaOf } from '../predict/card-schema';
import { RECUT_BEYOND } from '../predict/recut';
import {
  completeHeadCard,
  folderChecksum,
  measureFaces,
  type HeadCardBase,
  type HeadTask,
  type HeadTaskContext,
} from './backbone-head-job';
import { sampleIndices } from './dashboard-samples';

/** Faces per backbone call and per progress step while embedding. */
const CHUNK = 16;

/** Rows of several embeddings one after another (same taps, all mirrored). */
function concatEmbedded(parts: readonly EmbeddedCrops[]): EmbeddedCrops {
  const join = (pick: (e: EmbeddedCrops) => Record<string, Float32Array>) => {
    const names = Object.keys(pick(parts[0]!));
    return Object.fromEntries(
      names.map((name) => {
        const arrays = parts.map((p) => pick(p)[name]!);
        const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
        let at = 0;
        for (const a of arrays) {
          out.set(a, at);
          at += a.length;
        }
        return [name, out];
      }),
    );
  };
  const count = parts.reduce((s, p) => s + p.count, 0);
  return {
    count,
    taps: join((e) => e.taps),
    flipped: join((e) => e.flipped!),
    msPerFace: parts.reduce((s, p) => s + p.msPerFace * p.count, 0) / Math.max(1, count),
  };
}

/**
 * How a landmark head cuts faces: by the backbone's policy, then again around its prediction when
 * that moves the crop's centre by over `RECUT_BEYOND` of its side (predict/recut.ts).
 */
function landmarkCropRecord(backbone: FaceBackbone): HeadCropRecord {
  return HeadCropRecord.parse({
    ...headCropRecord(backbone, 'landmarks', 'detection'),
    refine: 'predicted-landmarks',
    recutBeyond: RECUT_BEYOND,
  });
}

/**
 * The card of a landmark head fitted on `backbone` for `schema` (no metrics yet): the one the
 * job exports, and the few-shot bench's exported path.
 */
export function landmarkHeadCard(
  base: HeadCardBase,
  backbone: FaceBackbone,
  head: LandmarkHead,
  schema: LandmarkSchema,
): ModelCard {
  const crop = landmarkCropRecord(backbone);
  return completeHeadCard(base, {
    task: 'landmarks',
    schema: cardSchemaOf(schema),
    attributes: null,
    classes: null,
    input: {
      size: backbone.inputSize,
      range: [0, 1],
      normalisation: { mean: [0, 0, 0], std: [1, 1, 1] },
    },
    crop: crop.policy,
    outputs: ['landmarks'],
    metrics: [],
    head: landmarkCardHead(backbone, head, crop),
  });
}

export const landmarkHeadTask: HeadTask = {
  steps: (splits) => splits.train.length + 1 + splits.measured.length,
  fit: async (context: HeadTaskContext) => {
    const { set, splits } = context;
    if (set.task !== 'landmarks') throw new StudioError('internal', 'Not a landmarks face set');
    if (context.backbones.length !== 1)
      throw new StudioError(
        'invalid-payload',
        `A landmark head reads one face backbone; the config names ${context.backbones.length}`,
      );
    const backbone: FaceBackbone = context.backbones[0]!;
    const k = set.schema.points.length;
    const taps = landmarkTapsOf(backbone);
    const tapNames = landmarkTapNames(taps, true);
    const policy = landmarkCropRecord(backbone).policy;

    // Training crops around the labelled points, targets in crop units.
    const targets = new Float32Array(splits.train.length * k * 2);
    const crops: FaceCrop[] = splits.train.map((face, i) => {
      if (face.points.length !== k)
        throw new StudioError(
          'invalid-payload',
          `Face of image ${face.imageId} has ${face.points.length} points; the schema has ${k}`,
        );
      const box = faceCropBox(face, { points: face.points }, policy);
      toCrop(face.points, box).forEach((p, j) => targets.set([p.x, p.y], (i * k + j) * 2));
      return { source: face.file, box };
    });
    const parts: EmbeddedCrops[] = [];
    for (let from = 0; from < crops.length; from += CHUNK) {
      const part = crops.slice(from, from + CHUNK);
      parts.push(
        await embedCrops(backbone, part, tapNames, {
          mirrored: true,
          ...(context.signal ? { signal: context.signal } : {}),
        }),
      );
      await context.advance(part.length);
    }
    const embedded = concatEmbedded(parts);
    const model = await fitLandmarkRidge(
      headInputOf(backbone, embedded, taps, false),
      headInputOf(backbone, embedded, taps, true),
      targets,
      flipIndexOf(k, set.schema.mirror),
    );
    const head: LandmarkHead = { task: 'landmarks', model, taps };
    const looMean = model.looError.reduce((s, v) => s + v, 0) / k;
    await context.advance(1, looMean);

    const card = landmarkHeadCard(context.card, backbone, head, set.schema);

    // Measured through the inference path, as predict and eval run the exported model.
    const measured = splits.measured;
    let metrics: Record<string, number> | null = null;
    let ced = null;
    const samples: SamplePrediction[] = [];
    const fromDetection = measured.filter((f) => f.detection !== null).length;
    if (measured.length > 0) {
      const runner = landmarkHeadModel(card, backbone, head);
      const predicted = (await measureFaces(runner, measured, context)).map((face) =>
        face.labels.points.flatMap((p) => [p.x, p.y]),
      );
      const truth = measured.map((f) => f.points.flatMap((p) => [p.x, p.y]));
      const normaliser = set.schema.normaliser;
      const m = landmarkMetrics(predicted, truth, normaliser);
      metrics = { nme: m.nme, failureRate: m.failureRate, auc: m.auc };
      const curve = cedCurve(nmePerFace(predicted, truth, normaliser));
      ced = { thresholds: curve.thresholds, fractions: curve.fraction };
      for (const i of sampleIndices(measured.length)) {
        const pairs = (flat: number[]) =>
          Array.from({ length: k }, (_, j) => [flat[2 * j]!, flat[2 * j + 1]!] as [number, number]);
        samples.push({
          imageId: measured[i]!.imageId,
          points: pairs(predicted[i]!),
          truth: pairs(truth[i]!),
        });
      }
    }
    // The mean shape of the training crops, placed in each measured face's first crop (its
    // detection box, else its labelled points' box, by the same policy): what a model must beat.
    const baseline: BaselineData | null =
      measured.length > 0
        ? {
            task: 'landmarks',
            train: Array.from({ length: splits.train.length }, (_, i) =>
              Array.from(targets.subarray(i * k * 2, (i + 1) * k * 2)),
            ),
            heldOut: measured.map((f) => {
              const box = faceCropBox(
                f,
                f.detection ? { detection: f.detection } : { points: f.points },
                policy,
              );
              return toCrop(f.points, box).flatMap((p) => [p.x, p.y]);
            }),
            normaliser: set.schema.normaliser,
          }
        : null;
    return {
      baseline,
      metrics,
      monitored: 'nme',
      lowerIsBetter: true,
      ced,
      samples,
      measuredHow:
        `cut from ${fromDetection} detection box${fromDetection === 1 ? '' : 'es'} and ` +
        `${measured.length - fromDetection} labelled points' box${measured.length - fromDetection === 1 ? '' : 'es'}, ` +
        `then again around the predicted points where they moved the crop's centre by over ${100 * RECUT_BEYOND}% of its side, as predict cuts them`,
      exportTo: async (dir: string, cardMetrics: CardMetrics[]) => {
        await exportBackboneHeadModel(dir, {
          card: { ...card, metrics: cardMetrics },
          backbones: [backbone],
          head,
        });
        return folderChecksum(dir);
      },
    };
  },
};
