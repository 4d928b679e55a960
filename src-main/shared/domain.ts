/**
 * The studio's domain records, as zod schemas with their inferred types. They describe what is
 * stored on disk (project.json, labels.json and its journal) and what crosses process
 * boundaries. No Node or Electron imports: this module is shared by main, preload, workers,
 * engine and renderer.
 */
import { z } from 'zod';

/** Version of the on-disk project format. Bump it and add a migration in core/migrations.ts. */
export const PROJECT_SCHEMA_VERSION = 2;

export const Split = z.enum(['pool', 'train', 'val', 'test']);
export type Split = z.infer<typeof Split>;

/** An axis-aligned box in image pixels (0-based, floats). */
export const Box = z.object({
  x: z.number().finite(),
  y: z.number().finite(),
  width: z.number().finite().nonnegative(),
  height: z.number().finite().nonnegative(),
});
export type Box = z.infer<typeof Box>;

/** What face-aware curation found in an image. */
export const FaceDetection = z.object({
  box: Box,
  /** The face box grown by the crop margin; training crops from here. */
  crop: Box,
  score: z.number().min(0).max(1),
});
export type FaceDetection = z.infer<typeof FaceDetection>;

export const ImageRecord = z.object({
  /** sha256 of the file's bytes, hex. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * Path relative to the project folder when inside it (images copied in live in `images/`),
   * else absolute: an image referenced in place, which is lost if its folder moves.
   */
  path: z.string().min(1),
  /**
   * Where a copied image was imported from (absolute, as it was then). Kept for searching by
   * the original name; the copy in the project is the one used. Absent for referenced images.
   */
  source: z.string().min(1).optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  split: Split,
  /** Optional subject key used to keep a subject inside one split. */
  subject: z.string().optional(),
  face: FaceDetection.nullable().optional(),
  flags: z.array(z.enum(['no-face', 'tiny-face', 'near-duplicate'])).optional(),
});
export type ImageRecord = z.infer<typeof ImageRecord>;

/** Point visibility: 2 visible, 1 occluded (position estimated), 0 not labelled. */
export const Visibility = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export type Visibility = z.infer<typeof Visibility>;

/**
 * Who placed a point: `human` a person (clicked, dragged or typed it), `model` a trained model's
 * prediction (pre-labelling), `template` a fixed rule (the mean shape dropped into the face box,
 * or a mirror proposal reflected from the partner point).
 */
export const PointSource = z.enum(['human', 'model', 'template']);
export type PointSource = z.infer<typeof PointSource>;

/**
 * One landmark in image pixels (0-based, floats), with who placed it and whether a person has
 * checked it. A point a person places is `human` and confirmed; a model or template point is
 * unconfirmed until a person confirms it where it is (it keeps its source) or moves it (it
 * becomes `human`). Unconfirmed points are shown for review but are not labels: counts, training,
 * evaluation and exports treat them as not labelled unless asked otherwise. `source` and
 * `confirmed` are meaningless on a point that is not labelled (v 0).
 */
export const Landmark = z.object({
  x: z.number().finite(),
  y: z.number().finite(),
  v: Visibility,
  source: PointSource,
  confirmed: z.boolean(),
  /**
   * The model's doubt about an unconfirmed model point, as a fraction of the side of the face
   * crop the model saw (the distance between its predictions on the face and on the mirrored
   * face). Absent for points a person placed or confirmed.
   */
  uncertainty: z.number().finite().nonnegative().optional(),
});
export type Landmark = z.infer<typeof Landmark>;

/** A point's position and visibility without who placed it: what geometry and training read. */
export type PlacedPoint = Pick<Landmark, 'x' | 'y' | 'v'>;

/** One annotated face in one image, keyed by image id in labels.json. */
export const FaceAnnotation = z.object({
  imageId: z.string().regex(/^[0-9a-f]{64}$/),
  /** Landmarks in schema order; length equals the schema's point count. */
  points: z.array(Landmark),
  box: Box.optional(),
  attributes: z.record(z.string(), z.boolean()).default({}),
  /** One-of-N attributes by name, valued by class name (MTFL `pose`: `frontal`); absent = none. */
  classes: z.record(z.string(), z.string()).optional(),
  expression: z.string().nullable().default(null),
  note: z.string().max(10_000).default(''),
  updatedAt: z.string(),
  /**
   * How many times the face was saved: the store sets it (a save from the caller is ignored) to
   * one more than the stored face's. A save names the revision it edited, so a window holding an
   * older view is refused instead of overwriting newer labels. 0 in files written before it existed.
   */
  revision: z.number().int().nonnegative().default(0),
});
export type FaceAnnotation = z.infer<typeof FaceAnnotation>;

export const RunSummary = z.object({
  id: z.string(),
  kind: z.enum(['pretrain', 'finetune']),
  status: z.enum(['queued', 'running', 'paused', 'done', 'failed', 'cancelled']),
  createdAt: z.string(),
  error: z.string().optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const ModelSummary = z.object({
  id: z.string(),
  task: z.enum(['backbone', 'landmarks', 'attributes', 'expression']),
  createdAt: z.string(),
  runId: z.string().optional(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const ProjectMeta = z.object({
  schemaVersion: z.number().int().positive(),
  id: z.string().min(1),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  /** Id of the landmark schema (e.g. `ibug68`, `wflw98`, `five`, or a custom id). */
  landmarkSchema: z.string().min(1),
  /** Id of the attribute set (e.g. `mtfl`, `celeba40`, `ckplus7`), or null. */
  attributeSchema: z.string().nullable(),
});
export type ProjectMeta = z.infer<typeof ProjectMeta>;

/** project.json: meta, the image index, runs and models. */
export const ProjectFile = z.object({
  meta: ProjectMeta,
  images: z.array(ImageRecord),
  runs: z.array(RunSummary),
  models: z.array(ModelSummary),
});
export type ProjectFile = z.infer<typeof ProjectFile>;

/** labels.json: annotations keyed by image id, written apart from the big index. */
export const LabelsFile = z.object({
  schemaVersion: z.number().int().positive(),
  faces: z.record(z.string(), FaceAnnotation),
});
export type LabelsFile = z.infer<typeof LabelsFile>;

/** What the renderer needs to show an open project without the whole index. */
export const ProjectSummary = z.object({
  dir: z.string(),
  meta: ProjectMeta,
  imageCount: z.number().int().nonnegative(),
  /** Faces whose every placed point a person placed or confirmed (or with attributes only). */
  labelledCount: z.number().int().nonnegative(),
  /** Faces with points a model or template placed that no person has confirmed yet. */
  needsReviewCount: z.number().int().nonnegative(),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

export const RecentProject = z.object({
  dir: z.string(),
  name: z.string(),
  openedAt: z.string(),
});
export type RecentProject = z.infer<typeof RecentProject>;

/** Which TensorFlow.js backend the training process uses, and why the better ones were skipped. */
export const BackendReport = z.object({
  name: z.enum(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']),
  forced: z.boolean(),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  /** The GPU adapter a `webgpu` backend runs on, as its driver names it. */
  device: z.string().optional(),
});
export type BackendReport = z.infer<typeof BackendReport>;
