/**
 * The Train view's pickers and what they send: the kind of run (pre-training or a fine-tuning
 * task), the backbone to start from, the model preset, the data each kind trains on, and the
 * `training:start` request they make together. Pure, so the choices are unit-tested.
 */
import type { BackendReport } from '$shared/domain';
import type { RequestOf } from '$shared/ipc-contract';
import type { FinetuneTaskName, ModelInfo, TrainingKind } from '$shared/training';
import { setAt, type ConfigObject } from './config-form';

export interface TaskChoice {
  id: 'pretrain' | `finetune-${FinetuneTaskName}`;
  kind: TrainingKind;
  task: FinetuneTaskName | null;
  label: string;
  /** The primary button's text. */
  action: string;
  /** One line on what it does, under the picker. */
  help: string;
}

/** In the order of the user's work: fine-tuning is the common case. */
export const TASK_CHOICES: readonly TaskChoice[] = [
  {
    id: 'finetune-landmarks',
    kind: 'finetune',
    task: 'landmarks',
    label: 'Fine-tune landmarks',
    action: 'Fine-tune',
    help: 'Heatmap head on the backbone; scored by NME (inter-ocular), failure rate and CED.',
  },
  {
    id: 'finetune-attributes',
    kind: 'finetune',
    task: 'attributes',
    label: 'Fine-tune attributes',
    action: 'Fine-tune',
    help: 'One yes/no output per attribute; scored by mean accuracy.',
  },
  {
    id: 'finetune-expression',
    kind: 'finetune',
    task: 'expression',
    label: 'Fine-tune expression',
    action: 'Fine-tune',
    help: 'One class per face; scored by accuracy and per-class recall.',
  },
  {
    id: 'pretrain',
    kind: 'pretrain',
    task: null,
    label: 'Pre-train a backbone',
    action: 'Pre-train',
    help: 'Self-supervised (ProS/DINO) on the pool and train images with a face; no labels needed.',
  },
];

export function taskChoice(id: string): TaskChoice {
  return TASK_CHOICES.find((c) => c.id === id) ?? TASK_CHOICES[0]!;
}

/** Tiny for CPU and tests, small and base for GPUs (docs/ARCHITECTURE.md, "Training recipe"). */
export const PRESETS = [
  { id: 'tiny', label: 'tiny — 64 px, dim 192, depth 6 (CPU)' },
  { id: 'small', label: 'small — 112 px, dim 384, depth 12 (GPU)' },
  { id: 'base', label: 'base — 224 px, dim 768, depth 12 (GPU)' },
] as const;
export type PresetId = (typeof PRESETS)[number]['id'];

export function isPreset(value: unknown): value is PresetId {
  return PRESETS.some((p) => p.id === value);
}

/** Backbone models on the shelf, newest first. */
export function backboneModels(models: readonly ModelInfo[]): ModelInfo[] {
  return models
    .filter((m) => m.task === 'backbone')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The picker's line for a backbone: its id, preset and what it was pre-trained on. */
export function backboneLabel(model: ModelInfo): string {
  const faces = model.card.data.train;
  return `${model.id} · ${model.card.backbone.preset} · ${faces} faces`;
}

/** Labelled faces per split, counted with `library:list` filters. */
export interface LabelledCounts {
  train: number;
  val: number;
  test: number;
  pool: number;
}

export interface DataSummary {
  /** One line per number shown. */
  lines: string[];
  /** Why the run cannot start, or null. */
  blocker: string | null;
}

/**
 * What a run would train on. Fine-tuning uses the labelled faces of train and val (test scores
 * the final model); with no val faces the engine holds some train faces out. Faces that need
 * review (points a model or template placed that no person confirmed) are counted apart: a run
 * leaves them out unless its config sets `includeUnconfirmed`. Pre-training uses the pool and
 * train images; labels are not needed.
 */
export function dataSummary(
  choice: TaskChoice,
  stats: { splits: { pool: number; train: number; val: number; test: number } } | null,
  labelled: LabelledCounts | null,
  review: LabelledCounts | null = null,
  includeUnconfirmed = false,
): DataSummary {
  if (choice.kind === 'pretrain') {
    if (!stats) return { lines: [], blocker: null };
    const images = stats.splits.pool + stats.splits.train;
    return {
      lines: [`${images} images (pool ${stats.splits.pool}, train ${stats.splits.train})`],
      blocker: images === 0 ? 'Import images into the pool or train split first.' : null,
    };
  }
  if (!labelled) return { lines: [], blocker: null };
  const toReview = (split: keyof LabelledCounts): string => {
    const n = review?.[split] ?? 0;
    if (n === 0) return '';
    return includeUnconfirmed
      ? `, ${n} need review (used: includeUnconfirmed is on)`
      : `, ${n} need review (left out until confirmed)`;
  };
  const lines = [
    `train ${labelled.train} labelled faces${toReview('train')}`,
    `val ${labelled.val} labelled faces${toReview('val')}${labelled.val === 0 ? ' (held out from train instead)' : ''}`,
    `test ${labelled.test} labelled faces${toReview('test')}${labelled.test === 0 ? ' (final metrics on val)' : ''}`,
  ];
  if (labelled.pool > 0) {
    lines.push(`pool ${labelled.pool} labelled faces not used: assign them a split in the Library`);
  }
  const blocker =
    labelled.train === 0
      ? 'No labelled faces in the train split: label some, or assign splits in the Library.'
      : null;
  return { lines, blocker };
}

/** The backend line and its reason, from `system:info` (docs/ARCHITECTURE.md, "Backends and speed"). */
export function backendSummary(
  backend: BackendReport | null,
  backendError: string | null,
): { name: string; why: string[] } {
  if (backendError) return { name: 'none', why: [`The training process failed: ${backendError}`] };
  if (!backend) return { name: 'starting…', why: ['The training process is choosing a backend.'] };
  const why = [
    backend.forced
      ? `${backend.name} is forced by FACE_STUDIO_BACKEND.`
      : `${backend.name} is the best backend that loaded.`,
    ...(backend.device ? [`It runs on ${backend.device}.`] : []),
    ...backend.skipped.map((s) => `${s.name} skipped: ${s.reason}`),
  ];
  return { name: backend.name, why };
}

/**
 * The request for a run. The preset goes in only from scratch: a pre-trained backbone fixes the
 * model's shape. `advanced` is the Advanced form's changed keys, when starting from there.
 */
export function startRequest(
  choice: TaskChoice,
  options: {
    backboneId: string | null;
    preset: PresetId;
    defaultPreset: PresetId;
    advanced?: ConfigObject;
  },
): RequestOf<'training:start'> {
  const config: ConfigObject = structuredClone(options.advanced ?? {});
  const fromScratch = choice.kind === 'pretrain' || options.backboneId === null;
  if (fromScratch && options.preset !== options.defaultPreset) {
    setAt(config, 'model.preset', options.preset);
  }
  const request: RequestOf<'training:start'> = {
    kind: choice.kind,
    backboneId: choice.kind === 'finetune' ? options.backboneId : null,
    config,
  };
  if (choice.task) request.task = choice.task;
  return request;
}
