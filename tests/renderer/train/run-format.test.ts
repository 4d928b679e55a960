import { describe, expect, it } from 'vitest';
import {
  formatAxisTicks,
  formatAxisValue,
  changesDetail,
  changesText,
  runDuration,
  shortRunId,
  formatChartValue,
  formatBytes,
  formatDuration,
  formatMetric,
  formatMetrics,
  progressFraction,
  runTitle,
  stoppedEarly,
} from '../../../src-renderer/src/features/train/run-format';

describe('formatDuration', () => {
  it('writes seconds, minutes and hours, and a dash for unknown', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3840)).toBe('1 h 04 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Infinity)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
  });
});

describe('metrics', () => {
  it('shows fractions as percentages and AUC as a number', () => {
    expect(formatMetric('nme', 0.0532)).toBe('5.32%');
    expect(formatMetric('failureRate', 0.1)).toBe('10.00%');
    expect(formatMetric('meanAccuracy', 0.912)).toBe('91.20%');
    expect(formatMetric('auc', 0.4312)).toBe('0.4312');
    expect(formatMetric('loss', 0.00012)).toBe('1.20e-4');
  });

  it('joins a metric record in order, a dash when there is none', () => {
    expect(formatMetrics({ nme: 0.05, auc: 0.5 })).toBe('nme 5.00% · auc 0.5');
    expect(formatMetrics(null)).toBe('—');
    expect(formatMetrics({})).toBe('—');
  });
});

describe('runs', () => {
  it('knows how far a run is, when its length is known', () => {
    expect(progressFraction({ step: 30, totalSteps: 120 })).toBe(0.25);
    expect(progressFraction({ step: 130, totalSteps: 120 })).toBe(1);
    expect(progressFraction({ step: 3, totalSteps: null })).toBeNull();
    expect(progressFraction({ step: 3, totalSteps: 0 })).toBeNull();
  });

  it('tells an early stop from a run that ran every step', () => {
    expect(stoppedEarly({ status: 'done', step: 45, totalSteps: 120 })).toBe(true);
    expect(stoppedEarly({ status: 'done', step: 120, totalSteps: 120 })).toBe(false);
    expect(stoppedEarly({ status: 'running', step: 45, totalSteps: 120 })).toBe(false);
    expect(stoppedEarly({ status: 'done', step: 45, totalSteps: null })).toBe(false);
  });

  it('names a run by what it trains', () => {
    expect(runTitle({ kind: 'pretrain', task: null })).toBe('Pre-training');
    expect(runTitle({ kind: 'finetune', task: 'expression' })).toBe('Fine-tune expression');
  });

  it('writes axis values short', () => {
    expect(formatAxisValue(0)).toBe('0');
    expect(formatAxisValue(0.0005)).toBe('5.0e-4');
    expect(formatAxisValue(0.12345)).toBe('0.123');
    expect(formatAxisValue(31.7)).toBe('31.7');
  });

  it('gives close axis ticks the digits that tell them apart, and no more', () => {
    // An NME axis over a narrow range: three digits wrote 18.6% twice.
    expect(formatAxisTicks([0.1855, 0.186, 0.1865], true)).toEqual(['18.55%', '18.6%', '18.65%']);
    expect(formatAxisTicks([0.1858, 0.1859, 0.186, 0.1861], true)).toEqual([
      '18.58%',
      '18.59%',
      '18.6%',
      '18.61%',
    ]);
    // Ticks far enough apart keep the short form.
    expect(formatAxisTicks([0.1, 0.15, 0.2], true)).toEqual(['10%', '15%', '20%']);
    expect(formatAxisTicks([0, 0.5, 1], true)).toEqual(['0%', '50%', '100%']);
    // Plain values and exponent form alike.
    expect(formatAxisTicks([0.1234, 0.1236, 0.1238])).toEqual(['0.1234', '0.1236', '0.1238']);
    expect(formatAxisTicks([0.00105, 0.0011, 0.00115])).toEqual(['1.05e-3', '1.10e-3', '1.15e-3']);
    expect(formatAxisTicks([1, 2, 3])).toEqual(['1', '2', '3']);
    expect(formatAxisTicks([])).toEqual([]);
    // Every label distinct, whatever the spacing.
    const fine = Array.from({ length: 6 }, (_, i) => 0.2 + i * 1e-6);
    const labels = formatAxisTicks(fine, true);
    expect(new Set(labels).size).toBe(fine.length);
  });

  it('tells runs apart: a short tag, how long an ended run took, what its settings changed', () => {
    expect(shortRunId('finetune-20261203-101500123-ab12')).toBe('#ab12');
    expect(shortRunId('plain')).toBe('#plain');
    const times = { createdAt: '2026-12-03T10:00:00.000Z', updatedAt: '2026-12-03T10:03:05.000Z' };
    expect(runDuration({ status: 'done', ...times })).toBe(185);
    expect(runDuration({ status: 'cancelled', ...times })).toBe(185);
    expect(runDuration({ status: 'running', ...times })).toBeNull();
    expect(runDuration({ status: 'failed', createdAt: 'x', updatedAt: 'y' })).toBeNull();

    const changes = [
      { key: 'augment.flip', from: '0.5', to: '0' },
      { key: 'epochs', from: '10', to: '20' },
      { key: 'headLr', from: '0.001', to: '0.01' },
      { key: 'seed', from: '0', to: '1' },
      { key: 'patience', from: 'absent', to: '10' },
    ];
    expect(changesText(changes.slice(0, 2))).toBe('augment.flip 0.5→0 · epochs 10→20');
    expect(changesText(changes)).toBe(
      'augment.flip 0.5→0 · epochs 10→20 · headLr 0.001→0.01 · +2 more',
    );
    expect(changesText([])).toBe('same settings as the run before');
    expect(changesText(null)).toBe('first run of its kind');
    expect(changesText(undefined)).toBeNull();
    expect(changesDetail(changes.slice(3))).toBe('seed: 0 → 1\npatience: absent → 10');
    expect(changesDetail(null)).toBe('');
  });

  it('writes the latest value beside a chart as its axis does', () => {
    expect(formatChartValue(0.18554, true)).toBe('18.6%');
    expect(formatChartValue(0.0005)).toBe('5.0e-4');
  });

  it('writes sizes in decimal units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2_345_678)).toBe('2.3 MB');
  });
});
