/**
 * What a face's points say about whether it is labelled, given who placed each point
 * (`Landmark.source`) and whether a person confirmed it (`Landmark.confirmed`). One place for the
 * rules, so the header's counts, the library's filters, training, evaluation and exports agree:
 *
 * - a point counts as a label only when it is placed (v > 0) and confirmed;
 * - a face needs review while any placed point is unconfirmed (a model's or template's guess);
 * - a face is labelled when nothing needs review and it has a confirmed point, an attribute or an
 *   expression; otherwise it is unlabelled.
 *
 * No Node or Electron imports: main, the engine and the renderer share it.
 */
import type { FaceAnnotation, Landmark, PointSource } from './domain';

export type FaceState = 'labelled' | 'needs-review' | 'unlabelled';

/** A placed point a person placed or confirmed: a label training, evaluation and exports use. */
export function isConfirmedPoint(point: Landmark): boolean {
  return point.v !== 0 && point.confirmed;
}

/** A placed point no person has checked yet. */
export function isUnconfirmedPoint(point: Landmark): boolean {
  return point.v !== 0 && !point.confirmed;
}

/** Placed points still waiting for a person. */
export function unconfirmedCount(points: readonly Landmark[]): number {
  let count = 0;
  for (const point of points) if (isUnconfirmedPoint(point)) count += 1;
  return count;
}

type FaceLabels = Pick<FaceAnnotation, 'points' | 'attributes' | 'expression'>;

export function faceState(face: FaceLabels | null): FaceState {
  if (face === null) return 'unlabelled';
  let confirmed = false;
  for (const point of face.points) {
    if (isUnconfirmedPoint(point)) return 'needs-review';
    if (point.v !== 0) confirmed = true;
  }
  return confirmed || face.expression !== null || Object.keys(face.attributes).length > 0
    ? 'labelled'
    : 'unlabelled';
}

/**
 * The points as labels only: an unconfirmed point becomes not labelled (v 0, at 0,0), so a reader
 * that knows nothing of provenance sees it as missing. Confirmed points come back unchanged; the
 * same array when nothing was unconfirmed.
 */
export function confirmedPointsOnly(points: readonly Landmark[]): readonly Landmark[] {
  if (!points.some(isUnconfirmedPoint)) return points;
  return points.map((point) =>
    isUnconfirmedPoint(point)
      ? { x: 0, y: 0, v: 0, source: point.source, confirmed: false }
      : point,
  );
}

/** A point a person placed: the shape importers of labelled sets and the canvas give points. */
export function humanPoint(x: number, y: number, v: Landmark['v']): Landmark {
  return { x, y, v, source: 'human', confirmed: true };
}

/** A point placed by a model or a template, waiting for a person to confirm it. */
export function unconfirmedPoint(
  x: number,
  y: number,
  v: Landmark['v'],
  source: Exclude<PointSource, 'human'>,
  uncertainty?: number,
): Landmark {
  return uncertainty === undefined
    ? { x, y, v, source, confirmed: false }
    : { x, y, v, source, confirmed: false, uncertainty };
}
