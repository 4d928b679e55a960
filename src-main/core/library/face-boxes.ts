/**
 * Box geometry for face-aware curation, in image pixels (0-based). Pure functions, so the crop
 * policy and the detector-to-landmarks calibration are unit-tested without a model.
 */
import type { Box } from '../../shared/domain';

/**
 * Maps a detector box to the box of the face's landmarks: the centre moves by (dx·w, dy·h) and
 * the size scales by (sx, sy). The tiny face detector's box includes forehead and more, about
 * 1.27× the 68 landmarks' extent (docs/ARCHITECTURE.md, "Pitfalls").
 */
export interface BoxTransform {
  dx: number;
  dy: number;
  sx: number;
  sy: number;
}

export const IDENTITY_TRANSFORM: BoxTransform = { dx: 0, dy: 0, sx: 1, sy: 1 };

export function transformBox(box: Box, t: BoxTransform): Box {
  const cx = box.x + box.width / 2 + t.dx * box.width;
  const cy = box.y + box.height / 2 + t.dy * box.height;
  const width = box.width * t.sx;
  const height = box.height * t.sy;
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

/** The box that `transformBox(·, t)` maps onto `box` (its inverse). */
export function untransformBox(box: Box, t: BoxTransform): Box {
  const width = box.width / t.sx;
  const height = box.height / t.sy;
  const cx = box.x + box.width / 2 - t.dx * width;
  const cy = box.y + box.height / 2 - t.dy * height;
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

/** The square about a box's centre whose side is the box's longer side. */
export function squareAbout(box: Box): Box {
  const side = Math.max(box.width, box.height);
  return {
    x: box.x + box.width / 2 - side / 2,
    y: box.y + box.height / 2 - side / 2,
    width: side,
    height: side,
  };
}

/** The transform that maps `from` onto `to` exactly (used to fit a calibration). */
export function transformBetween(from: Box, to: Box): BoxTransform {
  return {
    dx: (to.x + to.width / 2 - (from.x + from.width / 2)) / from.width,
    dy: (to.y + to.height / 2 - (from.y + from.height / 2)) / from.height,
    sx: to.width / from.width,
    sy: to.height / from.height,
  };
}

/**
 * The training crop around a face: a square on the box's centre, side = longer box side ×
 * (1 + 2·margin). It may run past the image edges; whoever crops pads there (black), so faces at
 * the border keep their place in the crop instead of being shifted or squashed.
 */
export function cropBoxFor(face: Box, margin: number): Box {
  const side = Math.max(face.width, face.height) * (1 + 2 * margin);
  const cx = face.x + face.width / 2;
  const cy = face.y + face.height / 2;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

/** Intersection over union; 0 when either box is empty. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

/** The tight box around points. */
export function boxOfPoints(points: readonly { x: number; y: number }[]): Box {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}
