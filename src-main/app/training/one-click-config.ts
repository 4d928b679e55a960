/**
 * The config behind the Train view's one-click button, and how a run's config is put together
 * from it: `training:start` receives only the keys the user changed in the Advanced form and lays
 * them over these defaults.
 *
 * The aim is a useful model in minutes on the slowest backend the studio ships with (wasm, 2
 * CPU cores, the tiny preset), sized to the project: the number of passes follows from a time
 * budget and the number of faces, using throughputs measured on this kind of machine. Every task
 * fits a head in closed form on frozen face backbones (`method: 'backbone-head'`): landmarks on
 * FaceMesh, 4.0–4.6% NME on HELEN from 100 faces where the ViT heatmap head reached 10–12%, in a
 * minute or two; attributes ridge classifiers on face-api age-gender + mini-Xception (yes/no)
 * and FaceMesh points (one-of-N groups such as pose), expression on mini-Xception + FaceMesh
 * (engine/jobs/class-head-job.ts).
 *
 * The Train view's `training:start` and the CLI's `finetune` without `--config` both build their
 * run's config with `oneClickFinetuneInput`, so the two train the same model.
 */
import { DEFAULT_FACE_BACKBONES } from '../../engine/backbones/backbone-registry';
import { FACE_BACKBONE_IDS } from '../../engine/backbones/load-face-backbone';
import { readComparison } from '../../engine/jobs/run-folder';
import { parsePretrainConfig, type PretrainConfig } from '../../engine/pretrain/pretrain-config';
import { parseFinetuneConfig, type FinetuneConfig } from '../../engine/finetune/finetune-config';
import type { ProjectStore } from '../../core/project-store';
import type { FinetuneTaskName, TrainingKind } from '../../shared/training';
import { pretrainSourceCount } from './pretrain-sources';

export type ConfigObject = Record<string, unknown>;

/** What the defaults depend on, counted from the open project. */
export interface ProjectCounts {
  /** Images pre-training learns from (pool and train, less those curated as no-face). */
  pretrainImages: number;
  /** Labelled faces of the train split (fine-tuning's training data). */
  labelledTrainFaces: number;
}

/** The counts the one-click defaults are sized by, from a project (none open: zeros). */
export function projectCounts(store: ProjectStore | null): ProjectCounts {
  if (!store) return { pretrainImages: 0, labelledTrainFaces: 0 };
  let labelledTrainFaces = 0;
  for (const image of store.listImages()) {
    if (image.split === 'train' && store.getFace(image.id) !== null) labelledTrainFaces += 1;
  }
  return { pretrainImages: pretrainSourceCount(store.listImages()), labelledTrainFaces };
}

/**
 * Pre-training: 2 data-parallel workers on wasm do ≈ 3 images/s for the tiny preset at batch 32
 * (research/PRETRAIN_NOTES.md: 2.84–3.09 img/s, 1.66× one worker), so ~15 minutes see ≈ 2,700
 * images. Passes over the pool are sized to that (at least one: a pool larger than the budget
 * takes proportionally longer; the ETA says so).
 */
const PRETRAIN_BUDGET_IMAGES = 2700;
/**
 * Fine-tuning a head on cached tokens of a frozen backbone: 100 HELEN faces × 30 epochs with a
 * 5×5 token window took ≈ 2.3 CPU-minutes on a 2-core machine and reached 10.5–10.8% NME
 * (tests/engine/finetune/landmarks-real-data.test.ts), i.e. ≈ 22 face passes/s; ~10 minutes ≈
 * 13,000 face passes.
 */
const FINETUNE_BUDGET_FACE_PASSES = 13_000;

/**
 * The winner of the project's last backbone comparison for a fine-tuning task, or null. A
 * comparison file that cannot be read counts as none: the Models view names its problem, and
 * one-click keeps the task's default.
 */
export async function comparisonWinner(
  projectDir: string | null,
  task: FinetuneTaskName,
): Promise<string | null> {
  if (!projectDir) return null;
  const comparison = await readComparison(projectDir, task).catch(() => null);
  return comparison?.winner ?? null;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

export function oneClickPretrainConfig(counts: ProjectCounts): PretrainConfig {
  const images = Math.max(1, counts.pretrainImages);
  const epochs = clamp(Math.round(PRETRAIN_BUDGET_IMAGES / images), 1, 100);
  return parsePretrainConfig({
    model: { preset: 'tiny' },
    // A pool smaller than a batch would give no step at all: the batch shrinks to the pool.
    batchSize: clamp(images, 2, 32),
    // Both cores: wasm threads are off in Node, worker threads are how the second core helps.
    workers: 2,
    epochs,
    // DINO warms up over 10% of training (10 of 100 epochs); keep that share for short runs,
    // or the learning rate never reaches its peak.
    warmupEpochs: epochs / 10,
    // DINO freezes the prototypes for the first of 100 epochs; in a run of a few epochs that
    // would be most of it.
    freezePrototypesEpochs: epochs >= 10 ? 1 : 0,
    // A step takes ~10 s here: checkpoint every ~4 minutes, so pause, a crash or cancel loses
    // little (the default 500 steps would be over an hour).
    checkpointEvery: 25,
  });
}

/**
 * The backbones one-click fits on for `task`, given the comparison's winner (null: none).
 * Landmarks: the winner alone (the landmark head reads one backbone). Attributes and expression:
 * the task's default with the winner added when it is not among them — never the winner alone:
 * the comparison scores one backbone at a time, and one backbone alone falls below the default
 * (the age-gender net wins MTFL male but alone scores smiling 68.6% where the default scores
 * 83.5%, research/APPEARANCE_NOTES.md), while the default's heads each read their own taps of
 * every backbone (engine/attributes/head-tap-selection.ts). A winner that cannot be exported
 * inside the model (a ViT) leaves the default.
 */
export function oneClickBackbones(task: FinetuneTaskName, bestBackbone: string | null): string[] {
  const defaults = [...DEFAULT_FACE_BACKBONES[task]];
  if (!bestBackbone || !FACE_BACKBONE_IDS.includes(bestBackbone)) return defaults;
  if (task === 'landmarks') return [bestBackbone];
  return defaults.includes(bestBackbone) ? defaults : [...defaults, bestBackbone];
}

/**
 * `bestBackbone`: the winner of the project's last backbone comparison for `task` (Models:
 * compare backbones), or null when there is none.
 */
export function oneClickFinetuneConfig(
  task: FinetuneTaskName,
  counts: ProjectCounts,
  bestBackbone: string | null = null,
): FinetuneConfig {
  const faces = Math.max(1, counts.labelledTrainFaces);
  return parseFinetuneConfig({
    task,
    // Every task: a ridge head on frozen face backbones (seconds to fit, usable from 5–10 faces),
    // reading the backbone that did best on this project's own faces (Models: compare backbones)
    // when it can be exported (see `oneClickBackbones`), else the task's default. The gradient
    // recipe below stays filled in, so switching `method` to `gradient` in the Advanced form
    // trains the measured ViT recipe.
    method: 'backbone-head',
    faceBackbones: oneClickBackbones(task, bestBackbone),
    model: { preset: 'tiny' },
    // The only setting measured to train enough steps in minutes on wasm: a frozen backbone
    // whose tokens are computed once per face, so a step costs only the head (~10× faster).
    // It needs flip-only augmentation (see `resolveRunConfig`).
    trainableBlocks: 0,
    cacheBackboneTokens: true,
    augment: { flip: 0.5, rotation: 0, scale: [1, 1], shift: 0, colour: 0 },
    // The measured recipe (10.5–10.8% NME on HELEN from 100 faces): small batches, a high head
    // learning rate (only the head trains), softer heatmaps with a heatmap loss beside L1, and
    // a 5×5 window of tokens (projected to 32 channels) for each heatmap cell. A tiny labelled set
    // shrinks the batch so the 90% left after holding out validation faces still fills one.
    batchSize: clamp(Math.floor(faces * 0.9), 1, 8),
    headLr: 1e-2,
    warmupEpochs: 2,
    landmarkHead: { temperature: 2, heatmapLossWeight: 0.5, context: 5, contextChannels: 32 },
    epochs: clamp(Math.round(FINETUNE_BUDGET_FACE_PASSES / faces), 10, 60),
    patience: 10,
  });
}

/** The one-click config of a kind of run, every default filled in (no checkpointDir: main's). */
export function oneClickConfig(
  kind: TrainingKind,
  task: FinetuneTaskName | undefined,
  counts: ProjectCounts,
  bestBackbone: string | null = null,
): ConfigObject {
  return kind === 'pretrain'
    ? oneClickPretrainConfig(counts)
    : oneClickFinetuneConfig(task ?? 'landmarks', counts, bestBackbone);
}

function isPlainObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `changes` laid over `base`: nested objects merge key by key; anything else is replaced. */
export function mergeConfig(base: ConfigObject, changes: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

const FLIP_ONLY = { rotation: 0, shift: 0, colour: 0 } as const;

/** Whether a fine-tuning config keeps what the token cache needs (finetune.ts checks it too). */
function cacheAllowed(config: ConfigObject): boolean {
  if (config.trainableBlocks !== 0) return false;
  const augment = isPlainObject(config.augment) ? config.augment : {};
  const scale = augment.scale;
  return (
    Object.entries(FLIP_ONLY).every(([key, value]) => augment[key] === value) &&
    Array.isArray(scale) &&
    scale[0] === 1 &&
    scale[1] === 1
  );
}

/**
 * The config a run starts with: the user's changes over the one-click defaults. The defaults turn
 * the token cache on because they are flip-only with a frozen backbone; a user who then unfreezes
 * blocks or adds augmentation has not asked for the cache, so it goes off rather than failing the
 * run. A cache the user turned on explicitly stays, and fails by name if it cannot hold.
 */
export function resolveRunConfig(
  kind: TrainingKind,
  defaults: ConfigObject,
  changes: ConfigObject,
): ConfigObject {
  const merged = mergeConfig(defaults, changes);
  if (
    kind === 'finetune' &&
    merged.cacheBackboneTokens === true &&
    !Object.hasOwn(changes, 'cacheBackboneTokens') &&
    !cacheAllowed(merged)
  ) {
    merged.cacheBackboneTokens = false;
  }
  return merged;
}

/**
 * A fine-tuning run's config input as the one-click button starts it: the user's `changes` (the
 * Advanced form's, or the CLI's `--set`) over the one-click defaults for the project, with the
 * task. A run from a pre-trained ViT backbone trains that ViT (`method: 'gradient'`) with its
 * model shape, unless the changes name a method or a model. Parse it with `resolveFinetuneConfig`.
 */
export function oneClickFinetuneInput(
  task: FinetuneTaskName,
  counts: ProjectCounts,
  changes: ConfigObject,
  fromBackbone: boolean,
  bestBackbone: string | null = null,
): ConfigObject {
  const input = resolveRunConfig(
    'finetune',
    oneClickFinetuneConfig(task, counts, bestBackbone),
    changes,
  );
  input.task = task;
  if (fromBackbone && !Object.hasOwn(changes, 'model')) delete input.model;
  // A run started from the lab's own pre-trained ViT trains that ViT: the face-backbone head
  // would leave the chosen backbone unused.
  if (fromBackbone && !Object.hasOwn(changes, 'method')) {
    input.method = 'gradient';
    input.faceBackbones = null;
  }
  return input;
}
