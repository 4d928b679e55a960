/**
 * Whether `predict` cuts a face again around its first guess (docs/ARCHITECTURE.md, "Backbones and
 * tasks"). A landmark head is trained on crops cut around the labelled points; at inference the
 * first cut comes from a box (a detection, a given box, the labelled points for eval), predicted
 * once to place the face. When the square the same crop policy cuts around that guess is centred
 * on the first cut's centre give or take `recutBeyond` of its side, the face is already framed as
 * training framed it: the first cut is kept and only its mirror is predicted (two graph runs a
 * face). Otherwise the face is cut again around the guess and that cut is predicted with its
 * mirror (three runs).
 *
 * Only the centre decides: on HELEN faces a FaceMesh head's NME follows the centre's shift, while
 * a side off by up to 10% costs next to nothing, and the guess's own side is the noisier of the
 * two (research/BACKBONES_NOTES.md, "predict in two graph runs").
 */
import type { Box } from '../../shared/domain';

/** How far the square cut around the first guess is centred off the first cut, ÷ its side. */
export function framingShift(first: Box, around: Box): number {
  const centre = Math.hypot(
    around.x + around.width / 2 - (first.x + first.width / 2),
    around.y + around.height / 2 - (first.y + first.height / 2),
  );
  return centre / first.width;
}

/** True when the face must be cut again: its framing shift is over `recutBeyond` (0: always). */
export function needsRecut(first: Box, around: Box, recutBeyond: number): boolean {
  return framingShift(first, around) > recutBeyond;
}

/**
 * The shift a landmark head's card records (`recutBeyond`): 1% of the crop's side. Measured on
 * HELEN training faces the head was not fitted on: a first cut around the labelled points moves
 * by a median 0.5% on its own guess (noise, cutting again there only adds framing error), a
 * detector-like box (centre ±5%, side ±10% of the points' box) by a median 1.3%; at 1% the
 * detector-like faces lose almost nothing against always cutting again, and the well-framed ones
 * keep their first cut.
 */
export const RECUT_BEYOND = 0.01;
