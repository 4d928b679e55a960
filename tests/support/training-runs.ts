/** Runs, steps and evaluations shaped as the training channels carry them (tests of every layer). */
import type { RunInfo } from '../../src-main/shared/training';
import type { JobProgress, JobValidation } from '../../src-main/shared/worker-protocol';

export function runInfo(overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    id: 'ft-landmarks-001',
    kind: 'finetune',
    task: 'landmarks',
    status: 'running',
    createdAt: '2026-11-28T10:00:00.000Z',
    updatedAt: '2026-11-28T10:00:00.000Z',
    step: 0,
    totalSteps: 120,
    error: null,
    resumable: false,
    modelId: null,
    backboneId: null,
    metrics: null,
    ...overrides,
  };
}

/** A fine-tuning step: loss falling, learning rate warming up, ~30 faces/s. */
export function progress(step: number, overrides: Partial<JobProgress> = {}): JobProgress {
  return {
    step,
    totalSteps: 120,
    epoch: Math.floor(step / 12),
    loss: 0.5 / (1 + step / 10),
    lr: Math.min(1, step / 24) * 1e-2,
    momentum: null,
    teacherEntropy: null,
    imagesPerSec: 28 + (step % 3),
    etaSeconds: (120 - step) / 3.5,
    memory: { rssBytes: 4e8, tensors: 310, tensorBytes: 5e7 },
    ...overrides,
  };
}

export function validation(
  step: number,
  nme: number,
  overrides: Partial<JobValidation> = {},
): JobValidation {
  return {
    epoch: Math.floor(step / 12),
    step,
    metrics: { nme, failureRate: nme * 2, auc: 1 - nme * 5 },
    monitored: 'nme',
    lowerIsBetter: true,
    improved: true,
    samples: [
      {
        imageId: 'a'.repeat(64),
        points: [
          [100, 120],
          [160, 118],
        ],
        truth: [
          [102, 121],
          [158, 120],
        ],
      },
    ],
    ...overrides,
  };
}
