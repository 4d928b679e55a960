/**
 * The pre-training job's hyper-parameters (docs/ARCHITECTURE.md, "Training recipe"): one typed
 * object, every field with a default and a description (`.describe`, so the comments are data:
 * `pretrainConfigComments` writes them beside a run's config). Parsing is strict: an unknown key or
 * a wrong type throws a StudioError naming the key. The resolved config is saved with every
 * checkpoint.
 */
import { z } from 'zod';
import { backboneChoiceSchema } from '../model/backbone-choice';
import { parseStrictConfig } from '../strict-config';

const range = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

export const pretrainConfigSchema = z
  .object({
    model: backboneChoiceSchema.describe(
      'Backbone: a preset name plus optional overrides (tests use a smaller model).',
    ),
    headHidden: z
      .number()
      .int()
      .positive()
      .default(2048)
      .describe('Head MLP hidden width (DINO: 2048).'),
    headBottleneck: z
      .number()
      .int()
      .positive()
      .default(256)
      .describe('Head bottleneck width before the prototypes (DINO: 256).'),
    prototypes: z
      .number()
      .int()
      .positive()
      .default(4096)
      .describe('Number of prototypes K (ProS/faces: 4096).'),
    seed: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Seed of every random choice (init, data order, augmentations).'),
    epochs: z.number().int().positive().default(100).describe('Passes over the data.'),
    maxSteps: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Stop after this many steps (benchmarks, tests); 0 = run all epochs. Schedules still span all epochs.',
      ),
    batchSize: z.number().int().min(2).default(32).describe('Source images per step.'),
    localCrops: z
      .number()
      .int()
      .min(0)
      .max(12)
      .default(6)
      .describe('Local crops per image (L); 0 trains on the two global crops only.'),
    localSize: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Side of the local crops in pixels, a multiple of the patch size; 0 = input·96/224 rounded down to the patch size (24 px for tiny, but a single 8 px patch at 32 px input).',
      ),
    globalScale: range.default([0.35, 1.0]).describe('Area fraction range of global crops.'),
    localScale: range.default([0.05, 0.35]).describe('Area fraction range of local crops.'),
    colourJitter: z
      .number()
      .min(0)
      .max(2)
      .default(1)
      .describe(
        "Strength of the colour jitter as a multiple of DINO's (brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1); 0 keeps the colours.",
      ),
    solarize: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Probability of solarising the second global view.'),
    studentTemperature: z
      .number()
      .positive()
      .default(0.1)
      .describe('Student softmax temperature τs.'),
    teacherTemperature: z
      .number()
      .positive()
      .default(0.04)
      .describe(
        'Teacher temperature τt at the start, warmed up linearly to `teacherTemperatureFinal`.',
      ),
    teacherTemperatureFinal: z
      .number()
      .positive()
      .default(0.07)
      .describe('Teacher temperature after warm-up.'),
    teacherTemperatureWarmup: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('Fraction of training over which τt warms up (0–1).'),
    centerMomentum: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('Centre momentum: c ← m·c + (1 − m)·batch mean.'),
    lr: z
      .number()
      .positive()
      .default(5e-4)
      .describe('Peak learning rate per 256 images; the peak used is lr·batchSize/256.'),
    minLr: z
      .number()
      .nonnegative()
      .default(1e-6)
      .describe('Final learning rate of the cosine schedule.'),
    warmupEpochs: z
      .number()
      .nonnegative()
      .default(10)
      .describe('Linear learning-rate warm-up, in epochs (DINO: 10 of 100).'),
    weightDecay: z
      .number()
      .nonnegative()
      .default(0.04)
      .describe(
        'Weight decay at the start (cosine to `weightDecayEnd`); biases and norms never decay.',
      ),
    weightDecayEnd: z.number().nonnegative().default(0.4).describe('Weight decay at the end.'),
    gradClip: z
      .number()
      .nonnegative()
      .default(3.0)
      .describe('Per-tensor gradient norm clip; 0 = off.'),
    freezePrototypesEpochs: z
      .number()
      .int()
      .nonnegative()
      .default(1)
      .describe('Epochs during which the prototype layer is frozen (DINO: 1).'),
    momentum: z
      .number()
      .min(0)
      .max(1)
      .default(0.996)
      .describe('Teacher EMA momentum at the start (cosine to 1).'),
    momentumEnd: z.number().min(0).max(1).default(1.0).describe('Teacher EMA momentum at the end.'),
    koleoWeight: z
      .number()
      .nonnegative()
      .default(0)
      .describe(
        "Weight of the KoLeo regulariser on the student's CLS features; 0 = off (ProS option: 0.1).",
      ),
    microBatch: z
      .number()
      .int()
      .nonnegative()
      .default(16)
      .describe(
        "Images per forward/backward chunk within a worker; gradients accumulate over chunks. Caps peak memory (wasm's heap is 4 GB at most: batch 32 with 6 locals in one chunk needs ~4 GB); 0 = a worker's whole share at once.",
      ),
    checkpointDir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder for checkpoints; none = no checkpoints.'),
    checkpointEvery: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe('Save a checkpoint every N steps (and at cancel).'),
    workers: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe(
        'Data-parallel worker threads splitting each batch (1 = in this thread; 2 uses both cores of a 2-core machine with wasm, whose own threads are off in Node). Ignored on native backends.',
      ),
  })
  .strict();

export type PretrainConfig = z.infer<typeof pretrainConfigSchema>;
export type PretrainConfigInput = z.input<typeof pretrainConfigSchema>;

export function parsePretrainConfig(input: unknown): PretrainConfig {
  return parseStrictConfig(pretrainConfigSchema, input, 'pre-training config');
}

/** Each top-level key's description, for config.json readers (the run folder writes them). */
export function pretrainConfigComments(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(pretrainConfigSchema.shape).map(([key, schema]) => [
      key,
      schema.description ?? '',
    ]),
  );
}
