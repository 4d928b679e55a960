/**
 * The fine-tuning job's hyper-parameters (docs/ARCHITECTURE.md, "Training recipe"): one typed
 * object, every field with a default and a comment. Parsing is strict: an unknown key or a wrong
 * type throws a StudioError naming the key. The resolved config is saved with every checkpoint and
 * returned with the result.
 */
import { z } from 'zod';
import { backboneChoiceSchema } from '../model/backbone-choice';
import { parseStrictConfig } from '../strict-config';

export const finetuneConfigSchema = z
  .object({
    /** What the head predicts: landmark heatmaps, binary attributes, or one expression class. */
    task: z
      .enum(['landmarks', 'attributes', 'expression'])
      .describe(
        'What the head predicts: landmark heatmaps, binary attributes, or one expression class.',
      ),
    /** How the model is made. `backbone-head`: a head fitted in closed form (ridge, λ by
     * leave-one-out) on frozen face backbones shipped with the app — FaceMesh for landmarks, an
     * appearance backbone beside FaceMesh for attributes and expression; seconds to fit, usable
     * from 5–10 faces. `gradient`: a head (and optionally blocks) of the studio's own ViT trained
     * by gradient descent, from scratch or from a pre-trained backbone. */
    method: z
      .enum(['backbone-head', 'gradient'])
      .default('gradient')
      .describe(
        "How the model is made. `backbone-head`: a head fitted in closed form (ridge, λ by leave-one-out) on frozen face backbones shipped with the app — FaceMesh for landmarks, an appearance backbone beside FaceMesh for attributes and expression; seconds to fit, usable from 5–10 faces. `gradient`: a head (and optionally blocks) of the studio's own ViT trained by gradient descent, from scratch or from a pre-trained backbone.",
      ),
    /** `backbone-head` only: the face backbones (ids) the head reads; null = the task's
     * default (landmarks: facemesh; attributes and expression: the appearance backbone and
     * facemesh). */
    faceBackbones: z
      .array(z.string().min(1))
      .min(1)
      .nullable()
      .default(null)
      .describe(
        "`backbone-head` only: the face backbones (ids) the head reads; null = the task's default (landmarks: facemesh; attributes and expression: the appearance backbone and facemesh).",
      ),
    /** Also learn from points a model or template placed that no person has confirmed (and
     * score on them). Off by default: an unchecked guess taught as a label teaches the model its
     * own mistakes, and a face with such points is left out of training and evaluation. */
    includeUnconfirmed: z
      .boolean()
      .default(false)
      .describe(
        'Also learn from points a model or template placed that no person has confirmed (and score on them). Off by default: an unchecked guess taught as a label teaches the model its own mistakes, and a face with such points is left out of training and evaluation.',
      ),
    /** Backbone: a preset name plus optional overrides (tests use a smaller model). Must match
     * the given backbone weights, if any. */
    model: backboneChoiceSchema.describe(
      'Backbone: a preset name plus optional overrides (tests use a smaller model). Must match the given backbone weights, if any.',
    ),
    /** Seed of every random choice (head init, fresh backbone init, data order, augmentation). */
    seed: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Seed of every random choice (head init, fresh backbone init, data order, augmentation).',
      ),
    /** Passes over the training split. */
    epochs: z.number().int().positive().default(60).describe('Passes over the training split.'),
    /** Stop after this many steps (tests, benchmarks); 0 = all epochs. Schedules span all epochs. */
    maxSteps: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Stop after this many steps (tests, benchmarks); 0 = all epochs. Schedules span all epochs.',
      ),
    /** Faces per optimiser step (the last partial batch of an epoch is dropped). */
    batchSize: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe('Faces per optimiser step (the last partial batch of an epoch is dropped).'),
    /** Peak learning rate of the head (after warm-up; cosine to `minLrFactor`·peak). 1e-3 (the
     * default) when backbone blocks train too, typical 1e-4–3e-3; 1e-2 when only the head trains
     * (a frozen backbone, `trainableBlocks` 0: the one-click recipe, research/FEWSHOT_NOTES.md). */
    headLr: z
      .number()
      .positive()
      .default(1e-3)
      .describe(
        'Peak learning rate of the head (after warm-up; cosine to `minLrFactor`·peak). With backbone blocks training too: 1e-4–3e-3 (1e-3 here). With a frozen backbone (`trainableBlocks` 0, as one-click trains) only the head learns: 1e-2, the measured best. `gradient` only.',
      ),
    /** Peak learning rate of the backbone's last block; deeper layers get layer-wise decay. */
    backboneLr: z
      .number()
      .nonnegative()
      .default(2e-4)
      .describe(
        "Peak learning rate of the backbone's last block; deeper layers get layer-wise decay.",
      ),
    /** Layer-wise lr decay: block i of d gets backboneLr·decay^(d − 1 − i); embeddings one step
     * further (BEiT/MAE fine-tuning). 1 = the same rate everywhere. */
    layerDecay: z
      .number()
      .positive()
      .max(1)
      .default(0.75)
      .describe(
        'Layer-wise lr decay: block i of d gets backboneLr·decay^(d − 1 − i); embeddings one step further (BEiT/MAE fine-tuning). 1 = the same rate everywhere.',
      ),
    /** Backbone blocks trained, counted from the top; the rest (and the embeddings, unless all
     * blocks train) stay frozen. null = all; 0 = a frozen backbone (head only, fastest). */
    trainableBlocks: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .default(null)
      .describe(
        'Backbone blocks trained, counted from the top; the rest (and the embeddings, unless all blocks train) stay frozen. null = all; 0 = a frozen backbone (head only, fastest).',
      ),
    /** Decoupled weight decay on matrices (never biases, norms). */
    weightDecay: z
      .number()
      .nonnegative()
      .default(0.05)
      .describe('Decoupled weight decay on matrices (never biases, norms).'),
    /** Final learning rate factor of the cosine, relative to each group's peak. */
    minLrFactor: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe("Final learning rate factor of the cosine, relative to each group's peak (0–1)."),
    /** Linear warm-up, in epochs. */
    warmupEpochs: z
      .number()
      .nonnegative()
      .default(2)
      .describe('Linear learning-rate warm-up, in epochs.'),
    /** Per-tensor gradient norm clip; 0 = off. */
    gradClip: z
      .number()
      .nonnegative()
      .default(3.0)
      .describe('Per-tensor gradient norm clip; 0 = off.'),
    /** Stop when the validation metric has not improved for this many epochs; 0 = never. */
    patience: z
      .number()
      .int()
      .nonnegative()
      .default(10)
      .describe(
        'Stop when the validation metric has not improved for this many epochs; 0 = never.',
      ),
    /** Fraction of the training faces held out for validation when the data has no val split. */
    valFraction: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe(
        'Fraction of the training faces held out for validation when the data has no val split (0–0.5).',
      ),
    /** Augmentation of training batches (docs/ARCHITECTURE.md, "Training recipe"). */
    augment: z
      .object({
        /** Probability of a horizontal flip (landmark mirror pairs are swapped). */
        flip: z
          .number()
          .min(0)
          .max(1)
          .default(0.5)
          .describe('Probability of a horizontal flip (landmark mirror pairs are swapped).'),
        /** Rotation range ± in degrees (landmarks only). */
        rotation: z
          .number()
          .min(0)
          .max(180)
          .default(20)
          .describe('Rotation range ± in degrees (landmarks only).'),
        /** Zoom range (landmarks only). */
        scale: z
          .tuple([z.number().positive(), z.number().positive()])
          .default([0.9, 1.1])
          .describe('Zoom range [min, max] (landmarks only).'),
        /** Shift range ± as a fraction of the crop side (landmarks only). */
        shift: z
          .number()
          .min(0)
          .max(0.5)
          .default(0.05)
          .describe('Shift range ± as a fraction of the crop side (landmarks only).'),
        /** Colour jitter strength: brightness, contrast, saturation in 1 ± this. */
        colour: z
          .number()
          .min(0)
          .max(1)
          .default(0.2)
          .describe('Colour jitter strength: brightness, contrast, saturation in 1 ± this.'),
      })
      .strict()
      .default({ flip: 0.5, rotation: 20, scale: [0.9, 1.1], shift: 0.05, colour: 0.2 })
      .describe('Augmentation of training batches.'),
    /** Landmark head shape and loss. */
    landmarkHead: z
      .object({
        /** Channels after the first and second ×2 up-sampling. */
        channels: z
          .tuple([z.number().int().positive(), z.number().int().positive()])
          .default([64, 32])
          .describe('Channels after the first and second ×2 up-sampling.'),
        /** Softmax sharpness on the heatmap logits before soft-argmax. */
        temperature: z
          .number()
          .positive()
          .default(1)
          .describe('Softmax sharpness on the heatmap logits before soft-argmax.'),
        /** Weight of the heatmap cross-entropy added to the L1 coordinate loss; 0 = L1 only. */
        heatmapLossWeight: z
          .number()
          .nonnegative()
          .default(0)
          .describe(
            'Weight of the heatmap cross-entropy added to the L1 coordinate loss; 0 = L1 only.',
          ),
        /** σ of the target Gaussians, in heatmap cells. */
        heatmapSigma: z
          .number()
          .positive()
          .default(1)
          .describe('σ of the target Gaussians, in heatmap cells.'),
        /** Start the head's heatmap prior at the training faces' mean shape (else at the centre). */
        meanShapePrior: z
          .boolean()
          .default(true)
          .describe(
            "Start the head's heatmap prior at the training faces' mean shape (else at the centre).",
          ),
        /** Side of the token window the first up-sampling step sees: 1 = its own patch only,
         * 3 = the 3×3 patches around it (a 3×3 convolution on the token grid). Odd, 1–7. */
        context: z
          .number()
          .int()
          .min(1)
          .max(7)
          .refine((k) => k % 2 === 1, 'must be odd')
          .default(1)
          .describe(
            'Side of the token window the first up-sampling step sees: 1 = its own patch only, 3 = the 3×3 patches around it (a 3×3 convolution on the token grid). Odd, 1–7.',
          ),
        /** Tokens are first projected to this many channels, so a context window costs k²× these,
         * not k²× the token width; 0 = no projection. Typical 32–64. */
        contextChannels: z
          .number()
          .int()
          .nonnegative()
          .default(0)
          .describe(
            'Tokens are first projected to this many channels, so a context window costs k²× these, not k²× the token width; 0 = no projection. Typical 32–64.',
          ),
      })
      .strict()
      .default({
        channels: [64, 32],
        temperature: 1,
        heatmapLossWeight: 0,
        heatmapSigma: 1,
        meanShapePrior: true,
        context: 1,
        contextChannels: 0,
      })
      .describe('Landmark head shape and loss.'),
    /** Compute the frozen backbone's tokens once per face (and its mirror image) and train the
     * head on them: ~10× more steps per second. Needs `trainableBlocks: 0` and flip-only
     * augmentation (rotation 0, shift 0, scale [1, 1], colour 0). */
    cacheBackboneTokens: z
      .boolean()
      .default(false)
      .describe(
        "Compute the frozen backbone's tokens once per face (and its mirror image) and train the head on them: ~10× more steps per second. Needs `trainableBlocks: 0` and flip-only augmentation (rotation 0, shift 0, scale [1, 1], colour 0).",
      ),
    /** Faces per forward pass when evaluating. */
    evalBatchSize: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe('Faces per forward pass when evaluating.'),
    /** Folder for checkpoints; none = no checkpoints. */
    checkpointDir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder for checkpoints; none = no checkpoints.'),
  })
  .strict();

export type FinetuneConfig = z.infer<typeof finetuneConfigSchema>;
export type FinetuneConfigInput = z.input<typeof finetuneConfigSchema>;
export type FinetuneTask = FinetuneConfig['task'];

export function parseFinetuneConfig(input: unknown): FinetuneConfig {
  return parseStrictConfig(finetuneConfigSchema, input, 'fine-tuning config');
}
