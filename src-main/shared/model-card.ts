/**
 * card.json, the description that travels with every exported model (beside model.json and its
 * weight shards in models/<id>/): what it predicts, for which schema, what it expects as input
 * and how to crop it, how good it is on which data, and how it was trained. Written by the engine's exporter; read by `predict`, `eval`, the Models view
 * and the labeller's pre-labelling. No Node imports: shared by all processes.
 */
import { z } from 'zod';

/**
 * Bump when card.json changes shape; readers refuse a newer version by name. 2: the optional
 * `head` (a closed-form head on frozen backbones) and each metric set's optional baseline,
 * verdict and subject counts. Version 1 cards still read.
 */
export const MODEL_CARD_VERSION = 2;

export const ModelTask = z.enum(['backbone', 'landmarks', 'attributes', 'expression']);
export type ModelTask = z.infer<typeof ModelTask>;
/** The tasks a model is fine-tuned (or a head fitted) for: every task but `backbone`. */
export const FinetuneTaskName = ModelTask.exclude(['backbone']);
export type FinetuneTaskName = z.infer<typeof FinetuneTaskName>;

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

/**
 * What a model is measured against (engine/metrics/baselines.ts): a rule that needs no model,
 * fitted on the training faces and scored on the same held-out faces with the same metrics —
 * landmarks the mean shape, attributes the majority value of each, expression the majority class.
 */
export const CardBaseline = z
  .object({
    rule: z.enum(['mean-shape', 'majority-value', 'majority-class']),
    /** The same metric names as the model's values. */
    values: z.record(z.string(), z.number()),
    /** Training faces the rule was fitted on. */
    fittedOn: z.number().int().nonnegative(),
  })
  .strict();
export type CardBaseline = z.infer<typeof CardBaseline>;

/**
 * `better`: the model's headline metric (landmarks NME, attributes mean accuracy, expression
 * accuracy) beats its baseline's on the same faces; `no-better`: it does not.
 */
export const CardVerdict = z.enum(['better', 'no-better']);
export type CardVerdict = z.infer<typeof CardVerdict>;

/** Metric values (NME, FR@10%, AUC, accuracy, ...) and the data they were measured on. */
export const CardMetrics = z
  .object({
    /** e.g. `test split of project "helen"`, `validation split`. */
    data: z.string().max(500),
    /** The faces every figure here rests on (the model's and the baseline's alike). */
    faces: z.number().int().nonnegative(),
    values: z.record(z.string(), z.number()),
    /** The baseline on the same faces; absent on cards written before baselines (v1, v2). */
    baseline: CardBaseline.optional(),
    verdict: CardVerdict.optional(),
    /**
     * Distinct people among `faces`, when the project knows subjects; `sharedSubjects` of them
     * also have faces in the training split (0 when held out by subject).
     */
    subjects: z.number().int().nonnegative().optional(),
    sharedSubjects: z.number().int().nonnegative().optional(),
  })
  .strict();
export type CardMetrics = z.infer<typeof CardMetrics>;

/** Which box a head's crops are cut from: the labelled points' box, or a face detection. */
export const CropBoxSource = z.enum(['landmarks', 'detection']);
export type CropBoxSource = z.infer<typeof CropBoxSource>;

/**
 * How a backbone-headed model cuts every face, so training, eval, predict, pre-label and the
 * exported graph cut alike (engine/landmarks/head-crop-record.ts builds and applies it).
 */
export const HeadCropRecord = z
  .object({
    /** The backbone whose crop policy this is (`FaceBackbone.id`). */
    backbone: z.string().min(1),
    /** Square side the model's graph takes, px. */
    inputSize: z.number().int().positive(),
    policy: CropPolicy,
    /** Crop side ÷ landmarks' box side that the policy amounts to (FaceMesh 1.6). */
    scaleOfLandmarkExtent: z.number().positive(),
    /** Which box the training crops came from. */
    trainedOn: CropBoxSource,
    /** Which box predict, pre-label and eval start from. */
    inference: CropBoxSource,
    /**
     * Landmark models: after a first prediction on the inference box, cut the face again around
     * the predicted points (as training cut it around the labelled ones) and predict again.
     */
    refine: z.enum(['none', 'predicted-landmarks']).default('none'),
    /**
     * With `refine`: cut again only a face whose first guess centres it off the first cut by more
     * than this fraction of the cut's side; the others keep the first cut, predicted with its
     * mirror. Absent: 0, every face is cut again.
     */
    recutBeyond: z.number().nonnegative().optional(),
    /** When inference finds no face: the whole image as the box, with a per-image note. */
    wholeImageFallback: z.boolean(),
  })
  .strict();
export type HeadCropRecord = z.infer<typeof HeadCropRecord>;

/** A frozen face backbone inside a model's graph, with what its weights require. */
export const CardBackbone = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    kind: z.enum(['geometry', 'appearance', 'learned']),
    /** Feature taps the head reads. */
    taps: z.array(z.string()),
    /** SPDX id of the weights' licence; `none` for the studio's own. */
    licence: z.string(),
    attribution: z.string(),
    /** npm package (with version) the weights came from; null when built by the studio. */
    package: z.string().nullable(),
    /** The notice shipped beside card.json in the model folder (e.g. `NOTICE-facemesh.txt`). */
    notice: z.string().nullable(),
  })
  .strict();
export type CardBackbone = z.infer<typeof CardBackbone>;

/**
 * A head fitted in closed form on frozen backbones (docs/ARCHITECTURE.md, "Backbones and tasks"):
 * which backbones, how faces are cut, and how the per-point uncertainty is calibrated.
 */
export const CardHead = z
  .object({
    method: z.literal('ridge'),
    backbones: z.array(CardBackbone).min(1),
    crop: HeadCropRecord,
    /**
     * Landmarks: σ² = a·s_j² + c·d², s_j the point's leave-one-out error (crop units), d the
     * distance between the face's and its mirror's prediction; fitted on held-out errors.
     */
    uncertainty: z
      .object({ a: z.number(), c: z.number(), pointError: z.array(z.number()) })
      .strict()
      .nullable(),
    /**
     * Landmarks: the learned refinement on a local feature map (`tap` of the head's backbone)
     * sampled at each first guess, and whether the head applies it (`applied`): it does when its
     * held-out mean point error (crop units, over `faces` training faces, each fold refitted
     * without them) beat the unrefined one's. Null or absent: none was fitted.
     */
    refinement: z
      .object({
        tap: z.string().min(1),
        applied: z.boolean(),
        unrefined: z.number().nonnegative(),
        refined: z.number().nonnegative(),
        faces: z.number().int().positive(),
      })
      .strict()
      .nullable()
      .optional(),
    /**
     * Attributes and expression: the taps (`<backbone>/<tap>`) each head reads of the graph's
     * features (every tap of `backbones`, side by side): the yes/no attributes' or expression
     * classes' classifier, and each one-of-N group by name (engine/attributes/
     * head-tap-selection.ts). The graph gives a head zero weight elsewhere. Absent: every head
     * reads every tap.
     */
    reads: z
      .object({
        classifier: z.array(z.string().min(1)).min(1),
        groups: z
          .array(
            z.object({ name: z.string().min(1), taps: z.array(z.string().min(1)).min(1) }).strict(),
          )
          .default([]),
      })
      .strict()
      .optional(),
  })
  .strict();
export type CardHead = z.infer<typeof CardHead>;

/** A one-of-N attribute (MTFL head pose) and its classes, as an attribute set declares it. */
export const CardClassGroup = z
  .object({ name: z.string().min(1), classes: z.array(z.string().min(1)).min(2) })
  .strict();
export type CardClassGroup = z.infer<typeof CardClassGroup>;

/**
 * Where a backbone trained outside the studio was trained: the PyTorch cluster recipe
 * (engine/torch/import-teacher.ts reads it from the teacher file). One segment per launch of the
 * recipe (a resume on another number of processes starts a new one).
 */
export const CardTrainingSegment = z
  .object({
    /** Rank 0's host name, and every host of the launch. */
    host: z.string(),
    hosts: z.array(z.string()),
    /** Processes (torchrun's world size). */
    worldSize: z.number().int().positive(),
    /** `nccl` on GPUs, `gloo` on CPUs. */
    backend: z.string(),
    /** The GPU's name, or `cpu`. */
    device: z.string(),
    torch: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    seconds: z.number().nonnegative(),
    fromStep: z.number().int().nonnegative(),
    toStep: z.number().int().nonnegative(),
  })
  .strict();
export type CardTrainingSegment = z.infer<typeof CardTrainingSegment>;

export const CardProvenance = z
  .object({
    trainer: z.literal('pytorch-recipe'),
    /** The teacher file it was imported from, and when. */
    file: z.string(),
    importedAt: z.string(),
    steps: z.number().int().nonnegative(),
    /** Training time over all segments. */
    seconds: z.number().nonnegative(),
    segments: z.array(CardTrainingSegment),
  })
  .strict();
export type CardProvenance = z.infer<typeof CardProvenance>;

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
    /**
     * Attributes models: the one-of-N attributes (MTFL `pose`), each with its classes in output
     * order; the `attributes` output holds their probabilities after the yes/no ones. Absent: none.
     */
    groups: z.array(CardClassGroup).optional(),
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
     * 0.5) / size); attributes `[batch, A + ΣC]` probabilities (each yes/no attribute's, then each
     * one-of-N group's classes, summing to 1 per group); expression `[batch, C]` probabilities;
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
    /** A closed-form head on frozen face backbones; absent for a fine-tuned ViT. */
    head: CardHead.optional(),
    /** The resolved training config (every default filled in). */
    config: z.record(z.string(), z.unknown()),
    /** The run that produced it. */
    runId: z.string().nullable(),
    /** Backbones trained outside the studio (the PyTorch recipe): where, how long, on what. */
    provenance: CardProvenance.optional(),
  })
  .strict();
export type ModelCard = z.infer<typeof ModelCard>;
