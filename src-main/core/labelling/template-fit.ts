/**
 * Fitting the labelling template to a face: the mean shape (normalised to its own bounding box,
 * 0..1) is put into the face box, then moved, scaled and turned as a whole (a least-squares
 * similarity) so that its eye centres and mouth corners land on the ones found in the image
 * (./face-anchors.ts). The box alone places a template badly: the detector's box drifts by a
 * tenth of the face from the landmarks' box, which is the "brows on the eyes" a person saw; the
 * eyes pin it (figures in tests/core/labelling/face-anchors.test.ts). Pure, so it is tested
 * without a model.
 */
import type { Box } from '../../shared/domain';
import type { LandmarkSchema } from '../../shared/schemas';

export interface Point {
  x: number;
  y: number;
}

/** Where the eyes and mouth corners are, in image px, as the viewer sees them (300-W sides). */
export interface FaceAnchors {
  leftEye: Point;
  rightEye: Point;
  mouthLeft: Point;
  mouthRight: Point;
}

export type AnchorName = keyof FaceAnchors;

/** Which of a schema's points make each anchor (their mean); an anchor with none is left out. */
export type SchemaAnchors = Partial<Record<AnchorName, readonly number[]>>;

/**
 * The points of each anchor, read from the point names the built-in schemas use (`left_eye…`,
 * `right_eye…`, `mouth_outer_left` or `mouth_left`, the same on the right). Null when the schema
 * names no eyes: its template can only go into the box.
 */
export function schemaAnchors(schema: Pick<LandmarkSchema, 'points'>): SchemaAnchors | null {
  const where = (test: (name: string) => boolean): number[] =>
    schema.points.flatMap((name, i) => (test(name.toLowerCase()) ? [i] : []));
  const leftEye = where((n) => n.startsWith('left_eye'));
  const rightEye = where((n) => n.startsWith('right_eye'));
  if (leftEye.length === 0 || rightEye.length === 0) return null;
  const anchors: SchemaAnchors = { leftEye, rightEye };
  const mouthLeft = where((n) => n === 'mouth_outer_left' || n === 'mouth_left');
  const mouthRight = where((n) => n === 'mouth_outer_right' || n === 'mouth_right');
  if (mouthLeft.length > 0 && mouthRight.length > 0) {
    anchors.mouthLeft = mouthLeft;
    anchors.mouthRight = mouthRight;
  }
  return anchors;
}

/** The template (0..1 of the landmarks' box) stretched over `box`, image px. */
export function templateInBox(template: readonly (readonly [number, number])[], box: Box): Point[] {
  return template.map(([u, v]) => ({ x: box.x + u * box.width, y: box.y + v * box.height }));
}

/** A similarity transform: p ↦ s·R(θ)·p + t, written as x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

/** The similarity that maps `from` onto `to` with the least squared error (≥ 2 distinct points). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) {
    throw new RangeError(`A similarity needs two or more point pairs, got ${from.length}`);
  }
  const centre = (ps: readonly Point[]): Point => ({
    x: ps.reduce((s, p) => s + p.x, 0) / ps.length,
    y: ps.reduce((s, p) => s + p.y, 0) / ps.length,
  });
  const cf = centre(from);
  const ct = centre(to);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  from.forEach((f, i) => {
    const fx = f.x - cf.x;
    const fy = f.y - cf.y;
    const tx = to[i]!.x - ct.x;
    const ty = to[i]!.y - ct.y;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
    norm += fx * fx + fy * fy;
  });
  if (!(norm > 0)) throw new RangeError('A similarity needs two distinct points to map from');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: ct.x - (a * cf.x - b * cf.y), ty: ct.y - (b * cf.x + a * cf.y) };
}

/**
 * A fit further from the box placement than this is not trusted (an anchor finder shown no face
 * gives one): scale within ×/÷ 2, a turn under 45°, the centre within half the box of its own.
 */
export const MAX_FIT_SCALE = 2;
export const MAX_FIT_TURN_RAD = Math.PI / 4;
export const MAX_FIT_SHIFT = 0.5;

function mean(points: readonly Point[], indices: readonly number[]): Point {
  return {
    x: indices.reduce((s, i) => s + points[i]!.x, 0) / indices.length,
    y: indices.reduce((s, i) => s + points[i]!.y, 0) / indices.length,
  };
}

/**
 * The template put into `box`, then fitted to `found` on the anchors the schema has: image px,
 * schema order. Null when the fit is implausible (see MAX_FIT_*): the caller keeps the box
 * placement.
 */
export function fitTemplate(
  template: readonly (readonly [number, number])[],
  box: Box,
  anchors: SchemaAnchors,
  found: FaceAnchors,
): Point[] | null {
  const placed = templateInBox(template, box);
  const from: Point[] = [];
  const to: Point[] = [];
  for (const name of ['leftEye', 'rightEye', 'mouthLeft', 'mouthRight'] as const) {
    const indices = anchors[name];
    if (!indices || indices.length === 0) continue;
    if (indices.some((i) => i < 0 || i >= placed.length)) {
      throw new RangeError(`Anchor ${name} names a point the template does not have`);
    }
    from.push(mean(placed, indices));
    to.push(found[name]);
  }
  if (from.length < 2) return null;
  const fit = fitSimilarity(from, to);
  const scale = Math.hypot(fit.a, fit.b);
  const turn = Math.abs(Math.atan2(fit.b, fit.a));
  const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const moved = applySimilarity(fit, centre);
  const side = Math.max(box.width, box.height);
  if (
    !(scale > 1 / MAX_FIT_SCALE && scale < MAX_FIT_SCALE) ||
    turn > MAX_FIT_TURN_RAD ||
    Math.hypot(moved.x - centre.x, moved.y - centre.y) > MAX_FIT_SHIFT * side
  ) {
    return null;
  }
  return placed.map((p) => applySimilarity(fit, p));
}
