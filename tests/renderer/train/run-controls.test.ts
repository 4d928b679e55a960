import { describe, expect, it } from 'vitest';
import { controlsFor } from '../../../src-renderer/src/features/train/run-controls';

describe('controlsFor', () => {
  it('offers pause and cancel while running or queued', () => {
    for (const status of ['running', 'queued'] as const) {
      expect(controlsFor({ status, resumable: false })).toEqual({
        pause: true,
        cancel: true,
        resume: null,
      });
    }
  });

  it('offers resume and cancel while paused', () => {
    expect(controlsFor({ status: 'paused', resumable: true })).toEqual({
      pause: false,
      cancel: true,
      resume: 'Resume',
    });
  });

  it('offers resume from checkpoint after a failure or cancel only when a checkpoint exists', () => {
    for (const status of ['failed', 'cancelled'] as const) {
      expect(controlsFor({ status, resumable: true }).resume).toBe('Resume from checkpoint');
      expect(controlsFor({ status, resumable: false }).resume).toBeNull();
      expect(controlsFor({ status, resumable: true }).cancel).toBe(false);
    }
  });

  it('offers nothing once done', () => {
    expect(controlsFor({ status: 'done', resumable: true })).toEqual({
      pause: false,
      cancel: false,
      resume: null,
    });
  });
});
