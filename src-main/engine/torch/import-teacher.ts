/**
 * Brings a teacher trained by the cluster recipe back (docs/ARCHITECTURE.md, "Training recipe"):
 * `face-studio import-backbone FILE.safetensors --project P` reads train.py's teacher file, checks
 * it whole (its metadata, and every ViT tensor of the model it names, by name, dtype and shape)
 * before anything is written, and saves it as models/<id>/ with task `backbone`
 * (export/saved-backbone.ts), its card recording where, how long and on how many processes it was
 * trained. From then on it is a backbone like one pre-trained in the studio: fine-tuning's
 * backbone list and the backbone comparison offer it as `pros-vit:<id>`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StudioError } from '../../shared/errors';
import type { CardProvenance, ModelCard } from '../../shared/model-card';
import { CardTrainingSegment } from '../../shared/model-card';
import { ModelId } from '../../shared/training';
import { PROS_VIT_PREFIX } from '../backbones/backbone-registry';
import { exportBackbone } from '../export/saved-backbone';
import { newRunId } from '../jobs/run-folder';
import { layoutOf } from '../model/params';
import { vitParamSpecs, type VitConfig } from '../model/vit';
import { readSafetensors } from './safetensors';

/** A metadata value that is JSON text holding `schema`. */
function jsonText<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const Count = z.coerce.number().int().nonnegative();

const VitShape = z
  .object({
    imageSize: z.number().int().positive(),
    patchSize: z.number().int().positive(),
    dim: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlpRatio: z.number().int().positive(),
  })
  .strict();

/** What train.py writes into the teacher's `__metadata__` (all values are strings there). */
const TeacherMetadata = z.object({
  format: z.literal('face-studio-teacher'),
  version: z.literal('1'),
  vit: jsonText(VitShape),
  config: jsonText(z.record(z.string(), z.unknown())),
  step: Count,
  faces: Count,
  finalLoss: jsonText(z.number().nullable()),
  project: jsonText(z.string().nullable()),
  segments: jsonText(z.array(CardTrainingSegment).min(1)),
  seconds: z.coerce.number().nonnegative(),
});

export interface ImportTeacherOptions {
  /** The project's models/ folder. */
  modelsDir: string;
  /** The model id (a folder name); default `torch-<date>-<time>-<random>`. */
  id?: string;
  projectDir: string | null;
}

export interface ImportedTeacher {
  modelId: string;
  modelDir: string;
  /** How fine-tuning and the comparison name it. */
  backboneId: string;
  vit: VitConfig;
  provenance: CardProvenance;
}

/** The teacher file's ViT weights as one flat array in the engine's layout, checked whole. */
function flatWeights(
  file: string,
  vit: VitConfig,
  tensors: Map<string, { shape: number[]; values: Float32Array }>,
): Float32Array {
  const layout = layoutOf(vitParamSpecs(vit));
  const flat = new Float32Array(layout.total);
  for (const e of layout.entries) {
    const t = tensors.get(e.name);
    if (!t)
      throw new StudioError(
        'invalid-payload',
        `${file}: tensor ${e.name} is missing (the ViT its metadata names needs it)`,
      );
    if (t.shape.join() !== e.shape.join())
      throw new StudioError(
        'invalid-payload',
        `${file}: tensor ${e.name} is [${t.shape.join(', ')}], not [${e.shape.join(', ')}] as the ViT its metadata names`,
      );
    flat.set(t.values, e.offset);
  }
  const known = new Set(layout.entries.map((e) => e.name));
  const stray = [...tensors.keys()].filter((n) => !known.has(n) && !n.startsWith('head.'));
  if (stray.length > 0)
    throw new StudioError(
      'invalid-payload',
      `${file}: tensors ${stray.slice(0, 3).join(', ')} belong to no ViT of this shape`,
    );
  for (let i = 0; i < flat.length; i++)
    if (!Number.isFinite(flat[i]))
      throw new StudioError('invalid-payload', `${file}: the weights hold ${flat[i]}`);
  return flat;
}

export async function importTeacher(
  file: string,
  options: ImportTeacherOptions,
): Promise<ImportedTeacher> {
  const source = path.resolve(file);
  const { metadata, tensors } = await readSafetensors(source);
  const meta = TeacherMetadata.safeParse(metadata);
  if (!meta.success) {
    const issue = meta.error.issues[0]!;
    throw new StudioError(
      'invalid-payload',
      `${source} is not a Face Studio teacher (train.py's): metadata ${issue.path.join('.') || '(all)'}: ${issue.message}`,
    );
  }
  const m = meta.data;
  const weights = flatWeights(source, m.vit, tensors);

  const modelId = options.id ?? newRunId('torch');
  if (!ModelId.safeParse(modelId).success)
    throw new StudioError(
      'invalid-payload',
      `Model id ${JSON.stringify(modelId)}: use up to 100 letters, digits, '.', '_' and '-' (it names a folder)`,
    );
  const modelDir = path.join(path.resolve(options.modelsDir), modelId);
  if (await stat(modelDir).catch(() => null))
    throw new StudioError('conflict', `${modelDir} already exists: import under another --id`);
  const provenance: CardProvenance = {
    trainer: 'pytorch-recipe',
    file: source,
    importedAt: new Date().toISOString(),
    steps: m.step,
    seconds: m.seconds,
    segments: m.segments,
  };
  const model = m.config.model as { preset?: unknown } | undefined;
  const preset = typeof model?.preset === 'string' ? model.preset : 'custom';
  const metrics: ModelCard['metrics'] =
    m.finalLoss === null
      ? []
      : [
          {
            data: 'training images (last pre-training step, PyTorch recipe)',
            faces: m.faces,
            values: { loss: m.finalLoss, steps: m.step },
          },
        ];
  await exportBackbone(modelDir, m.vit, weights, {
    id: modelId,
    preset,
    runId: null,
    config: m.config,
    data: { project: m.project ?? options.projectDir, train: m.faces, val: 0, test: 0 },
    metrics,
    provenance,
  });
  return {
    modelId,
    modelDir,
    backboneId: `${PROS_VIT_PREFIX}${modelId}`,
    vit: m.vit,
    provenance,
  };
}
