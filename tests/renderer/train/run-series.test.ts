import { describe, expect, it } from 'vitest';
import {
  appendProgress,
  appendValidation,
  bestValue,
  EMPTY_PROGRESS,
  EMPTY_VALIDATION,
  progressSeriesOf,
  validationSeriesOf,
} from '../../../src-renderer/src/features/train/run-series';
import { progress, validation } from '../../support/training-runs';

describe('progress series', () => {
  it('keeps loss, learning rate and speed aligned with the steps', () => {
    const series = progressSeriesOf([progress(1), progress(2), progress(3)]);
    expect(series.steps).toEqual([1, 2, 3]);
    expect(series.loss).toEqual([progress(1).loss, progress(2).loss, progress(3).loss]);
    expect(series.lr).toEqual([progress(1).lr, progress(2).lr, progress(3).lr]);
    expect(series.imagesPerSec).toEqual([29, 30, 28]);
  });

  it('drops a repeat of the last step (a reattach sees it in the detail and as an event)', () => {
    const series = progressSeriesOf([progress(1), progress(2)]);
    expect(appendProgress(series, progress(2))).toBe(series);
  });

  it('rewinds when a resumed run replays steps after its checkpoint', () => {
    const before = progressSeriesOf([1, 2, 3, 4, 5].map((s) => progress(s)));
    const after = appendProgress(before, progress(3, { loss: 9 }));
    expect(after.steps).toEqual([1, 2, 3]);
    expect(after.loss[2]).toBe(9);
    expect(after.lr).toHaveLength(3);
    // The old series is untouched: views holding it stay consistent.
    expect(before.steps).toHaveLength(5);
  });

  it('returns new arrays, so a $state.raw field changes identity', () => {
    const next = appendProgress(EMPTY_PROGRESS, progress(1));
    expect(next.steps).not.toBe(EMPTY_PROGRESS.steps);
    expect(EMPTY_PROGRESS.steps).toEqual([]);
  });
});

describe('validation series', () => {
  it('plots the monitored metric and knows its direction', () => {
    const series = validationSeriesOf([validation(12, 0.2), validation(24, 0.15)]);
    expect(series.metric).toBe('nme');
    expect(series.steps).toEqual([12, 24]);
    expect(series.values).toEqual([0.2, 0.15]);
    expect(bestValue(series)).toBe(0.15);
  });

  it('takes the highest as best when higher is better', () => {
    const acc = (step: number, value: number) =>
      validation(step, 0, {
        metrics: { accuracy: value },
        monitored: 'accuracy',
        lowerIsBetter: false,
      });
    const series = validationSeriesOf([acc(10, 0.6), acc(20, 0.8), acc(30, 0.7)]);
    expect(bestValue(series)).toBe(0.8);
    expect(bestValue(EMPTY_VALIDATION)).toBeNull();
  });

  it('ignores an evaluation that lacks its monitored metric, and repeats of a step', () => {
    const series = validationSeriesOf([validation(12, 0.2)]);
    expect(appendValidation(series, validation(24, 0, { metrics: {} }))).toBe(series);
    expect(appendValidation(series, validation(12, 0.2))).toBe(series);
  });
});
