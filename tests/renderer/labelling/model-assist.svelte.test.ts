/**
 * Pre-labelling and the most-uncertain-point search, through the labeller as the panel uses
 * them: what a prediction does to the face shown, how a background job's events are followed,
 * and how W finds the worst unconfirmed point across faces (reading them from disk once).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Landmark } from '$shared/domain';
import { Labeller } from '../../../src-renderer/src/features/labelling/labeller.svelte';
import type { CanvasModel } from '../../../src-renderer/src/features/labelling/model/canvas-model';
import { settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import { modelCard, modelInfo } from '../models/fixtures';
import { face, FACE_POINTS, IMAGE_IDS, serveProject, type ProjectState } from './project-fixture';

const [A, B, C] = IMAGE_IDS as [string, string, string];

const FIVE_CARD = modelCard({
  schema: {
    id: 'five',
    name: 'Five points',
    points: ['le', 're', 'n', 'lm', 'rm'],
    mirror: [],
    normaliser: [0, 1],
  },
});

function predictedPoints(uncertainties: number[]): Landmark[] {
  return FACE_POINTS.map((p, i) => ({
    x: p.x + 1,
    y: p.y + 1,
    v: 2,
    source: 'model',
    confirmed: false,
    uncertainty: uncertainties[i]!,
  }));
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

async function open(prepare?: (state: ProjectState) => void) {
  const state = serveProject(studio);
  studio.handle('models:list', () => [
    modelInfo({ id: 'expr', task: 'expression', card: { schema: null, classes: ['happy'] } }),
    modelInfo({ id: 'five-model', card: FIVE_CARD }),
    modelInfo({ id: 'ibug-model' }),
  ]);
  prepare?.(state);
  const labeller = new Labeller();
  await labeller.start();
  await settle();
  return { labeller, state, model: labeller.model as CanvasModel };
}

describe('ModelAssist: models', () => {
  it('offers only landmark models with this schema’s points, and picks the first', async () => {
    const { labeller } = await open();
    expect(labeller.assist.models.map((m) => m.id)).toEqual(['five-model']);
    expect(labeller.assist.modelId).toBe('five-model');
  });
});

describe('ModelAssist: pre-labelling the face shown', () => {
  it('merges the prediction, keeps the points a person placed, as one undo step', async () => {
    const { labeller, model } = await open();
    expect(labeller.image?.id).toBe(C); // unlabelled
    model.setMode('place');
    model.placePoint(model.imageToStage({ x: 50, y: 50 })); // the left eye, by hand
    model.setMode('idle');
    studio.handle('labels:prelabel', () => ({
      face: face(C, 0, predictedPoints([0.01, 0.05, 0.02, 0.03, 0.01])),
      jobId: null,
    }));
    await labeller.assist.prelabelCurrent();
    expect(studio.requests('labels:prelabel')).toEqual([
      { modelId: 'five-model', target: { imageId: C } },
    ]);
    expect(labeller.points[0]).toMatchObject({ source: 'human', confirmed: true });
    expect(labeller.points[0]!.x).toBeCloseTo(50, 6);
    expect(labeller.points.slice(1).every((p) => p.source === 'model' && !p.confirmed)).toBe(true);
    expect(labeller.notice).toBe(
      'Pre-labelled 4 points; kept the 1 you placed. C confirms, W finds the most uncertain',
    );
    expect(labeller.active).toBe(1); // the most uncertain
    expect(labeller.undoLabel).toBe('pre-label');
    model.undo();
    expect(labeller.labelledCount).toBe(1);
  });

  it('drops an answer for an image no longer shown', async () => {
    const { labeller } = await open();
    let answer: (value: { face: ReturnType<typeof face>; jobId: null }) => void = () => {};
    studio.handle(
      'labels:prelabel',
      () => new Promise((resolve) => (answer = resolve as typeof answer)),
    );
    const predicting = labeller.assist.prelabelCurrent();
    expect(labeller.assist.prelabelling).toBe(true);
    await labeller.navigation.previous(); // to B
    answer({ face: face(C, 0, predictedPoints([0.01, 0.05, 0.02, 0.03, 0.01])), jobId: null });
    await predicting;
    expect(labeller.image?.id).toBe(B);
    expect(labeller.points.every((p) => p.source === 'human')).toBe(true);
    expect(labeller.assist.prelabelling).toBe(false);
  });
});

describe('ModelAssist: a model no better than its baseline', () => {
  const WORSE = modelInfo({
    id: 'worse-model',
    card: {
      ...FIVE_CARD,
      id: 'worse-model',
      metrics: [
        {
          data: 'validation faces (held out of train) of project "tiny"',
          faces: 28,
          values: { nme: 0.196 },
          baseline: { rule: 'mean-shape', values: { nme: 0.179 }, fittedOn: 250 },
          verdict: 'no-better',
        },
      ],
    },
  });

  async function openWorse() {
    const opened = await open();
    studio.handle('models:list', () => [WORSE]);
    await opened.labeller.assist.loadModels({ id: 'five', pointCount: 5 });
    expect(opened.labeller.assist.modelId).toBe('worse-model');
    return opened;
  }

  it('asks first, naming the figures, and pre-labels nothing when the person declines', async () => {
    const { labeller } = await openWorse();
    await labeller.assist.prelabelCurrent();
    expect(labeller.assist.caution).toEqual({
      modelId: 'worse-model',
      target: 'current',
      text:
        'Model worse-model is no better than its baseline: 19.6% NME on 28 validation faces — ' +
        'the mean shape alone: 17.9%. Pre-label with it anyway?',
    });
    expect(studio.requests('labels:prelabel')).toEqual([]);
    labeller.assist.keepOff();
    expect(labeller.assist.caution).toBeNull();
    await labeller.assist.prelabelAll();
    expect(labeller.assist.caution).toMatchObject({ target: 'all' });
    expect(labeller.assist.job).toBeNull();
    expect(studio.requests('labels:prelabel')).toEqual([]);
  });

  it('pre-labels with acceptance once the person accepts, and does not ask again', async () => {
    const { labeller } = await openWorse();
    studio.handle('labels:prelabel', () => ({
      face: face(C, 0, predictedPoints([0.01, 0.05, 0.02, 0.03, 0.01])),
      jobId: null,
    }));
    await labeller.assist.prelabelCurrent();
    await labeller.assist.proceed();
    expect(labeller.assist.caution).toBeNull();
    expect(studio.requests('labels:prelabel')).toEqual([
      { modelId: 'worse-model', target: { imageId: C }, acceptNoBetter: true },
    ]);
    expect(labeller.points.some((p) => p.source === 'model')).toBe(true);
    studio.handle('labels:prelabel', () => ({ face: null, jobId: 'job-9' }));
    await labeller.assist.prelabelAll();
    expect(labeller.assist.caution).toBeNull();
    expect(studio.requests('labels:prelabel').at(-1)).toEqual({
      modelId: 'worse-model',
      target: 'unlabelled',
      acceptNoBetter: true,
    });
  });
});

describe('ModelAssist: pre-labelling every unlabelled image', () => {
  it('follows its own job’s events only, and shows the face shown again once it ends', async () => {
    const { labeller, state } = await open();
    studio.handle('labels:prelabel', () => ({ face: null, jobId: 'job-1' }));
    await labeller.assist.prelabelAll();
    expect(labeller.assist.job).toMatchObject({ jobId: 'job-1', finished: false });
    studio.emit('labels:prelabelProgress', { jobId: 'job-0', done: 9, total: 9, finished: true });
    expect(labeller.assist.job).toMatchObject({ done: 0, finished: false });
    studio.emit('labels:prelabelProgress', { jobId: 'job-1', done: 1, total: 2, finished: false });
    expect(labeller.assist.job).toMatchObject({ done: 1, total: 2 });
    // The job wrote C's face; the labeller had not touched it, so it shows what is stored now.
    state.faces.set(C, face(C, 1, predictedPoints([0.01, 0.02, 0.03, 0.04, 0.05])));
    studio.emit('labels:prelabelProgress', { jobId: 'job-1', done: 2, total: 2, finished: true });
    await settle();
    expect(labeller.assist.job?.finished).toBe(true);
    expect(labeller.unconfirmedCount).toBe(5);
    labeller.assist.dismissJob();
    expect(labeller.assist.job).toBeNull();
  });
});

describe('ModelAssist: the most uncertain point', () => {
  it('reads the faces once, then walks the worst unconfirmed points across faces', async () => {
    const { labeller, model } = await open((state) => {
      state.faces.set(A, face(A, 3, predictedPoints([0.01, 0.02, 0.01, 0.01, 0.01])));
      state.faces.set(B, face(B, 1, predictedPoints([0.01, 0.01, 0.01, 0.09, 0.01])));
    });
    expect(labeller.image?.id).toBe(C);
    await labeller.assist.nextUncertain();
    expect(labeller.image?.id).toBe(B);
    expect(labeller.active).toBe(3);
    expect(labeller.notice).toBe('Most uncertain: 3 · left mouth corner (9.0% of the face)');
    const reads = studio.requests('labels:get').length;

    model.confirmPoints(); // every point of B checked: A holds the worst now
    await labeller.assist.nextUncertain();
    expect(labeller.image?.id).toBe(A);
    expect(labeller.active).toBe(1);
    // No second scan: one read, for showing A.
    expect(studio.requests('labels:get')).toHaveLength(reads + 1);
    expect(studio.requests('labels:save')).toHaveLength(1); // B's confirmations, before leaving
  });

  it('says when no unconfirmed point is left', async () => {
    const { labeller } = await open();
    await labeller.assist.nextUncertain();
    expect(labeller.notice).toBe('No unconfirmed point left to check');
    expect(labeller.image?.id).toBe(C);
  });
});
