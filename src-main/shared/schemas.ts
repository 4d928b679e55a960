/**
 * Landmark schemas and attribute sets as zod shapes. A schema says how many points a face has, what
 * each is called, how to draw them, which point a horizontal flip swaps with which, and which two
 * points normalise NME. Sides are named as the viewer sees the image ("left eye" is the eye on the
 * image's left), the convention of 300-W, WFLW and MTFL files. No Node imports: shared by all.
 */
import { z } from 'zod';

/** A CSS hex colour, `#rgb` or `#rrggbb`. */
const HexColour = z.string().regex(/^#(?:[0-9a-fA-F]{3}){1,2}$/, 'expected a colour like #3a7bd5');

const PointIndex = z.number().int().nonnegative();

/** A named set of points drawn in one colour (jaw, eyebrows, ...). */
export const LandmarkGroup = z.object({
  name: z.string().min(1),
  colour: HexColour,
  points: z.array(PointIndex).min(1),
});
export type LandmarkGroup = z.infer<typeof LandmarkGroup>;

export const LandmarkSchema = z.object({
  /** Stable id stored in project.json (`ibug68`, `wflw98`, `five`, or a custom id). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ or -'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** Point names in schema order; the order is the order of points in every annotation. */
  points: z.array(z.string().min(1).max(100)).min(1).max(1000),
  groups: z.array(LandmarkGroup),
  /** Lines drawn between points (0-based indices). */
  edges: z.array(z.tuple([PointIndex, PointIndex])),
  /** Pairs a horizontal flip swaps; points in no pair map to themselves. */
  mirror: z.array(z.tuple([PointIndex, PointIndex])),
  /** The two points whose distance normalises NME (e.g. outer eye corners). */
  normaliser: z.tuple([PointIndex, PointIndex]),
  /** Mean shape, normalised to its bounding box (0..1), one [x, y] per point: the labelling start. */
  template: z.array(z.tuple([z.number().finite(), z.number().finite()])),
  /** Where the template numbers came from, for the model card. */
  templateSource: z.string().max(500).optional(),
});
export type LandmarkSchema = z.infer<typeof LandmarkSchema>;

/** A yes/no attribute (CelebA `Smiling`), or a one-of-N attribute (MTFL head pose). */
export const AttributeDefinition = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('binary'), name: z.string().min(1).max(100) }),
  z.object({
    kind: z.literal('class'),
    name: z.string().min(1).max(100),
    classes: z.array(z.string().min(1).max(100)).min(2),
  }),
]);
export type AttributeDefinition = z.infer<typeof AttributeDefinition>;

export const AttributeSchema = z.object({
  /** Stable id stored in project.json (`mtfl`, `celeba40`, `ckplus7`, ...). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ or -'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  attributes: z.array(AttributeDefinition),
  /** The expression classes, in the dataset's usual order, or null when the set has none. */
  expressions: z.array(z.string().min(1).max(100)).min(2).nullable(),
});
export type AttributeSchema = z.infer<typeof AttributeSchema>;
