/** Models as `models:list` returns them, with cards as the exporter writes them. */
import type { BackboneComparison } from '$shared/backbone-comparison';
import type { ModelCard } from '$shared/model-card';
import type { ModelInfo } from '$shared/training';

export function modelCard(overrides: Partial<ModelCard> = {}): ModelCard {
  return {
    format: 'face-studio-model',
    version: 1,
    id: 'ft-landmarks-001',
    task: 'landmarks',
    createdAt: '2026-11-28T10:30:00.000Z',
    studio: '0.1.0',
    schema: {
      id: 'ibug68',
      name: '300-W 68 points',
      points: Array.from({ length: 68 }, (_, i) => `p${i}`),
      mirror: [[0, 16]],
      normaliser: [36, 45],
    },
    attributes: null,
    classes: null,
    input: {
      size: 64,
      range: [0, 1],
      normalisation: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    },
    crop: { from: 'face-box', margin: 0.1, landmarksToFaceBox: 1.27 },
    outputs: ['landmarks'],
    metrics: [
      { data: 'test split of project "helen"', faces: 20, values: { nme: 0.132, auc: 0.21 } },
    ],
    data: { project: 'helen', train: 80, val: 10, test: 20 },
    backbone: { preset: 'tiny', pretrainedFrom: null },
    config: { epochs: 50 },
    runId: 'ft-landmarks-001',
    ...overrides,
  };
}

export function modelInfo(
  overrides: Partial<Omit<ModelInfo, 'card'>> & { card?: Partial<ModelCard> } = {},
): ModelInfo {
  const { card, ...rest } = overrides;
  const task = rest.task ?? card?.task ?? 'landmarks';
  const id = rest.id ?? card?.id ?? 'ft-landmarks-001';
  return {
    id,
    task,
    createdAt: '2026-11-28T10:30:00.000Z',
    runId: 'ft-landmarks-001',
    sizeBytes: 2_400_000,
    ...rest,
    card: modelCard({ id, task, ...card }),
  };
}

/** A landmarks comparison of FaceMesh and the random ViT; `winner` marked best. */
export function comparison(task: BackboneComparison['task'], winner: string): BackboneComparison {
  const score = (value: number) => ({ value, failureRate: 0.1, faces: 10 });
  return {
    format: 'face-studio-backbone-comparison',
    version: 1,
    task,
    createdAt: '2026-12-03T07:00:00.000Z',
    metric: 'nme',
    lowerIsBetter: true,
    faces: { train: 20, val: 5, test: 10 },
    baseline: { name: 'mean shape', val: score(0.15), test: score(0.16) },
    rows: [
      {
        backboneId: 'facemesh',
        name: 'FaceMesh (MediaPipe)',
        kind: 'geometry',
        licence: 'Apache-2.0',
        attribution: 'MediaPipe Face Mesh © Google LLC',
        package: '@vladmandic/human@3.3.6',
        taps: ['mesh', 'p_re_lu_15'],
        val: score(0.05),
        test: score(0.0455),
        msPerFace: 22.4,
        error: null,
      },
      {
        backboneId: 'random',
        name: 'random init (ViT tiny)',
        kind: 'learned',
        licence: 'none',
        attribution: 'Face Studio',
        package: null,
        taps: ['tokens'],
        val: score(0.17),
        test: score(0.1668),
        msPerFace: 3,
        error: null,
      },
    ],
    winner,
    chosenBy: 'val',
  };
}
