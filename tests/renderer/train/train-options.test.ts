import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '$shared/training';
import {
  backboneModels,
  backendSummary,
  dataSummary,
  startRequest,
  taskChoice,
  TASK_CHOICES,
} from '../../../src-renderer/src/features/train/train-options';
import { modelInfo } from '../models/fixtures';

const STATS = { splits: { pool: 300, train: 80, val: 10, test: 20 } };

describe('task choices', () => {
  it('covers pre-training and the three fine-tuning tasks, fine-tuning landmarks first', () => {
    expect(TASK_CHOICES.map((c) => c.id)).toEqual([
      'finetune-landmarks',
      'finetune-attributes',
      'finetune-expression',
      'pretrain',
    ]);
    expect(taskChoice('pretrain')).toMatchObject({ kind: 'pretrain', task: null });
    expect(taskChoice('nonsense').id).toBe('finetune-landmarks');
  });
});

describe('backboneModels', () => {
  it('lists backbones only, newest first', () => {
    const models: ModelInfo[] = [
      modelInfo({ id: 'old', task: 'backbone', createdAt: '2026-11-01T00:00:00Z' }),
      modelInfo({ id: 'lm', task: 'landmarks' }),
      modelInfo({ id: 'new', task: 'backbone', createdAt: '2026-11-20T00:00:00Z' }),
    ];
    expect(backboneModels(models).map((m) => m.id)).toEqual(['new', 'old']);
  });
});

describe('dataSummary', () => {
  it('counts labelled faces per split for fine-tuning and names unused pool labels', () => {
    const summary = dataSummary(taskChoice('finetune-landmarks'), STATS, {
      train: 80,
      val: 10,
      test: 0,
      pool: 5,
    });
    expect(summary.lines).toEqual([
      'train 80 labelled faces',
      'val 10 labelled faces',
      'test 0 labelled faces (final metrics on val)',
      'pool 5 labelled faces not used: assign them a split in the Library',
    ]);
    expect(summary.blocker).toBeNull();
  });

  it('counts faces that need review apart, and says whether the run uses them', () => {
    const labelled = { train: 41, val: 5, test: 0, pool: 0 };
    const review = { train: 4, val: 0, test: 2, pool: 7 };
    const choice = taskChoice('finetune-landmarks');
    expect(dataSummary(choice, STATS, labelled, review).lines).toEqual([
      'train 41 labelled faces, 4 need review (left out until confirmed)',
      'val 5 labelled faces',
      'test 0 labelled faces, 2 need review (left out until confirmed) (final metrics on val)',
    ]);
    expect(dataSummary(choice, STATS, labelled, review, true).lines[0]).toBe(
      'train 41 labelled faces, 4 need review (used: includeUnconfirmed is on)',
    );
  });

  it('refuses to fine-tune without labelled train faces', () => {
    const summary = dataSummary(taskChoice('finetune-expression'), STATS, {
      train: 0,
      val: 0,
      test: 0,
      pool: 40,
    });
    expect(summary.blocker).toMatch(/No labelled faces in the train split/);
  });

  it('counts pool and train images for pre-training', () => {
    const summary = dataSummary(taskChoice('pretrain'), STATS, null);
    expect(summary.lines).toEqual(['380 images (pool 300, train 80)']);
    const empty = dataSummary(
      taskChoice('pretrain'),
      { splits: { pool: 0, train: 0, val: 3, test: 0 } },
      null,
    );
    expect(empty.blocker).not.toBeNull();
  });
});

describe('backendSummary', () => {
  it('says which backend runs and why the better ones were skipped', () => {
    const summary = backendSummary(
      {
        name: 'wasm',
        forced: false,
        skipped: [{ name: 'tensorflow-gpu', reason: 'package not installed' }],
      },
      null,
    );
    expect(summary.name).toBe('wasm');
    expect(summary.why).toEqual([
      'wasm is the best backend that loaded.',
      'tensorflow-gpu skipped: package not installed',
    ]);
    expect(backendSummary({ name: 'cpu', forced: true, skipped: [] }, null).why[0]).toMatch(
      /forced by FACE_STUDIO_BACKEND/,
    );
    expect(backendSummary(null, 'wasm did not load').name).toBe('none');
  });

  it('names the GPU a webgpu backend runs on', () => {
    const summary = backendSummary(
      { name: 'webgpu', forced: false, skipped: [], device: 'AMD Radeon RX 7900 (amd rdna-3)' },
      null,
    );
    expect(summary.why).toEqual([
      'webgpu is the best backend that loaded.',
      'It runs on AMD Radeon RX 7900 (amd rdna-3).',
    ]);
  });
});

describe('startRequest', () => {
  it('sends no config for the one-click defaults', () => {
    expect(
      startRequest(taskChoice('finetune-landmarks'), {
        backboneId: 'pretrain-01',
        preset: 'tiny',
        defaultPreset: 'tiny',
      }),
    ).toEqual({ kind: 'finetune', task: 'landmarks', backboneId: 'pretrain-01', config: {} });
  });

  it('sends a changed preset only from scratch: a backbone fixes the model', () => {
    const fromScratch = startRequest(taskChoice('finetune-attributes'), {
      backboneId: null,
      preset: 'small',
      defaultPreset: 'tiny',
    });
    expect(fromScratch.config).toEqual({ model: { preset: 'small' } });
    const fromBackbone = startRequest(taskChoice('finetune-attributes'), {
      backboneId: 'pretrain-01',
      preset: 'small',
      defaultPreset: 'tiny',
    });
    expect(fromBackbone.config).toEqual({});
  });

  it('adds the Advanced form’s changes, and never a backbone for pre-training', () => {
    const request = startRequest(taskChoice('pretrain'), {
      backboneId: 'pretrain-01',
      preset: 'tiny',
      defaultPreset: 'tiny',
      advanced: { epochs: 3, augment: { flip: 0 } },
    });
    expect(request).toEqual({
      kind: 'pretrain',
      backboneId: null,
      config: { epochs: 3, augment: { flip: 0 } },
    });
    expect('task' in request).toBe(false);
  });
});
