import { describe, expect, it } from 'vitest';
import {
  formatAxisValue,
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

  it('writes sizes in decimal units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2_345_678)).toBe('2.3 MB');
  });
});
