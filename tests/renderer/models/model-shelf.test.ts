import { describe, expect, it } from 'vitest';
import {
  backboneText,
  baselineText,
  exportFolder,
  headlineMetrics,
  ioText,
  noBetter,
  sortModels,
  taskLabel,
  trainedOn,
} from '../../../src-renderer/src/features/models/model-shelf';
import { modelCard, modelInfo } from './fixtures';

describe('the shelf', () => {
  it('lists the newest model first', () => {
    const models = [
      modelInfo({ id: 'a', createdAt: '2026-11-01T00:00:00Z' }),
      modelInfo({ id: 'c', createdAt: '2026-11-21T00:00:00Z' }),
      modelInfo({ id: 'b', createdAt: '2026-11-11T00:00:00Z' }),
    ];
    expect(sortModels(models).map((m) => m.id)).toEqual(['c', 'b', 'a']);
  });

  it('headlines the first (held-out) metrics; a backbone may have none', () => {
    expect(headlineMetrics(modelCard())?.values.nme).toBe(0.132);
    expect(headlineMetrics(modelCard({ task: 'backbone', metrics: [] }))).toBeNull();
  });

  it('marks a model its card calls no better than its baseline, and names the baseline', () => {
    const baseline = { rule: 'majority-class' as const, values: { accuracy: 0.26 }, fittedOn: 785 };
    const set = { data: 'test split', faces: 196, values: { accuracy: 0.25 }, baseline };
    expect(noBetter(modelCard({ metrics: [{ ...set, verdict: 'no-better' }] }))).toBe(true);
    expect(noBetter(modelCard({ metrics: [{ ...set, verdict: 'better' }] }))).toBe(false);
    // A card from before baselines says nothing either way.
    expect(noBetter(modelCard())).toBe(false);
    expect(baselineText(baseline)).toBe('majority class of 785 training faces');
  });
});

describe('card text', () => {
  it('says what it was trained on and from which backbone', () => {
    expect(trainedOn(modelCard())).toBe('project "helen": 80 train · 10 val · 20 test faces');
    expect(trainedOn(modelCard({ data: { project: null, train: 5, val: 0, test: 0 } }))).toMatch(
      /^an unnamed project/,
    );
    expect(backboneText(modelCard())).toBe('tiny, trained from scratch');
    expect(
      backboneText(modelCard({ backbone: { preset: 'small', pretrainedFrom: 'pretrain-07' } })),
    ).toBe('small, fine-tuned from pretrain-07');
  });

  it('describes input and output by task', () => {
    expect(ioText(modelCard())).toBe('64×64 px face crops → 68 points (300-W 68 points)');
    expect(ioText(modelCard({ task: 'expression', schema: null, classes: ['happy', 'sad'] }))).toBe(
      '64×64 px face crops → 2 classes (happy, sad)',
    );
    expect(taskLabel('backbone')).toBe('Backbone (pre-trained)');
  });

  it('needs a folder to export into', () => {
    expect(exportFolder('  exports/helen ')).toBe('exports/helen');
    expect(exportFolder('   ')).toBeNull();
  });
});
