/**
 * How the Models view shows a backbone comparison (docs/ARCHITECTURE.md, "Backbones and tasks"):
 * one line per backbone with its val and test figures, speed and licence, the best marked, and
 * the baseline beside them; plus what the live progress says. Pure.
 */
import type {
  BackboneComparison,
  ComparisonProgress,
  ComparisonRow,
  SplitScore,
} from '$shared/backbone-comparison';

export interface TableLine {
  id: string;
  name: string;
  val: string;
  test: string;
  speed: string;
  licence: string;
  attribution: string;
  best: boolean;
  /** The backbone scores no better than the baseline on the deciding split. */
  noBetter: boolean;
  error: string | null;
}

/** `4.55% / FR 0.0%` for landmarks, `87.50%` for accuracy, `—` without faces. */
export function formatScore(
  score: SplitScore | null,
  metric: BackboneComparison['metric'],
): string {
  if (!score) return '—';
  const value = `${(score.value * 100).toFixed(2)}%`;
  return metric === 'nme' && score.failureRate !== null
    ? `${value} · FR ${(score.failureRate * 100).toFixed(1)}%`
    : value;
}

function beats(row: ComparisonRow, c: BackboneComparison): boolean {
  const split = c.chosenBy;
  if (!split) return false;
  const mine = row[split]?.value;
  const base = c.baseline[split]?.value;
  if (mine === undefined) return false;
  if (base === undefined) return true;
  return c.lowerIsBetter ? mine < base : mine > base;
}

export function tableLines(c: BackboneComparison): TableLine[] {
  return c.rows.map((row) => ({
    id: row.backboneId,
    name: row.name,
    val: formatScore(row.val, c.metric),
    test: formatScore(row.test, c.metric),
    speed: row.msPerFace === null ? '—' : `${row.msPerFace.toFixed(1)} ms`,
    licence: row.licence === 'none' ? 'made in this project' : row.licence,
    attribution: row.attribution,
    best: row.backboneId === c.winner,
    noBetter: row.error === null && !beats(row, c),
    error: row.error,
  }));
}

/** The metric's name as the table heads it. */
export function metricLabel(c: BackboneComparison): string {
  return c.metric === 'nme' ? 'NME (lower is better)' : 'accuracy (higher is better)';
}

/** `FaceMesh: embedding faces 12 of 40 (backbone 1 of 3)`. */
export function progressText(p: ComparisonProgress): string {
  const of = `backbone ${Math.min(p.done + 1, p.total)} of ${p.total}`;
  switch (p.stage) {
    case 'loading':
      return `${p.backboneId}: loading (${of})`;
    case 'embedding':
      return `${p.backboneId}: embedding faces ${p.faces} of ${p.facesTotal} (${of})`;
    case 'fitting':
      return `${p.backboneId}: fitting the head (${of})`;
    case 'scored':
      return `${p.backboneId}: scored (${p.done} of ${p.total} done)`;
  }
}
