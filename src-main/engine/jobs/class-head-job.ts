/**
 * The attributes and expression task of a backbone-head run (backbone-head-job.ts;
 * docs/ARCHITECTURE.md, "Backbones and tasks"): every face cut once by the model's crop
 * (head-crops.ts: the widest backbone's policy, each backbone seeing its centred view of it) from
 * its detection, else its labelled points, else the whole image — as `predict` cuts it — the
 * backbones' classify taps side by side, each head reading its own of them (head-tap-selection.ts:
 * attributes' yes/no heads the appearance taps, their one-of-N groups FaceMesh's points; the card
 * records it as `head.reads`), ridge classifiers fitted on the train split (λ by
 * cross-validation, by subject when faces name one; classifier-head.ts), then measured on the
 * test split (else validation) through `predictFaces` with a runner of the exported graph's
 * contract, and exported as one graph with its card. An attribute set's one-of-N attributes (MTFL
 * pose) are fitted, measured and exported beside the yes/no ones (class-head-groups.ts).
 *
 * One probability mapping: the runner gives the head's calibrated probabilities
 * (classifier-head.ts's `headProbabilities`: Platt scaling per attribute, a temperature softmax
 * for expression, fitted on held-out scores), the mapping the exported graph writes
 * (calibrated-head-graph.ts), so the card's figure is what predict gives.
 */
import * as tf from '@tensorflow/tfjs';
import { HeadCropRecord, type CardMetrics } from '../../shared/model-card';
import type { SamplePrediction } from '../../shared/worker-protocol';
import { StudioError } from '../../shared/errors';
import { selectColumns } from '../attributes/class-groups';
import { fitClassifierHead, headProbabilities, type HeadTap } from '../attributes/classifier-head';
import {
  headReads,
  headTapSelection,
  readsEverything,
  tapColumns,
  type HeadTapSelection,
  type SelectableBackbone,
} from '../attributes/head-tap-selection';
import { concatFeatures, stackRows, type FeatureRows } from '../attributes/ridge-classifier';
import { DEFAULT_FACE_BACKBONES, shippedBackbones } from '../backbones/backbone-registry';
import { findTap, tapSize, type FaceBackbone } from '../backbones/face-backbone';
import { embedHeadCrops, headCropPlan, type HeadCropPlan } from '../backbones/head-crops';
import { cropFaces, faceCropBox } from '../data/face-crop';
import type { LabelledFace } from '../data/labelled-faces';
import { exportBackboneHeadModel } from '../export/backbone-head-export';
import type { ExportedModel } from '../export/load-model';
import { cardBackboneOf } from '../landmarks/landmark-head-model';
import { HEADLINE_METRIC, type BaselineData } from '../metrics/baselines';
import { attributeMetrics, expressionMetrics } from '../metrics/classification-metrics';
import {
  completeHeadCard,
  folderChecksum,
  inferenceRequest,
  measureFaces,
  type HeadTask,
  type HeadTaskContext,
} from './backbone-head-job';
import { sampleIndices } from './dashboard-samples';
import { fitHeadGroups, groupMetrics, groupsOf, withGroupProbabilities } from './class-head-groups';

/** Faces per backbone call and per progress step while embedding. */
const CHUNK = 16;

/** The classify taps of a backbone (the registry's; else its point and vector taps). */
function classifyTapNames(b: SelectableBackbone): readonly string[] {
  const entry = shippedBackbones().find((o) => o.id === b.id);
  const names = entry
    ? entry.taps.classify
    : b.taps.filter((t) => t.kind !== 'map').map((t) => t.name);
  if (names.length === 0)
    throw new StudioError(
      'invalid-payload',
      `Backbone ${b.id} offers no vector tap an attribute or expression head can read`,
    );
  return names;
}

/**
 * The taps a `task` model embeds of `backbones` and the ones its classifier reads
 * (head-tap-selection.ts: attributes' yes/no heads read appearance, the one-of-N groups geometry).
 */
export function classifyTapsOf(
  task: 'attributes' | 'expression',
  backbones: readonly FaceBackbone[],
): HeadTapSelection {
  return headTapSelection(task, backbones, classifyTapNames);
}

/**
 * The features of `faces` as the model sees them: each face cut at the plan's input size from the
 * box `predict` would cut (inferenceRequest: detection, else labelled points, else the whole
 * image), each backbone reading its view, the taps side by side in `taps` order.
 */
export async function classHeadFeatures(
  plan: HeadCropPlan,
  backbones: readonly FaceBackbone[],
  taps: readonly HeadTap[],
  crops: tf.Tensor4D,
): Promise<FeatureRows> {
  const n = crops.shape[0];
  const perBackbone = backbones.map((b) =>
    taps.filter((t) => t.backbone === b.id).map((t) => t.tap),
  );
  const embedded = await embedHeadCrops(plan, backbones, crops, perBackbone);
  return concatFeatures(
    ...taps.map((t) => {
      const data = embedded[backbones.findIndex((b) => b.id === t.backbone)]![t.tap]!;
      return { rows: n, dim: data.length / n, data };
    }),
  );
}

/** The crop box of a face as predict cuts it for `plan` (see `inferenceRequest`). */
function boxOf(face: LabelledFace, plan: HeadCropPlan) {
  const request = inferenceRequest(face);
  return faceCropBox(
    face,
    request.face ? { detection: request.face } : { points: request.points ?? [] },
    plan.crop,
  );
}

export const classHeadTask: HeadTask = {
  steps: (splits) => splits.train.length + 1 + splits.measured.length,
  fit: async (context: HeadTaskContext) => {
    const { set, splits, backbones } = context;
    if (set.task === 'landmarks')
      throw new StudioError('internal', 'Not an attributes or expression face set');
    const task = set.task;
    const names = task === 'attributes' ? set.attributes : set.classes;
    for (const b of backbones)
      if (!b.graph)
        throw new StudioError(
          'invalid-payload',
          `Backbone ${b.id} has no graph description, so a head on it cannot be exported; ` +
            `use ${DEFAULT_FACE_BACKBONES[task].join(' + ')}`,
        );
    const plan = headCropPlan(backbones);
    const selection = classifyTapsOf(task, backbones);
    const taps = selection.taps;
    const sizes = taps.map((t) =>
      tapSize(
        findTap(
          backbones.find((b) => b.id === t.backbone)!,
          t.tap,
        ),
      ),
    );
    // The classifier's columns of the features (all of them unless the selection narrows it).
    const columns = tapColumns(taps, sizes, selection.classifier);
    const dim = sizes.reduce((s, v) => s + v, 0);
    const classifierRows = (x: FeatureRows) =>
      columns.length === dim ? x : selectColumns(x, columns);

    // Training features, cut as predict cuts the measured faces.
    const parts: FeatureRows[] = [];
    for (let from = 0; from < splits.train.length; from += CHUNK) {
      const part = splits.train.slice(from, from + CHUNK);
      const crops = tf.concat(
        await Promise.all(part.map((f) => cropFaces(f.file, [boxOf(f, plan)], plan.inputSize))),
      ) as tf.Tensor4D;
      try {
        parts.push(await classHeadFeatures(plan, backbones, taps, crops));
      } finally {
        crops.dispose();
      }
      context.signal?.throwIfAborted();
      await context.advance(part.length);
    }
    const x = stackRows(parts);
    // Attributes: the yes/no values; the one-of-N groups' follow (class-head-groups.ts).
    const labels = splits.train.map((f) =>
      f.label.slice(0, task === 'attributes' ? names.length : 1),
    );
    const subjects = splits.train.map((f) => f.subject);
    const groups = subjects.every((s): s is string => s !== undefined) ? subjects : undefined;
    const fitted = await fitClassifierHead(
      task === 'attributes' ? { task, attributes: names } : { task, classes: names },
      selection.classifier,
      classifierRows(x),
      labels,
      { seed: context.config.seed, ...(groups ? { groups } : {}) },
    );
    let cvError: number;
    if (fitted.task === 'expression') cvError = 1 - fitted.model.cvAccuracy;
    else {
      const fittedOnes = fitted.attributes.filter((a) => a.model);
      cvError = fittedOnes.length
        ? fittedOnes.reduce((s, a) => s + 1 - a.model!.cvAccuracy, 0) / fittedOnes.length
        : 0;
    }
    const groupHeads = await fitHeadGroups(
      set,
      x,
      splits.train,
      backbones,
      taps,
      context.config.seed,
    );
    await context.advance(1, cvError);

    const reads = headReads(taps, sizes, selection.classifier, groupHeads);
    const crop = HeadCropRecord.parse({
      backbone: plan.widest,
      inputSize: plan.inputSize,
      policy: plan.crop,
      scaleOfLandmarkExtent: plan.scaleOfLandmarkExtent,
      trainedOn: 'detection',
      inference: 'detection',
      refine: 'none',
      wholeImageFallback: true,
    });
    const card = completeHeadCard(context.card, {
      task,
      schema: null,
      attributes: task === 'attributes' ? [...names] : null,
      classes: task === 'expression' ? [...names] : null,
      ...(groupHeads.length > 0 ? { groups: groupsOf(set) } : {}),
      input: {
        size: plan.inputSize,
        range: [0, 1],
        normalisation: { mean: [0, 0, 0], std: [1, 1, 1] },
      },
      crop: plan.crop,
      outputs: [task],
      metrics: [],
      head: {
        method: 'ridge',
        backbones: backbones.map((b) =>
          cardBackboneOf(
            b,
            taps.filter((t) => t.backbone === b.id).map((t) => t.tap),
          ),
        ),
        crop,
        uncertainty: null,
        ...(readsEverything(reads, taps) ? {} : { reads }),
      },
    });

    // The runner of the exported graph's contract: crops in, the graph's probabilities out.
    const runner: ExportedModel = {
      card,
      inputSize: plan.inputSize,
      predict: async (images: tf.Tensor4D) => {
        const features = await classHeadFeatures(plan, backbones, taps, images);
        const p = headProbabilities(fitted, classifierRows(features));
        return {
          probabilities: Float32Array.from(
            task === 'attributes'
              ? withGroupProbabilities(p, names.length, groupHeads, features)
              : p,
          ),
        };
      },
      dispose: () => undefined,
    };

    const measured = splits.measured;
    let metrics: Record<string, number> | null = null;
    const samples: SamplePrediction[] = [];
    const probabilities: Record<string, number>[] = [];
    if (measured.length > 0) {
      const predicted = await measureFaces(runner, measured, context);
      for (const face of predicted)
        probabilities.push(
          (task === 'expression' ? face.scores.expression : face.scores.attributes)!,
        );
      if (task === 'expression') {
        const predicted = probabilities.map((row) => {
          const values = names.map((n) => row[n]!);
          return values.indexOf(Math.max(...values));
        });
        const m = expressionMetrics(
          measured.map((f) => f.label[0]!),
          predicted,
          names.length,
        );
        metrics = { accuracy: m.accuracy };
        m.recall.forEach((v, i) => {
          if (Number.isFinite(v)) metrics![`recall.${names[i]}`] = v;
        });
      } else {
        // Each face's yes/no values only: the one-of-N groups' labels follow them.
        const m = attributeMetrics(
          measured.flatMap((f) => f.label.slice(0, names.length)),
          probabilities.flatMap((row) => names.map((n) => row[n]!)),
          names.length,
        );
        metrics = { meanAccuracy: m.meanAccuracy };
        m.accuracy.forEach((v, i) => {
          if (Number.isFinite(v)) metrics![`accuracy.${names[i]}`] = v;
        });
        if (groupHeads.length > 0)
          Object.assign(
            metrics,
            groupMetrics(groupsOf(set), names.length, measured, predicted, m.accuracy),
          );
      }
      for (const i of sampleIndices(measured.length))
        samples.push({ imageId: measured[i]!.imageId, scores: probabilities[i]! });
    }
    const baseline: BaselineData | null =
      measured.length === 0
        ? null
        : task === 'attributes'
          ? {
              task,
              train: splits.train.map((f) => f.label),
              heldOut: measured.map((f) => f.label),
              attributes: names,
              groups: groupsOf(set),
            }
          : {
              task,
              train: splits.train.map((f) => f.label[0]!),
              heldOut: measured.map((f) => f.label[0]!),
              classes: names,
            };
    const fromDetection = measured.filter((f) => f.detection !== null).length;
    return {
      metrics,
      monitored: HEADLINE_METRIC[task].name,
      lowerIsBetter: false,
      ced: null,
      samples,
      baseline,
      measuredHow:
        `cut from ${fromDetection} detection box${fromDetection === 1 ? '' : 'es'} and ` +
        `${measured.length - fromDetection} labelled points' or whole-image box${measured.length - fromDetection === 1 ? '' : 'es'}, as predict cuts them`,
      exportTo: async (dir: string, cardMetrics: CardMetrics[]) => {
        await exportBackboneHeadModel(dir, {
          card: { ...card, metrics: cardMetrics },
          backbones,
          head: { task, model: fitted, taps, groups: groupHeads },
        });
        return folderChecksum(dir);
      },
    };
  },
};
