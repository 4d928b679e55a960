/**
 * A model's quality in words: the headline figure beside its baseline, what it rests on, and the
 * warning and pre-label question for a model no better than the baseline.
 */
import { describe, expect, it } from 'vitest';
import type { CardMetrics, ModelCard } from '../../src-main/shared/model-card';
import { modelQuality, prelabelCaution } from '../../src-main/shared/model-quality';

function card(task: ModelCard['task'], metrics: CardMetrics[]) {
  return { id: 'finetune-a', task, metrics };
}

describe('model quality in words', () => {
  it('puts the test NME beside the mean shape, and says nothing more of a good model', () => {
    const quality = modelQuality(
      card('landmarks', [
        {
          data: 'test split of project "helen"',
          faces: 100,
          values: { nme: 0.0412, failureRate: 0.01 },
          baseline: { rule: 'mean-shape', values: { nme: 0.179 }, fittedOn: 50 },
          verdict: 'better',
        },
      ]),
    );
    expect(quality).toEqual({
      summary: '4.1% NME on 100 test faces — the mean shape alone: 17.9%',
      verdict: 'better',
      warning: null,
      notes: [],
    });
    expect(prelabelCaution(card('landmarks', []))).toBeNull();
  });

  it('warns of a model no better than its baseline, on few faces, and asks before pre-labelling', () => {
    const worse = card('landmarks', [
      {
        data: 'validation faces (held out of train)',
        faces: 10,
        values: { nme: 0.196 },
        baseline: { rule: 'mean-shape', values: { nme: 0.179 }, fittedOn: 28 },
        verdict: 'no-better',
      },
    ]);
    const quality = modelQuality(worse)!;
    expect(quality.verdict).toBe('no-better');
    expect(quality.warning).toBe(
      'No better than the mean shape: 19.6% NME against 17.9% for the mean shape on the same ' +
        '10 validation faces. Its predictions are not worth more than that rule; label more ' +
        'faces or train it differently.',
    );
    expect(quality.notes).toEqual(['A rough figure: it rests on only 10 validation faces.']);
    expect(prelabelCaution(worse)).toBe(
      'Model finetune-a is no better than its baseline: 19.6% NME on 10 validation faces — the ' +
        'mean shape alone: 17.9%. Pre-label with it anyway?',
    );
  });

  it('names the people behind expression figures and those who also train', () => {
    const quality = modelQuality(
      card('expression', [
        {
          data: 'test split of project "ck"',
          faces: 196,
          values: { accuracy: 0.31 },
          baseline: { rule: 'majority-class', values: { accuracy: 0.26 }, fittedOn: 785 },
          verdict: 'better',
          subjects: 24,
          sharedSubjects: 3,
        },
      ]),
    )!;
    expect(quality.summary).toBe(
      '31.0% accuracy on 196 test faces of 24 people — always answering the most common expression: 26.0%',
    );
    expect(quality.notes).toEqual([
      '3 of these people also have faces in training, which flatters the figure.',
    ]);
  });

  it('reads cards from before baselines, and has nothing to say of a backbone', () => {
    const old = modelQuality(
      card('attributes', [
        { data: 'validation split', faces: 40, values: { meanAccuracy: 0.875 } },
      ]),
    )!;
    expect(old).toEqual({
      summary: '87.5% mean accuracy on 40 validation faces (no baseline recorded)',
      verdict: null,
      warning: null,
      notes: [],
    });
    expect(modelQuality(card('backbone', []))).toBeNull();
  });
});
