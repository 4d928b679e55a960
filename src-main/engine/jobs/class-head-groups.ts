/**
 * The one-of-N attributes (MTFL pose) of an attributes run of class-head-job.ts: fitted beside the
 * yes/no classifiers on the same features (engine/attributes/class-groups.ts: appearance and
 * geometry, or the point taps alone, chosen on the training rows), their probabilities appended
 * to the runner's after the yes/no ones (the exported graph's layout), and scored on the measured
 * faces as the yes/no attributes are (engine/metrics/group-metrics.ts).
 */
import type { CardClassGroup } from '../../shared/model-card';
import { classGroupProbabilities, fitClassGroups, pointColumns } from '../attributes/class-groups';
import type { ClassGroupHead } from '../attributes/class-groups';
import type { HeadTap } from '../attributes/classifier-head';
import type { FeatureRows } from '../attributes/ridge-classifier';
import { findTap, tapSize, type FaceBackbone } from '../backbones/face-backbone';
import type { LabelledFace, LabelledFaceSet } from '../data/labelled-faces';
import type { PredictedFace } from '../predict/predict-faces';
import { groupAccuracy, meanOfMeasured } from '../metrics/group-metrics';

/** The set's one-of-N groups (none for expression, or a set without). */
export function groupsOf(set: LabelledFaceSet): CardClassGroup[] {
  return set.task === 'attributes' ? (set.groups ?? []) : [];
}

/** Fits each group of `set` on the training features `x` of `train` (see the module comment). */
export async function fitHeadGroups(
  set: LabelledFaceSet,
  x: FeatureRows,
  train: readonly LabelledFace[],
  backbones: readonly FaceBackbone[],
  taps: readonly HeadTap[],
  seed: number,
): Promise<ClassGroupHead[]> {
  const groups = groupsOf(set);
  if (groups.length === 0 || set.task !== 'attributes') return [];
  const a = set.attributes.length;
  const tapOf = (t: HeadTap) =>
    findTap(
      backbones.find((b) => b.id === t.backbone)!,
      t.tap,
    );
  const points = pointColumns(
    taps.map((t) => tapSize(tapOf(t))),
    taps.map((t) => tapOf(t).kind === 'points'),
  );
  const subjects = train.map((f) => f.subject);
  return fitClassGroups(
    groups,
    x,
    train.map((f) => f.label.slice(a)),
    points,
    {
      seed,
      ...(subjects.every((s): s is string => s !== undefined) ? { groups: subjects } : {}),
    },
  );
}

/** The yes/no probabilities `[rows × A]` with each group's `[rows × C]` after them. */
export function withGroupProbabilities(
  yesNo: Float64Array,
  attributes: number,
  heads: readonly ClassGroupHead[],
  x: FeatureRows,
): Float64Array {
  if (heads.length === 0) return yesNo;
  const groups = classGroupProbabilities(heads, x);
  const width = groups.length / x.rows;
  const out = new Float64Array(x.rows * (attributes + width));
  for (let r = 0; r < x.rows; r++) {
    out.set(yesNo.subarray(r * attributes, (r + 1) * attributes), r * (attributes + width));
    out.set(groups.subarray(r * width, (r + 1) * width), r * (attributes + width) + attributes);
  }
  return out;
}

/**
 * `accuracy.<group>` of each group over the measured faces labelled for it (the predicted class
 * against the label), and `meanAccuracy` over the yes/no attributes' `yesNoAccuracy` and these.
 */
export function groupMetrics(
  groups: readonly CardClassGroup[],
  attributes: number,
  measured: readonly LabelledFace[],
  predicted: readonly PredictedFace[],
  yesNoAccuracy: readonly number[],
): Record<string, number> {
  const answers = predicted.map((face) =>
    groups.map((g) => g.classes.indexOf(face.labels.classes?.[g.name] ?? '')),
  );
  const accuracy = groupAccuracy(
    measured.map((f) => f.label.slice(attributes)),
    answers,
    groups.length,
  );
  const values: Record<string, number> = {
    meanAccuracy: meanOfMeasured([...yesNoAccuracy, ...accuracy]),
  };
  accuracy.forEach((v, g) => {
    if (Number.isFinite(v)) values[`accuracy.${groups[g]!.name}`] = v;
  });
  return values;
}
