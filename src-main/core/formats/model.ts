/**
 * The neutral in-memory model every format imports into and exports from. It holds what the
 * formats share and nothing of the project store, so the library can write it to a project later.
 * Coordinates are 0-based image pixels (floats); visibility is 2 visible, 1 occluded, 0 not
 * labelled (a point with v 0 keeps a placeholder position, usually 0,0).
 */
import { z } from 'zod';
import { Box, Landmark, PointSource } from '../../shared/domain';
import { boxOfPoints } from '../library/face-boxes';

/**
 * A point as a format holds it. Formats of labelled sets say nothing of who placed a point: it is
 * a person's label (`source` and `confirmed` absent, read as `human`, confirmed). The studio's own
 * JSON carries both, so a model's or template's unconfirmed point survives an export and import.
 */
export const FormatPoint = Landmark.extend({
  source: PointSource.optional(),
  confirmed: z.boolean().optional(),
});
export type FormatPoint = z.infer<typeof FormatPoint>;

export const LabelledFace = z.object({
  box: Box.optional(),
  /** In schema order; empty when the format has no points (CelebA attributes, class folders). */
  points: z.array(FormatPoint),
  /** Yes/no attributes by name (`Smiling`, `Eyeglasses`, ...). */
  attributes: z.record(z.string(), z.boolean()).optional(),
  /** One-of-N attributes by name, valued by class name (MTFL `pose`: `frontal`, ...). */
  classes: z.record(z.string(), z.string()).optional(),
  expression: z.string().min(1).optional(),
});
export type LabelledFace = z.infer<typeof LabelledFace>;

export const LabelledImage = z.object({
  /** Path relative to the dataset root, `/`-separated, never leaving the root. */
  file: z.string().min(1),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  /** Subject key, when the dataset names one, to keep a person inside one split. */
  subject: z.string().min(1).optional(),
  faces: z.array(LabelledFace),
});
export type LabelledImage = z.infer<typeof LabelledImage>;

export const LabelledSet = z.array(LabelledImage);
export type LabelledSet = z.infer<typeof LabelledSet>;

/** A point every format without visibility reads as visible. */
export function visiblePoint(x: number, y: number): FormatPoint {
  return { x, y, v: 2 };
}

/** A format's point as the project stores it: absent provenance reads as a person's label. */
export function toLandmark(point: FormatPoint): Landmark {
  const { source = 'human', confirmed = true, ...rest } = point;
  return { ...rest, source, confirmed };
}

/** The face's own box, else its placed points' bounds; undefined when it has neither. */
export function faceBox(face: LabelledFace): Box | undefined {
  if (face.box) return face.box;
  const placed = face.points.filter((p) => p.v > 0);
  return placed.length > 0 ? boxOfPoints(placed) : undefined;
}
