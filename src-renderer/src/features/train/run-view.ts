/**
 * What the dashboard shows of one run, and how a `training:event` changes it. Pure: the Train
 * state class holds a `RunView` in a `$state.raw` field and replaces it with `applyEvent`'s
 * answer, so the reducer is unit-tested without Svelte or the bridge.
 */
import type { RunDetail, RunInfo, TrainingEventPayload } from '$shared/training';
import type { CedCurve, JobProgress, JobValidation } from '$shared/worker-protocol';
import {
  appendProgress,
  appendValidation,
  progressSeriesOf,
  validationSeriesOf,
  type ProgressSeries,
  type ValidationSeries,
} from './run-series';

export type TrainingEvent = TrainingEventPayload['event'];

export interface RunView {
  run: RunInfo;
  /** The resolved config; empty until the detail has loaded. */
  config: Readonly<Record<string, unknown>>;
  progress: ProgressSeries;
  validation: ValidationSeries;
  /** The last logged step: loss, rate, ETA for the header. */
  last: JobProgress | null;
  /** The last evaluation: its metrics and sample predictions. */
  lastValidation: JobValidation | null;
  ced: CedCurve | null;
  /** Jobs ahead of a queued run. */
  queuePosition: number | null;
}

export function runViewOf(detail: RunDetail): RunView {
  return {
    run: detail.run,
    config: detail.config,
    progress: progressSeriesOf(detail.progress),
    validation: validationSeriesOf(detail.validations),
    last: detail.progress[detail.progress.length - 1] ?? null,
    lastValidation: detail.validations[detail.validations.length - 1] ?? null,
    ced: detail.ced,
    queuePosition: null,
  };
}

/** A run known only from the history list (its detail is loading). */
export function runViewOfInfo(run: RunInfo): RunView {
  return runViewOf({ run, config: {}, progress: [], validations: [], ced: null });
}

/** True while the run may still change: the dashboard follows its events. */
export function isLive(run: RunInfo): boolean {
  return run.status === 'queued' || run.status === 'running' || run.status === 'paused';
}

/** True once the run has ended and its outcome (metrics, CED, model) is final. */
export function isEnded(
  event: TrainingEvent,
): event is Extract<TrainingEvent, { type: 'done' | 'failed' | 'cancelled' }> {
  return event.type === 'done' || event.type === 'failed' || event.type === 'cancelled';
}

export function applyEvent(view: RunView, event: TrainingEvent): RunView {
  const run = view.run;
  switch (event.type) {
    case 'queued':
      return { ...view, run: { ...run, status: 'queued' }, queuePosition: event.position };
    case 'started':
    case 'resumed':
      return { ...view, run: { ...run, status: 'running', error: null }, queuePosition: null };
    case 'progress': {
      const p = event.progress;
      return {
        ...view,
        run: {
          ...run,
          // The job holds before a step and events keep their order: a step logged after
          // `queued` or `paused` means it runs (even if `started` or `resumed` was missed).
          status: run.status === 'queued' || run.status === 'paused' ? 'running' : run.status,
          step: p.step,
          totalSteps: p.totalSteps,
        },
        progress: appendProgress(view.progress, p),
        last: p,
        queuePosition: null,
      };
    }
    case 'validation':
      return {
        ...view,
        validation: appendValidation(view.validation, event.validation),
        lastValidation: event.validation,
      };
    case 'paused':
      return { ...view, run: { ...run, status: 'paused', step: event.step } };
    case 'checkpoint':
      return { ...view, run: { ...run, resumable: true } };
    case 'done':
    case 'cancelled':
      return { ...view, run: event.run, queuePosition: null };
    case 'failed':
      // The run record names the error too; the event's message is the freshest wording.
      return {
        ...view,
        run: { ...event.run, error: event.run.error ?? event.message },
        queuePosition: null,
      };
  }
}

/** The history list's copy of a run after an event about it (status, step, outcome). */
export function applyEventToInfo(run: RunInfo, event: TrainingEvent): RunInfo {
  return applyEvent(runViewOfInfo(run), event).run;
}

/**
 * Replaces (or prepends, newest first) a run in the history list. Only the list's own answer
 * carries a run's config changes: a record from elsewhere (an event, a control's answer) keeps
 * the ones listed.
 */
export function upsertRun(runs: readonly RunInfo[], run: RunInfo): RunInfo[] {
  const at = runs.findIndex((r) => r.id === run.id);
  if (at === -1) return [run, ...runs];
  const out = runs.slice();
  const listed = runs[at]!.changes;
  out[at] = run.changes === undefined && listed !== undefined ? { ...run, changes: listed } : run;
  return out;
}

/** The list with each run's config changes taken from a fresh `training:runs` answer. */
export function withListedChanges(runs: readonly RunInfo[], listed: readonly RunInfo[]): RunInfo[] {
  const changes = new Map(listed.map((r) => [r.id, r.changes]));
  return runs.map((run) => {
    const fresh = changes.get(run.id);
    return fresh === undefined ? run : { ...run, changes: fresh };
  });
}

/** The run to show when the view opens: a live one (to reattach), else the newest. */
export function runToReattach(runs: readonly RunInfo[]): RunInfo | null {
  return runs.find(isLive) ?? runs[0] ?? null;
}
