/**
 * How good a model is, in words a newcomer reads: its headline figure beside the baseline on the
 * same faces (card.json's metrics, engine/metrics/baselines.ts), how many faces and people the
 * figure rests on, and a plain warning when it is no better than the baseline. Shared by the
 * Models and Train views, the labeller's pre-label question and main's pre-label handler.
 * Pure, no Node imports.
 */
import type { CardMetrics, ModelCard } from './model-card';

/** Fewer held-out faces than this make a rough figure, and the text says so. */
export const FEW_FACES = 30;

type ScoredTask = Exclude<ModelCard['task'], 'backbone'>;

const HEADLINE: Record<ScoredTask, { metric: string; label: string }> = {
  landmarks: { metric: 'nme', label: 'NME' },
  attributes: { metric: 'meanAccuracy', label: 'mean accuracy' },
  expression: { metric: 'accuracy', label: 'accuracy' },
};

const RULE_TEXT: Record<NonNullable<CardMetrics['baseline']>['rule'], string> = {
  'mean-shape': 'the mean shape alone',
  'majority-value': 'always answering each attribute’s most common value',
  'majority-class': 'always answering the most common expression',
};

const RULE_NAME: Record<NonNullable<CardMetrics['baseline']>['rule'], string> = {
  'mean-shape': 'the mean shape',
  'majority-value': 'the most common value of each attribute',
  'majority-class': 'the most common expression',
};

/** One figure as a percentage with one decimal: 0.0412 → `4.1%`. */
export function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** What the faces were: `test faces`, `validation faces` or `held-out faces`. */
function facesNoun(metrics: Pick<CardMetrics, 'data' | 'faces'>): string {
  const kind = /^test/i.test(metrics.data)
    ? 'test'
    : /validation/i.test(metrics.data)
      ? 'validation'
      : 'held-out';
  return `${metrics.faces} ${kind} ${metrics.faces === 1 ? 'face' : 'faces'}`;
}

/** A model's headline figure and its baseline's, or null when the card has none to compare. */
export interface ModelQuality {
  /** `4.1% NME on 100 test faces — the mean shape alone: 17.9%`. */
  summary: string;
  /** `no-better` when the model does not beat its baseline; null on cards without a baseline. */
  verdict: CardMetrics['verdict'] | null;
  /** The warning to show when the model is no better than its baseline, else null. */
  warning: string | null;
  /** Notes on what the figure rests on (few faces, people also in training). */
  notes: string[];
}

/** The quality of a card's first (best held-out) metric set; null for a backbone or none. */
export function modelQuality(card: Pick<ModelCard, 'task' | 'metrics'>): ModelQuality | null {
  const metrics = card.metrics[0];
  if (card.task === 'backbone' || !metrics) return null;
  const { metric, label } = HEADLINE[card.task];
  const value = metrics.values[metric];
  if (value === undefined) return null;
  const people =
    metrics.subjects !== undefined
      ? ` of ${metrics.subjects} ${metrics.subjects === 1 ? 'person' : 'people'}`
      : '';
  const figure = `${percent(value)} ${label} on ${facesNoun(metrics)}${people}`;
  const baseline = metrics.baseline;
  const rule = baseline?.values[metric];
  const summary =
    baseline && rule !== undefined
      ? `${figure} — ${RULE_TEXT[baseline.rule]}: ${percent(rule)}`
      : `${figure} (no baseline recorded)`;
  const verdict = metrics.verdict ?? null;
  const warning =
    verdict === 'no-better' && baseline && rule !== undefined
      ? `No better than ${RULE_NAME[baseline.rule]}: ${percent(value)} ${label} against ` +
        `${percent(rule)} for ${RULE_NAME[baseline.rule]} on the same ${facesNoun(metrics)}. ` +
        'Its predictions are not worth more than that rule; label more faces or train it differently.'
      : null;
  const notes: string[] = [];
  if (metrics.faces < FEW_FACES)
    notes.push(`A rough figure: it rests on only ${facesNoun(metrics)}.`);
  if (metrics.sharedSubjects)
    notes.push(
      `${metrics.sharedSubjects} of these people also have faces in training, which flatters the figure.`,
    );
  return { summary, verdict, warning, notes };
}

/** The question to ask before pre-labelling with a model no better than its baseline, or null. */
export function prelabelCaution(card: Pick<ModelCard, 'id' | 'task' | 'metrics'>): string | null {
  const quality = modelQuality(card);
  if (!quality?.warning) return null;
  return `Model ${card.id} is no better than its baseline: ${quality.summary}. Pre-label with it anyway?`;
}
