/**
 * A run's config on its way to the trainer (docs/ARCHITECTURE.md, "Data flows"): parsed once where
 * it enters — the Train view's `training:start` handler or the `pretrain`/`finetune` command — and
 * passed down typed. The training process validates what crosses its process boundary once
 * (workers/training-process.ts); a resumed run's saved config.json is parsed once by its job. Nothing parses it
 * in between: the jobs and the training loops take the typed config.
 */
import type { ModelCard } from '../../shared/model-card';
import { backboneModelChoice } from '../export/backbone-shape';
import { parseFinetuneConfig, type FinetuneConfig } from '../finetune/finetune-config';
import type { PretrainConfig } from '../pretrain/pretrain-config';
import type { VitConfig } from '../model/vit';

export type RunConfig = PretrainConfig | FinetuneConfig;

/** A new run starts from a resolved config; a resumed one from its saved config with changes. */
export type RunStart<C extends RunConfig> =
  | { resume?: false; config: C }
  | {
      resume: true;
      /** Keys laid over the run's saved config.json (a CLI `--set`); often none. */
      config: Record<string, unknown>;
    };

/** The backbone a fine-tuning run starts from: its card, and its weights' ViT when known. */
export interface RunBackbone {
  card: Pick<ModelCard, 'backbone' | 'config'>;
  vit: VitConfig | null;
}

/**
 * A fine-tuning run's config from its input: a run from a backbone that names no model takes the
 * backbone's shape (backbone-shape.ts); then parsed, a bad key or type failing by name.
 */
export function resolveFinetuneConfig(
  input: Record<string, unknown>,
  backbone: RunBackbone | null,
): FinetuneConfig {
  const model =
    input.model === undefined && backbone
      ? backboneModelChoice(backbone.card, backbone.vit)
      : undefined;
  return parseFinetuneConfig(model === undefined ? input : { ...input, model });
}
