/**
 * "Use the backbone's model shape": a fine-tuning run that starts from a backbone and names no
 * model of its own takes the backbone's, since the weights only fit the shape they were trained
 * with. This is the one rule, used where a run's config enters (the Train view's start, the
 * `finetune` command; see engine/jobs/run-config.ts). Light on purpose: it reads model.json's
 * metadata and the card, never the weights, so main can use it without TensorFlow.js.
 */
import { z } from 'zod';
import type { ModelCard } from '../../shared/model-card';
import { readModelJson } from './model-folder';
import type { VitConfig } from '../model/vit';

const Vit = z.object({
  imageSize: z.number().int().positive(),
  patchSize: z.number().int().positive(),
  dim: z.number().int().positive(),
  depth: z.number().int().positive(),
  heads: z.number().int().positive(),
  mlpRatio: z.number().positive(),
});

/**
 * The ViT a model folder's weights were saved with, from its model.json (a graph model's Face
 * Studio metadata, or a first-format backbone's `vit`); null when model.json does not say.
 */
export async function readBackboneVit(dir: string): Promise<VitConfig | null> {
  const modelJson = (await readModelJson(dir)) as {
    vit?: unknown;
    userDefinedMetadata?: { faceStudio?: { vit?: unknown } };
  };
  const vit = Vit.safeParse(modelJson.vit ?? modelJson.userDefinedMetadata?.faceStudio?.vit);
  return vit.success ? vit.data : null;
}

/**
 * The fine-tuning `model` choice of a backbone: its preset with every size of the ViT its weights
 * were saved with (exact); when the weights' shape is not known, the model its card says it was
 * trained with; undefined when neither says.
 */
export function backboneModelChoice(
  card: Pick<ModelCard, 'backbone' | 'config'>,
  vit: VitConfig | null,
): Record<string, unknown> | undefined {
  if (vit) {
    const preset = card.backbone.preset;
    return { preset: ['tiny', 'small', 'base'].includes(preset) ? preset : 'tiny', ...vit };
  }
  const model = card.config.model;
  return typeof model === 'object' && model !== null && !Array.isArray(model)
    ? (model as Record<string, unknown>)
    : undefined;
}
