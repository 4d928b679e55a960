/**
 * How a training config names its backbone: a DESIGN §3 preset plus optional overrides (tests use
 * a smaller model). Shared by the pre-training and fine-tuning configs so both read the same keys.
 */
import { z } from 'zod';

export const backboneChoiceSchema = z
  .object({
    preset: z
      .enum(['tiny', 'small', 'base'])
      .default('tiny')
      .describe(
        'Model size (DESIGN §3): tiny (64 px, CPU), small (112 px) or base (224 px) for GPUs.',
      ),
    imageSize: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Input side in pixels; none = the preset's."),
    patchSize: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Patch side in pixels; none = the preset's."),
    dim: z.number().int().positive().optional().describe("Token width; none = the preset's."),
    depth: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Transformer blocks; none = the preset's."),
    heads: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Attention heads per block; none = the preset's."),
    mlpRatio: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("MLP hidden width ÷ token width; none = the preset's."),
  })
  .strict()
  .default({ preset: 'tiny' });
