/**
 * An attribute or expression head (engine/attributes/classifier-head.ts) inside an exported graph
 * (docs/ARCHITECTURE.md, "Backbones and tasks"): the fitted head collapsed into one affine map on
 * the raw features (`classifierHeadAffine`: standardisation folded into the weights), then its
 * calibration as ops, so the graph outputs what `headProbabilities` gives:
 *
 * - attributes `[n, A]`: the margin `score₁ − score₀` per attribute, then `Sigmoid(a·m + b)` with
 *   each attribute's Platt scaling (Mul, AddV2, Sigmoid);
 * - expression `[n, C]`: the class scores, then `Softmax(t · s)` with the head's temperature
 *   (Mul, Softmax).
 */
import {
  classifierHeadAffine,
  type AffineHead,
  type ClassifierHead,
  type HeadTap,
} from '../attributes/classifier-head';
import { tapColumns, tapName, widenColumns } from '../attributes/head-tap-selection';
import type { GraphBuilder } from './graph-builder';

/** How the head's affine outputs become probabilities. */
export type HeadCalibration = AffineHead['calibration'];

/**
 * The head as the graph's affine map and calibration. `features` are the graph's taps in order
 * with the values each gives per face, and `names` the card's attribute or class names. A head
 * that reads some of those taps only (head-tap-selection.ts) gets zero weight on the others; a
 * head that does not fit them is refused through `refuse` (the problem in words).
 */
export function calibratedHeadAffine(
  head: ClassifierHead,
  features: readonly (HeadTap & { size: number })[],
  names: readonly string[],
  refuse: (problem: string) => never,
): { affine: { weights: Float64Array; bias: Float64Array }; calibration: HeadCalibration } {
  const tapNames = (list: readonly HeadTap[]) => list.map(tapName).join(', ');
  let columns: number[];
  try {
    columns = tapColumns(
      features,
      features.map((f) => f.size),
      head.taps,
    );
  } catch {
    refuse(
      `the head was fitted on [${tapNames(head.taps)}]; the graph's features are [${tapNames(features)}]`,
    );
  }
  if (head.dim !== columns.length)
    refuse(`the head was fitted on ${head.dim} features; its taps give ${columns.length}`);
  const own = head.task === 'expression' ? head.classes : head.attributes.map((a) => a.name);
  if (own.length !== names.length || own.some((n, i) => n !== names[i]))
    refuse(
      `the card names ${head.task === 'expression' ? 'classes' : 'attributes'} ` +
        `[${names.join(', ')}]; the head predicts [${own.join(', ')}]`,
    );
  const collapsed = classifierHeadAffine(head);
  const dim = features.reduce((s, f) => s + f.size, 0);
  const outputs = collapsed.model.bias.length;
  return {
    affine: {
      weights:
        columns.length === dim
          ? collapsed.model.weights
          : widenColumns(collapsed.model.weights, outputs, columns, dim),
      bias: collapsed.model.bias,
    },
    calibration: collapsed.calibration,
  };
}

/** The calibration's ops on the affine map's output `scores` (`[n, outputs]`). */
export function calibratedOutput(
  g: GraphBuilder,
  scores: string,
  calibration: HeadCalibration,
): string {
  if (calibration.kind === 'softmax')
    return g.unary('Softmax', g.mul(scores, g.scalar(calibration.temperature)));
  const k = calibration.a.length;
  const a = g.constant('head.platt_a', Float32Array.from(calibration.a), [k]);
  const b = g.constant('head.platt_b', Float32Array.from(calibration.b), [k]);
  return g.unary('Sigmoid', g.add2(g.mul(scores, a), b));
}
