/**
 * How the Models view describes a model from its card (docs/ARCHITECTURE.md, "Files on disk"): what
 * it does, how good it is on which data, what it was trained on and from which backbone. Pure.
 */
import type { CardBaseline, ModelCard, ModelTask } from '$shared/model-card';
import { formatDuration } from '$shared/progress-text';
import type { ModelInfo } from '$shared/training';

const TASK_LABELS: Record<ModelTask, string> = {
  backbone: 'Backbone (pre-trained)',
  landmarks: 'Landmarks',
  attributes: 'Attributes',
  expression: 'Expression',
};

export function taskLabel(task: ModelTask): string {
  return TASK_LABELS[task];
}

/** Newest first, as the shelf lists them. */
export function sortModels(models: readonly ModelInfo[]): ModelInfo[] {
  return [...models].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The card's first metrics (held-out data, best first); null for a backbone without any. */
export function headlineMetrics(card: ModelCard): ModelCard['metrics'][number] | null {
  return card.metrics[0] ?? null;
}

/** The rule a baseline is, and what it was fitted on: `mean shape of 80 training faces`. */
export function baselineText(baseline: CardBaseline): string {
  const rule =
    baseline.rule === 'mean-shape'
      ? 'mean shape'
      : baseline.rule === 'majority-value'
        ? 'majority value of each attribute'
        : 'majority class';
  return `${rule} of ${baseline.fittedOn} training faces`;
}

/** Whether the card says its model is no better than its baseline. */
export function noBetter(card: ModelCard): boolean {
  return headlineMetrics(card)?.verdict === 'no-better';
}

/** `project "helen": 80 train · 10 val · 20 test faces`. */
export function trainedOn(card: ModelCard): string {
  const { project, train, val, test } = card.data;
  const where = project ? `project "${project}"` : 'an unnamed project';
  return `${where}: ${train} train · ${val} val · ${test} test faces`;
}

/**
 * Where a backbone trained outside the studio (the PyTorch cluster recipe) was trained, one
 * launch after another: `PyTorch recipe, 9000 steps in 6 h 00 min: 16 processes (NVIDIA H100) on
 * node-a + 1 more host; …`. Null for a model the studio trained.
 */
export function provenanceText(card: ModelCard): string | null {
  const p = card.provenance;
  if (!p) return null;
  const launches = p.segments.map((s) => {
    const others = s.hosts.filter((h) => h !== s.host).length;
    const hosts = others > 0 ? `${s.host} + ${others} more host${others > 1 ? 's' : ''}` : s.host;
    const processes = `${s.worldSize} process${s.worldSize > 1 ? 'es' : ''}`;
    return `${processes} (${s.device}) on ${hosts}, steps ${s.fromStep}–${s.toStep}`;
  });
  return `PyTorch recipe, ${p.steps} steps in ${formatDuration(p.seconds)}: ${launches.join('; ')}`;
}

/** The frozen backbones a closed-form head reads, by name (`FaceMesh (MediaPipe)`). */
function headBackbones(card: ModelCard): string | null {
  return card.head ? card.head.backbones.map((b) => b.name).join(' + ') : null;
}

/**
 * `tiny, fine-tuned from pretrain-01` / `tiny, trained from scratch` / `ridge head on frozen
 * FaceMesh (MediaPipe)` (`, refined on p_re_lu_9` when the head applies its refinement): a head
 * fitted on frozen backbones was not trained from scratch.
 */
export function backboneText(card: ModelCard): string {
  const frozen = headBackbones(card);
  if (card.head && frozen) {
    const refinement = card.head.refinement;
    const refined = refinement?.applied ? `, refined on ${refinement.tap}` : '';
    return `${card.head.method} head on frozen ${frozen}${refined}`;
  }
  const from = card.backbone.pretrainedFrom;
  return `${card.backbone.preset}, ${from ? `fine-tuned from ${from}` : 'trained from scratch'}`;
}

/** The shelf's short origin: `from pretrain-01` / `from scratch` / `head on FaceMesh (MediaPipe)`. */
export function originText(card: ModelCard): string {
  const frozen = headBackbones(card);
  if (frozen) return `head on ${frozen}`;
  const from = card.backbone.pretrainedFrom;
  return from ? `from ${from}` : 'from scratch';
}

/** What the model reads and predicts, in one line. */
export function ioText(card: ModelCard): string {
  const input = `${card.input.size}×${card.input.size} px face crops`;
  if (card.schema) return `${input} → ${card.schema.points.length} points (${card.schema.name})`;
  if (card.attributes) {
    // One-of-N groups (MTFL pose) by name, with their classes.
    const groups = (card.groups ?? []).map((g) => ` + ${g.name} (${g.classes.join(', ')})`);
    return `${input} → ${card.attributes.length} attributes${groups.join('')}`;
  }
  if (card.classes) return `${input} → ${card.classes.length} classes (${card.classes.join(', ')})`;
  return `${input} → features (${card.outputs.join(', ')})`;
}

/** The folder an export goes to, trimmed; null when none is given. */
export function exportFolder(text: string): string | null {
  const dir = text.trim();
  return dir === '' ? null : dir;
}
