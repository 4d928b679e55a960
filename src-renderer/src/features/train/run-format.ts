/**
 * How the Train and Models views write numbers: durations, fractions of a run, metric values
 * and the names of runs. Pure, shared by both views.
 */
import { formatDuration as formatDurationAs } from '$shared/progress-text';
import type { ConfigChange, RunInfo } from '$shared/training';

/** `1 h 04 min`, `3 min 05 s`, `42 s`; `—` for an unknown or endless value. */
export function formatDuration(seconds: number | null | undefined): string {
  return formatDurationAs(seconds, '—');
}

/** Fraction of the run done, 0..1; null when the length is unknown. */
export function progressFraction(run: Pick<RunInfo, 'step' | 'totalSteps'>): number | null {
  if (!run.totalSteps) return null;
  return Math.min(1, Math.max(0, run.step / run.totalSteps));
}

/** A finished run that ended before its last step: early stopping saw no more improvement. */
export function stoppedEarly(run: Pick<RunInfo, 'status' | 'step' | 'totalSteps'>): boolean {
  return run.status === 'done' && run.totalSteps !== null && run.step < run.totalSteps;
}

/**
 * Metrics that are fractions read best as percentages (NME 0.053 → 5.30%, accuracy 0.912 →
 * 91.2%); AUC is a fraction too but is quoted as a plain number in the literature.
 */
const PERCENT_METRICS = /nme|rate|accuracy|recall|precision|error/i;

export function isPercentMetric(name: string): boolean {
  return PERCENT_METRICS.test(name);
}

export function formatMetric(name: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (isPercentMetric(name)) return `${(value * 100).toFixed(2)}%`;
  if (Math.abs(value) >= 1000 || (Math.abs(value) < 0.001 && value !== 0)) {
    return value.toExponential(2);
  }
  return value.toPrecision(4).replace(/\.?0+$/, '');
}

/** `nme 5.30% · auc 0.4312`, in the order given; `—` when there are none. */
export function formatMetrics(metrics: Readonly<Record<string, number>> | null): string {
  const entries = Object.entries(metrics ?? {});
  if (entries.length === 0) return '—';
  return entries.map(([name, value]) => `${name} ${formatMetric(name, value)}`).join(' · ');
}

/** What a run trains, in the user's words (the running-jobs indicator says it the same way). */
export { runTitle } from '$shared/live-jobs';

/**
 * A learning rate or loss on a chart axis: short, and exponent form for small values; `extra`
 * significant digits beyond the usual three (two in exponent form).
 */
export function formatAxisValue(value: number, extra = 0): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 0.01 || abs >= 10_000) return value.toExponential(1 + extra);
  return String(Number(value.toPrecision(3 + extra)));
}

/** A fraction on a chart axis as a percentage: `18.6%`, with `extra` significant digits. */
function formatAxisPercent(value: number, extra = 0): string {
  if (value === 0) return '0%';
  return `${Number((value * 100).toPrecision(3 + extra))}%`;
}

/** The most significant digits an axis label grows to (beyond that, doubles agree anyway). */
const MAX_EXTRA_DIGITS = 6;

/**
 * The labels of an axis's ticks, each distinct: as short as `formatAxisValue` (or the percentage)
 * writes them, with one more significant digit at a time while two ticks would read the same
 * (a narrow NME range: 18.55%, 18.6%, 18.65% rather than 18.6%, 18.6%, 18.7%).
 */
export function formatAxisTicks(values: readonly number[], percent = false): string[] {
  const format = percent ? formatAxisPercent : formatAxisValue;
  let labels: string[] = [];
  for (let extra = 0; extra <= MAX_EXTRA_DIGITS; extra++) {
    labels = values.map((value) => format(value, extra));
    if (new Set(labels).size === new Set(values).size) return labels;
  }
  return labels;
}

/** One value on a chart (the latest beside its title), written as its axis would. */
export function formatChartValue(value: number, percent = false): string {
  return percent ? formatAxisPercent(value) : formatAxisValue(value);
}

/** A timestamp as the user's locale writes date and time, to the minute. */
export function formatWhen(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Bytes as `12.3 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A run's own tag in the list: the random end of its id (`finetune-…-ab12` → `#ab12`). */
export function shortRunId(id: string): string {
  const tail = id.slice(id.lastIndexOf('-') + 1);
  return `#${tail || id}`;
}

/** How long an ended run took, from its start to its last record; null while it is live. */
export function runDuration(
  run: Pick<RunInfo, 'status' | 'createdAt' | 'updatedAt'>,
): number | null {
  if (run.status === 'queued' || run.status === 'running' || run.status === 'paused') return null;
  const ms = Date.parse(run.updatedAt) - Date.parse(run.createdAt);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

/** How many changed settings the list names before `+N more`. */
const CHANGES_SHOWN = 3;

/** `headLr 0.001→0.01 · epochs 10→20 · +2 more`; what a run changed from the previous one. */
export function changesText(changes: readonly ConfigChange[] | null | undefined): string | null {
  if (changes === undefined) return null;
  if (changes === null) return 'first run of its kind';
  if (changes.length === 0) return 'same settings as the run before';
  const named = changes.slice(0, CHANGES_SHOWN).map((c) => `${c.key} ${c.from}→${c.to}`);
  const more = changes.length - CHANGES_SHOWN;
  return [...named, ...(more > 0 ? [`+${more} more`] : [])].join(' · ');
}

/** Every change, one a line (the hover text when the list shows only some). */
export function changesDetail(changes: readonly ConfigChange[] | null | undefined): string {
  if (!changes || changes.length === 0) return '';
  return changes.map((c) => `${c.key}: ${c.from} → ${c.to}`).join('\n');
}
