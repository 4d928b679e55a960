/**
 * card.json, the description that travels with every exported model (beside model.json and its
 * weight shards in models/<id>/): what it predicts, for which schema, what it expects as input
 * and how to crop it, how good it is on which data, and how it was trained. Written by the engine's exporter; read by `predict`, `eval`, the Models view
 * and the labeller's pre-labelling. No Node imports: shared by all processes.
 */
import { z } from 'zod';

/** Bump when card.json changes shape; readers refuse a newer version by name. */
export const MODEL_CARD_VERSION = 1;

export const ModelTask = z.enum(['backbone', 'landmarks', 'attributes', 'expression']);
export type ModelTask = z.infer<typeof ModelTask>;

/** How a face is cut out of an image before it reaches the model. */
export const CropPolicy = z
  .object({
    /**
     * `face-box`: the face detector's box (curation or `predict`'s own detection), grown by
     * `margin` on each side and made square about its centre. Labelled faces without a detection
     * use their landmarks' box scaled by `landmarksToFaceBox` first, so training and inference
     * crops match.
     */
    from: z.literal('face-box'),
    /** Fraction of the box side added on each side. */
    margin: z.number().min(0).max(2),
    /**
     * Stored face box side ÷ landmarks box side. Curation stores the detector's box already
     * calibrated onto the landmarks' box, so this is ~1 for 68 points (measured on 120 HELEN
     * test faces: median 0.997); the fine-tuning job measures it on the project's own faces
     * (5-point faces span less of the face).
     */
    landmarksToFaceBox: z.number().positive(),
  })
  .strict();
export type CropPolicy = z.infer<typeof CropPolicy>;

/** Metric values (NME, FR@10%, AUC, accuracy, ...) and the data they were measured on. */
export const CardMetrics = z
  .object({
    /** e.g. `test split of project "helen"`, `validation split`. */
    data: z.string().max(500),
    faces: z.number().int().nonnegative(),
    values: z.record(z.string(), z.number()),
  })
  .strict();
export type CardMetrics = z.infer<typeof CardMetrics>;

export const ModelCard = z
  .object({
    format: z.literal('face-studio-model'),
    version: z.number().int().positive(),
    id: z.string().min(1),
    task: ModelTask,
    createdAt: z.string(),
    /** The app version that wrote it. */
    studio: z.string(),
    /** Landmark schema (landmarks models): point names in output order and the mirror pairs. */
    schema: z
      .object({
        id: z.string(),
        name: z.string(),
        points: z.array(z.string()),
        mirror: z.array(z.tuple([z.number().int(), z.number().int()])),
        normaliser: z.tuple([z.number().int(), z.number().int()]),
      })
      .strict()
      .nullable(),
    /** Attribute names in output order (attributes models), else null. */
    attributes: z.array(z.string()).nullable(),
    /** Expression class names in output order (expression models), else null. */
    classes: z.array(z.string()).nullable(),
    input: z
      .object({
        /** Square side in pixels. */
        size: z.number().int().positive(),
        /** The graph's input: `[batch, size, size, 3]` RGB floats in [0, 1]. */
        range: z.tuple([z.number(), z.number()]),
        /** Per-channel normalisation the graph applies itself (after the [0, 1] input). */
        normalisation: z
          .object({ mean: z.array(z.number()).length(3), std: z.array(z.number()).length(3) })
          .strict(),
      })
      .strict(),
    crop: CropPolicy,
    /**
     * What the graph outputs, by name: landmarks `[batch, K, 2]` in 0..1 of the crop (u = (px +
     * 0.5) / size); attributes `[batch, A]` probabilities; expression `[batch, C]` probabilities;
     * backbone `[batch, dim]` CLS features.
     */
    outputs: z.array(z.string()).min(1),
    /** Metrics on held-out data, best first (test split, then validation). */
    metrics: z.array(CardMetrics),
    /** The faces it was trained on. */
    data: z
      .object({
        project: z.string().nullable(),
        train: z.number().int().nonnegative(),
        val: z.number().int().nonnegative(),
        test: z.number().int().nonnegative(),
      })
      .strict(),
    backbone: z
      .object({
        preset: z.string(),
        /** The backbone model id fine-tuning started from; null = trained from scratch. */
        pretrainedFrom: z.string().nullable(),
      })
      .strict(),
    /** The resolved training config (every default filled in). */
    config: z.record(z.string(), z.unknown()),
    /** The run that produced it. */
    runId: z.string().nullable(),
  })
  .strict();
export type ModelCard = z.infer<typeof ModelCard>;
