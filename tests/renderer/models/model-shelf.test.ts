import { describe, expect, it } from 'vitest';
import {
  backboneText,
  baselineText,
  exportFolder,
  headlineMetrics,
  ioText,
  noBetter,
  originText,
  provenanceText,
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
    expect(originText(modelCard())).toBe('from scratch');
    expect(
      originText(modelCard({ backbone: { preset: 'small', pretrainedFrom: 'pretrain-07' } })),
    ).toBe('from pretrain-07');
  });

  it('names the frozen backbones of a closed-form head rather than "from scratch"', () => {
    const facemesh = {
      id: 'facemesh',
      name: 'FaceMesh (MediaPipe)',
      kind: 'geometry' as const,
      taps: ['mesh'],
      licence: 'Apache-2.0',
      attribution: 'Google',
      package: '@mediapipe/face_mesh@0.4',
      notice: 'NOTICE-facemesh.txt',
    };
    const card = modelCard({
      backbone: { preset: 'face-backbones:facemesh', pretrainedFrom: null },
      head: {
        method: 'ridge',
        backbones: [facemesh],
        crop: {
          backbone: 'facemesh',
          inputSize: 192,
          policy: { from: 'face-box', margin: 0.3, landmarksToFaceBox: 1 },
          scaleOfLandmarkExtent: 1.6,
          trainedOn: 'landmarks',
          inference: 'detection',
          refine: 'predicted-landmarks',
          wholeImageFallback: true,
        },
        uncertainty: null,
      },
    });
    expect(backboneText(card)).toBe('ridge head on frozen FaceMesh (MediaPipe)');
    expect(originText(card)).toBe('head on FaceMesh (MediaPipe)');
    // A head that applies its refinement says on which map; one that measured and dropped it not.
    const refinement = {
      tap: 'p_re_lu_9',
      applied: true,
      unrefined: 0.015,
      refined: 0.014,
      faces: 50,
    };
    const refined = { ...card, head: { ...card.head!, refinement } };
    expect(backboneText(refined)).toBe(
      'ridge head on frozen FaceMesh (MediaPipe), refined on p_re_lu_9',
    );
    const dropped = {
      ...card,
      head: { ...card.head!, refinement: { ...refinement, applied: false } },
    };
    expect(backboneText(dropped)).toBe('ridge head on frozen FaceMesh (MediaPipe)');
  });

  it('describes input and output by task', () => {
    expect(ioText(modelCard())).toBe('64×64 px face crops → 68 points (300-W 68 points)');
    expect(ioText(modelCard({ task: 'expression', schema: null, classes: ['happy', 'sad'] }))).toBe(
      '64×64 px face crops → 2 classes (happy, sad)',
    );
    const attributes = {
      task: 'attributes' as const,
      schema: null,
      attributes: ['Male', 'Smiling'],
    };
    expect(ioText(modelCard(attributes))).toBe('64×64 px face crops → 2 attributes');
    expect(
      ioText(
        modelCard({
          ...attributes,
          groups: [{ name: 'pose', classes: ['left', 'frontal', 'right'] }],
        }),
      ),
    ).toBe('64×64 px face crops → 2 attributes + pose (left, frontal, right)');
    expect(taskLabel('backbone')).toBe('Backbone (pre-trained)');
  });

  it('needs a folder to export into', () => {
    expect(exportFolder('  exports/helen ')).toBe('exports/helen');
    expect(exportFolder('   ')).toBeNull();
  });

  it('says where a backbone from the PyTorch recipe was trained, launch by launch', () => {
    expect(provenanceText(modelCard())).toBeNull();
    const segment = {
      host: 'node-a',
      hosts: ['node-a', 'node-b', 'node-c'],
      worldSize: 16,
      backend: 'nccl',
      device: 'NVIDIA H100',
      torch: '2.5.1',
      startedAt: '2026-12-01T10:00:00+00:00',
      endedAt: '2026-12-01T15:00:00+00:00',
      seconds: 18000,
      fromStep: 0,
      toStep: 7000,
    };
    const card = modelCard({
      task: 'backbone',
      provenance: {
        trainer: 'pytorch-recipe',
        file: '/labs/out/teacher.safetensors',
        importedAt: '2026-12-02T09:00:00Z',
        steps: 9000,
        seconds: 21600,
        segments: [
          segment,
          {
            ...segment,
            hosts: ['node-d'],
            host: 'node-d',
            worldSize: 1,
            fromStep: 7000,
            toStep: 9000,
          },
        ],
      },
    });
    expect(provenanceText(card)).toBe(
      'PyTorch recipe, 9000 steps in 6 h 00 min: 16 processes (NVIDIA H100) on node-a + 2 more ' +
        'hosts, steps 0–7000; 1 process (NVIDIA H100) on node-d, steps 7000–9000',
    );
  });
});
