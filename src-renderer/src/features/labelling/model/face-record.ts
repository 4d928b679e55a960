/**
 * Edits of one face's landmarks as pure functions: each takes a point array and returns a new one
 * (or the same array when nothing changes, so callers can skip recording a no-op). Points are in
 * image pixels, 0-based, in schema order, with visibility `v` (2 visible, 1 occluded, 0 not
 * labelled) as in `Landmark` (src-main/shared/domain.ts).
 *
 * Every point records who placed it (`source`) and whether a person checked it (`confirmed`),
 * as in `Landmark`. A person placing or moving a point makes it theirs (`human`, confirmed);
 * confirming a model's or template's point keeps its source and marks it confirmed (the model's
 * `uncertainty` goes). Template and mirror-assist points are `template`, unconfirmed: guesses a
 * person still has to check. A model's prediction merges in with `mergePrediction` (`model`).
 * Changing visibility or resizing a whole group confirms nothing.
 */
import type { Box, Landmark, Visibility } from '$shared/domain';
import { humanPoint, isUnconfirmedPoint, unconfirmedPoint } from '$shared/point-provenance';
import type { CanvasSchema } from './canvas-schema';
import type { Point } from './transform';

/** What the canvas edits of a `FaceAnnotation`; attributes and notes are edited elsewhere. */
export interface FaceRecord {
  imageId: string;
  points: readonly Landmark[];
  /** The face box in image pixels, from detection or drawn; guides fit, template and mirror. */
  box?: Box;
}

export type Points = readonly Landmark[];

/** A point a person placed here. */
const landmark = humanPoint;
/** A point a model or template placed, waiting for a person. */
const guess = unconfirmedPoint;

/** `p` at a new position or visibility, keeping who placed it and whether it was checked. */
function keepingProvenance(p: Landmark, x: number, y: number, v: Visibility): Landmark {
  return { ...p, x, y, v };
}

/** Same position, new visibility; provenance stays (visibility says nothing about it). */
function withVisibility(p: Landmark, v: Visibility): Landmark {
  return keepingProvenance(p, p.x, p.y, v);
}

export function emptyPoints(count: number): Landmark[] {
  return Array.from({ length: count }, () => landmark(0, 0, 0));
}

export function checkIndex(points: Points, i: number): Landmark {
  const p = Number.isInteger(i) ? points[i] : undefined;
  if (!p) throw new RangeError(`Point index ${i} is outside 0..${points.length - 1}`);
  return p;
}

function replace(points: Points, i: number, next: Landmark): Landmark[] {
  const out = points.slice();
  out[i] = next;
  return out;
}

/** The next point to place in schema order: the first not labelled, or null when all are. */
export function nextToPlace(points: Points): number | null {
  const i = points.findIndex((p) => p.v === 0);
  return i === -1 ? null : i;
}

export function labelledCount(points: Points): number {
  return points.filter((p) => p.v !== 0).length;
}

/** Places point `i` at `at`, visible and confirmed. */
export function placePoint(points: Points, i: number, at: Point): Landmark[] {
  checkIndex(points, i);
  return replace(points, i, landmark(at.x, at.y, 2));
}

/**
 * Moves point `i` to `at`; an unlabelled point becomes visible, an occluded one stays so. The
 * point is the person's from now on (`human`, confirmed), whoever placed it before.
 */
export function movePoint(points: Points, i: number, at: Point): Points {
  const p = checkIndex(points, i);
  if (p.x === at.x && p.y === at.y && p.v !== 0 && p.source === 'human' && p.confirmed) {
    return points;
  }
  return replace(points, i, landmark(at.x, at.y, p.v === 0 ? 2 : p.v));
}

/**
 * Sets the labelled points among `indices` to `origin[i] + (dx, dy)`. Taking the origin apart
 * from the current points lets a drag recompute every step from where it began, so rounding
 * never accumulates. Unlabelled points have no position and do not move. Moving one point makes
 * it the person's (`human`, confirmed); moving several at once (a dropped template aligned as a
 * whole) keeps each one's provenance, as resizing does: no single point was checked.
 */
export function offsetPoints(
  points: Points,
  origin: Points,
  indices: readonly number[],
  dx: number,
  dy: number,
): Points {
  let out: Landmark[] | null = null;
  for (const i of indices) {
    const from = checkIndex(origin, i);
    if (from.v === 0) continue;
    out ??= points.slice();
    out[i] =
      indices.length === 1
        ? landmark(from.x + dx, from.y + dy, from.v)
        : keepingProvenance(from, from.x + dx, from.y + dy, from.v);
  }
  return out ?? points;
}

/**
 * Scales the labelled points among `indices` about their centroid (a dropped template that is
 * too small or too large for the face). Model-made flags stay: resizing a template as a whole
 * does not confirm any one point.
 */
export function scalePoints(points: Points, indices: readonly number[], factor: number): Points {
  if (!Number.isFinite(factor) || factor <= 0) throw new RangeError(`Bad scale factor ${factor}`);
  const placed = indices.filter((i) => checkIndex(points, i).v !== 0);
  if (placed.length < 2 || factor === 1) return points;
  let cx = 0;
  let cy = 0;
  for (const i of placed) {
    cx += points[i]!.x / placed.length;
    cy += points[i]!.y / placed.length;
  }
  const out = points.slice();
  for (const i of placed) {
    const p = points[i]!;
    const x = cx + (p.x - cx) * factor;
    const y = cy + (p.y - cy) * factor;
    out[i] = keepingProvenance(p, x, y, p.v);
  }
  return out;
}

/** Flips point `i` between visible and occluded; an unlabelled point is left alone. */
export function toggleOccluded(points: Points, i: number): Points {
  const p = checkIndex(points, i);
  if (p.v === 0) return points;
  return replace(points, i, withVisibility(p, p.v === 2 ? 1 : 2));
}

/** Marks point `i` not labelled, so it is next to place again. */
export function clearPoint(points: Points, i: number): Points {
  const p = checkIndex(points, i);
  if (p.v === 0 && p.x === 0 && p.y === 0 && p.source === 'human' && p.confirmed) return points;
  return replace(points, i, landmark(0, 0, 0));
}

/** A person accepts a model's or template's point where it is. */
export function confirmPoint(points: Points, i: number): Points {
  return confirmPoints(points, [i]);
}

/**
 * Accepts the unconfirmed points among `indices` (all points when omitted) where they are: each
 * keeps its source (the model's or template's) and becomes confirmed; the model's doubt goes.
 */
export function confirmPoints(points: Points, indices?: readonly number[]): Points {
  let out: Landmark[] | null = null;
  for (const i of indices ?? points.keys()) {
    const p = checkIndex(points, i);
    if (!isUnconfirmedPoint(p)) continue;
    out ??= points.slice();
    out[i] = { x: p.x, y: p.y, v: p.v, source: p.source, confirmed: true };
  }
  return out ?? points;
}

/**
 * Merges a model's prediction into a face: the points a person placed or confirmed stay; every
 * other point takes the model's position, as the model's unconfirmed point with its uncertainty.
 * A point the model left unlabelled keeps what the face had.
 */
export function mergePrediction(points: Points, predicted: Points): Points {
  if (predicted.length !== points.length) {
    throw new RangeError(
      `The prediction has ${predicted.length} points; the face has ${points.length}`,
    );
  }
  let out: Landmark[] | null = null;
  predicted.forEach((q, i) => {
    const p = points[i]!;
    if ((p.v !== 0 && p.confirmed) || q.v === 0) return;
    const next = guess(q.x, q.y, q.v, 'model', q.uncertainty);
    if (samePoints([p], [next])) return;
    out ??= points.slice();
    out[i] = next;
  });
  return out ?? points;
}

/** Points a model or template placed that no person has confirmed yet. */
export function unconfirmedCount(points: Points): number {
  return points.filter(isUnconfirmedPoint).length;
}

/**
 * The unconfirmed point a person should check first: the highest `uncertainty` (a point without
 * one counts as 0: a template guess), the first on ties; null when every point is confirmed.
 */
export function mostUncertain(points: Points): { index: number; uncertainty: number } | null {
  let best: { index: number; uncertainty: number } | null = null;
  points.forEach((p, index) => {
    if (!isUnconfirmedPoint(p)) return;
    const uncertainty = p.uncertainty ?? 0;
    if (!best || uncertainty > best.uncertainty) best = { index, uncertainty };
  });
  return best;
}

/**
 * Places a template's points into `box`: `template[i]` is point i in box-normalised coordinates
 * (0..1 across the box; a mean face, say). Every point becomes a visible, unconfirmed `template` point.
 */
export function templateInBox(template: readonly Point[], box: Box, count: number): Landmark[] {
  if (template.length !== count) {
    throw new RangeError(`Template has ${template.length} points; the schema has ${count}`);
  }
  if (!(box.width > 0 && box.height > 0)) {
    throw new RangeError(`Template box must have a positive size, got ${box.width}×${box.height}`);
  }
  return template.map((t) =>
    guess(box.x + t.x * box.width, box.y + t.y * box.height, 2, 'template'),
  );
}

/**
 * The x of the face's vertical midline, estimated from what is labelled: the mean centre of the
 * mirror pairs placed on both sides (best, it follows the face, not the box), else the mean x of
 * labelled points that lie on the midline (nose, chin), else the box centre; null when none.
 */
export function midlineX(points: Points, schema: CanvasSchema, box?: Box): number | null {
  const centres: number[] = [];
  const paired = new Set<number>();
  for (const [a, b] of schema.mirrorPairs) {
    paired.add(a);
    paired.add(b);
    const pa = points[a];
    const pb = points[b];
    if (pa && pb && pa.v !== 0 && pb.v !== 0) centres.push((pa.x + pb.x) / 2);
  }
  if (centres.length === 0) {
    points.forEach((p, i) => {
      if (!paired.has(i) && p.v !== 0) centres.push(p.x);
    });
  }
  if (centres.length > 0) return centres.reduce((s, x) => s + x, 0) / centres.length;
  return box ? box.x + box.width / 2 : null;
}

export interface MirrorProposal {
  points: Points;
  /** Indices that received a mirrored position, in schema order. */
  proposed: number[];
}

/**
 * Proposes each unlabelled point whose mirror partner is labelled by reflecting the partner across
 * the vertical midline (`midlineX`). Proposals are unconfirmed `template` points with the
 * partner's visibility.
 * The face is assumed roughly upright; a tilted face needs its proposals dragged.
 */
export function mirrorAssist(points: Points, schema: CanvasSchema, box?: Box): MirrorProposal {
  const mid = midlineX(points, schema, box);
  if (mid === null) return { points, proposed: [] };
  let out: Landmark[] | null = null;
  const proposed: number[] = [];
  for (const [a, b] of schema.mirrorPairs) {
    for (const [to, from] of [
      [a, b],
      [b, a],
    ] as const) {
      const target = points[to];
      const source = points[from];
      if (!target || !source || target.v !== 0 || source.v === 0) continue;
      out ??= points.slice();
      out[to] = guess(2 * mid - source.x, source.y, source.v, 'template');
      proposed.push(to);
    }
  }
  proposed.sort((x, y) => x - y);
  return { points: out ?? points, proposed };
}

/** Value equality of two point arrays, provenance included. */
export function samePoints(a: Points, b: Points): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i];
    return (
      q !== undefined &&
      p.x === q.x &&
      p.y === q.y &&
      p.v === q.v &&
      p.source === q.source &&
      p.confirmed === q.confirmed &&
      p.uncertainty === q.uncertainty
    );
  });
}
