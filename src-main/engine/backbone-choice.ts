/**
 * How a training config names its backbone: a DESIGN §3 preset plus optional overrides (tests use
 * a smaller model). Shared by the pre-training and fine-tuning configs so both read the same keys.
 */
import { z } from 'zod';

export const backboneChoiceSchema = z
  .object({
    preset: z.enum(['tiny', 'small', 'base']).default('tiny'),
    imageSize: z.number().int().positive().optional(),
    patchSize: z.number().int().positive().optional(),
    dim: z.number().int().positive().optional(),
    depth: z.number().int().positive().optional(),
    heads: z.number().int().positive().optional(),
    mlpRatio: z.number().int().positive().optional(),
  })
  .strict()
  .default({ preset: 'tiny' });
