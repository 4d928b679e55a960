/**
 * The dashboard's chart data: one array per series, indexed like `steps`, as uPlot reads it.
 * Built from a run's stored detail (`training:run`) and extended by live `progress` and
 * `validation` events. Pure: every function returns new arrays, so a `$state.raw` field holding
 * the result changes identity and the charts redraw.
 *
 * Reattaching (open the view while a run trains) fetches the detail and follows events at the
 * same time, so the same step can arrive twice: a step at or before the last one is either a
 * repeat (dropped) or a run resumed from an earlier checkpoint, which replays the steps after
 * it — those replace the old tail.
 */
import type { JobProgress, JobValidation } from '$shared/worker-protocol';

export interface ProgressSeries {
  steps: readonly number[];
  loss: readonly number[];
  lr: readonly number[];
  imagesPerSec: readonly number[];
}

export interface ValidationSeries {
  /** The metric early stopping watches (`nme`, `accuracy`, ...); null before the first one. */
  metric: string | null;
  lowerIsBetter: boolean;
  steps: readonly number[];
  values: readonly number[];
}

export const EMPTY_PROGRESS: ProgressSeries = { steps: [], loss: [], lr: [], imagesPerSec: [] };
export const EMPTY_VALIDATION: ValidationSeries = {
  metric: null,
  lowerIsBetter: true,
  steps: [],
  values: [],
};

/** How many leading entries of `steps` come strictly before `step`. */
function keptBefore(steps: readonly number[], step: number): number {
  let n = steps.length;
  while (n > 0 && steps[n - 1]! >= step) n -= 1;
  return n;
}

/** Adds one logged step; a repeat of the last step is dropped, an earlier one rewinds. */
export function appendProgress(series: ProgressSeries, progress: JobProgress): ProgressSeries {
  const last = series.steps[series.steps.length - 1];
  if (last === progress.step) return series;
  const n =
    last !== undefined && progress.step < last
      ? keptBefore(series.steps, progress.step)
      : series.steps.length;
  return {
    steps: [...series.steps.slice(0, n), progress.step],
    loss: [...series.loss.slice(0, n), progress.loss],
    lr: [...series.lr.slice(0, n), progress.lr],
    imagesPerSec: [...series.imagesPerSec.slice(0, n), progress.imagesPerSec],
  };
}

export function progressSeriesOf(progress: readonly JobProgress[]): ProgressSeries {
  return progress.reduce(appendProgress, EMPTY_PROGRESS);
}

/** Adds one evaluation of the monitored metric (same repeat and rewind rules as progress). */
export function appendValidation(
  series: ValidationSeries,
  validation: JobValidation,
): ValidationSeries {
  const value = validation.metrics[validation.monitored];
  if (value === undefined) return series;
  const last = series.steps[series.steps.length - 1];
  if (last === validation.step && series.metric === validation.monitored) return series;
  // A different monitored metric (never within one run, but a stale series must not mix units).
  const base = series.metric === validation.monitored ? series : EMPTY_VALIDATION;
  const baseLast = base.steps[base.steps.length - 1];
  const n =
    baseLast !== undefined && validation.step <= baseLast
      ? keptBefore(base.steps, validation.step)
      : base.steps.length;
  return {
    metric: validation.monitored,
    lowerIsBetter: validation.lowerIsBetter,
    steps: [...base.steps.slice(0, n), validation.step],
    values: [...base.values.slice(0, n), value],
  };
}

export function validationSeriesOf(validations: readonly JobValidation[]): ValidationSeries {
  return validations.reduce(appendValidation, EMPTY_VALIDATION);
}

/** The best value so far of a validation series, by its direction; null when empty. */
export function bestValue(series: ValidationSeries): number | null {
  if (series.values.length === 0) return null;
  return series.lowerIsBetter ? Math.min(...series.values) : Math.max(...series.values);
}
