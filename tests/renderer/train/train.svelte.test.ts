/**
 * The Train section's store against a scripted studio: which run it shows when the view opens,
 * that events arriving while a run's detail loads are kept and applied after it, that a control's
 * answer does not overrule a live run's events, and that a run started elsewhere is adopted.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelInfo, RunDetail, RunInfo } from '$shared/training';
import { deferred, settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import { libraryStats } from '../support/library-stats';
import { modelInfo } from '../models/fixtures';
import { progress, runInfo } from '../../support/training-runs';

const STATS = libraryStats({
  total: 40,
  splits: { pool: 0, train: 30, val: 5, test: 5 },
  labelled: 40,
});

function detail(run: RunInfo, steps: number[] = []): RunDetail {
  return {
    run,
    config: { epochs: 10 },
    progress: steps.map((s) => progress(s)),
    validations: [],
    ced: null,
  };
}

const DONE_RUN = runInfo({ id: 'ft-old', status: 'done', step: 120 });
const LIVE_RUN = runInfo({ id: 'ft-live', status: 'running', step: 10 });

function serveTraining(runs: RunInfo[], models: ModelInfo[] = []): void {
  studio.handle('models:list', () => models);
  studio.handle('library:stats', () => STATS);
  studio.handle('library:list', () => ({ total: 7, items: [] }));
  studio.handle('training:configSchema', () => ({ fields: [], defaults: {} }));
  studio.handle('training:runs', () => runs);
  studio.handle('training:run', ({ runId }) => {
    const run = runs.find((r) => r.id === runId);
    if (!run) throw new Error(`no run ${runId}`);
    return detail(run, [run.step]);
  });
}

/** A fresh store (the module holds a singleton). */
async function freshTrain() {
  vi.resetModules();
  const { train } = await import('../../../src-renderer/src/features/train/train.svelte');
  return train;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('train store: opening the view', () => {
  it('shows the live run rather than the newest, with its logged steps', async () => {
    const train = await freshTrain();
    serveTraining([DONE_RUN, LIVE_RUN]);
    train.start();
    await settle(40);
    expect(train.loading).toBe(false);
    expect(train.error).toBeNull();
    expect(train.view?.run.id).toBe('ft-live');
    expect(train.view?.last?.step).toBe(10);
    expect(studio.requests('training:run')).toEqual([{ runId: 'ft-live' }]);
    // Seven images per split and state, as the filtered counts say.
    expect(train.labelled).toEqual({ pool: 7, train: 7, val: 7, test: 7 });
  });

  it('shows a run the Models view asked for instead', async () => {
    const train = await freshTrain();
    serveTraining([DONE_RUN, LIVE_RUN]);
    train.requestRun('ft-old');
    train.start();
    await settle(40);
    expect(train.view?.run.id).toBe('ft-old');
  });

  it("shows the run the shell's running-jobs indicator leads to, open or not", async () => {
    const train = await freshTrain();
    serveTraining([DONE_RUN, LIVE_RUN]);
    // Not open yet: the view shows it as it opens, instead of the run it would reattach to.
    train.show('ft-old');
    train.start();
    await settle(40);
    expect(train.view?.run.id).toBe('ft-old');
    // Open: at once.
    train.show('ft-live');
    await settle(20);
    expect(train.view?.run.id).toBe('ft-live');
    expect(studio.requests('training:run')).toEqual([{ runId: 'ft-old' }, { runId: 'ft-live' }]);
  });
});

describe('train store: the finished model beside its baseline', () => {
  const FINISHED = runInfo({ id: 'ft-done', status: 'done', step: 120, modelId: 'ft-done' });

  it('says the run’s model is no better than the mean shape, in words and figures', async () => {
    const train = await freshTrain();
    const worse = modelInfo({
      id: 'ft-done',
      card: {
        metrics: [
          {
            data: 'validation faces (held out of train) of project "helen"',
            faces: 28,
            values: { nme: 0.196, failureRate: 0.83 },
            baseline: { rule: 'mean-shape', values: { nme: 0.179 }, fittedOn: 250 },
            verdict: 'no-better',
          },
        ],
      },
    });
    serveTraining([FINISHED], [worse]);
    train.start();
    await settle(40);
    expect(train.view?.run.id).toBe('ft-done');
    expect(train.runQuality).toMatchObject({
      summary: '19.6% NME on 28 validation faces — the mean shape alone: 17.9%',
      verdict: 'no-better',
      notes: ['A rough figure: it rests on only 28 validation faces.'],
    });
    expect(train.runQuality?.warning).toMatch(
      /^No better than the mean shape: 19\.6% NME against 17\.9%/,
    );
  });

  it('has nothing to say of a run without a model on the shelf', async () => {
    const train = await freshTrain();
    serveTraining([FINISHED]);
    train.start();
    await settle(40);
    expect(train.view?.run.id).toBe('ft-done');
    expect(train.runQuality).toBeNull();
  });
});

describe('train store: events', () => {
  it('keeps events that arrive while the run’s detail loads, and applies them after it', async () => {
    const train = await freshTrain();
    serveTraining([LIVE_RUN]);
    const slow = deferred<RunDetail>();
    studio.handle('training:run', () => slow.promise);
    train.start();
    await settle(40);
    expect(studio.requests('training:run')).toHaveLength(1);
    studio.emit('training:event', {
      runId: 'ft-live',
      event: { type: 'progress', progress: progress(11) },
    });
    studio.emit('training:event', {
      runId: 'ft-live',
      event: { type: 'progress', progress: progress(12) },
    });
    slow.resolve(detail(LIVE_RUN, [9, 10]));
    await settle(40);
    expect(train.view?.last?.step).toBe(12);
    expect(train.view?.run.step).toBe(12);
    // Later events go straight to the view.
    studio.emit('training:event', { runId: 'ft-live', event: { type: 'paused', step: 12 } });
    expect(train.view?.run.status).toBe('paused');
  });

  it('does not let a pause answer overrule the live run’s later events', async () => {
    const train = await freshTrain();
    serveTraining([LIVE_RUN]);
    const answer = deferred<RunInfo>();
    studio.handle('training:pause', () => answer.promise);
    train.start();
    await settle(40);
    const pausing = train.pause();
    expect(train.acting).toBe(true);
    studio.emit('training:event', { runId: 'ft-live', event: { type: 'paused', step: 10 } });
    studio.emit('training:event', { runId: 'ft-live', event: { type: 'resumed' } });
    // The answer was read before the process resumed: the events know better.
    answer.resolve({ ...LIVE_RUN, status: 'paused' });
    await pausing;
    expect(train.acting).toBe(false);
    expect(train.view?.run.status).toBe('running');
    expect(train.runs.find((r) => r.id === 'ft-live')?.status).toBe('running');
  });

  it('cancels a run only once the person confirms, and not another run shown meanwhile', async () => {
    const train = await freshTrain();
    serveTraining([DONE_RUN, LIVE_RUN]);
    studio.handle('training:cancel', ({ runId }) => ({
      ...LIVE_RUN,
      id: runId,
      status: 'running' as const,
    }));
    train.start();
    await settle(40);
    train.askCancel();
    expect(train.confirmingCancel).toBe('ft-live');
    train.keepRunning();
    expect(train.confirmingCancel).toBeNull();
    await train.cancel();
    expect(studio.requests('training:cancel')).toEqual([]);

    // Asked, then another run is shown: the question was about the first; nothing is cancelled.
    train.askCancel();
    await train.select('ft-old');
    expect(train.confirmingCancel).toBeNull();
    await train.cancel();
    expect(studio.requests('training:cancel')).toEqual([]);

    await train.select('ft-live');
    train.askCancel();
    await train.cancel();
    expect(train.confirmingCancel).toBeNull();
    expect(studio.requests('training:cancel')).toEqual([{ runId: 'ft-live' }]);
  });

  it('adopts a run started in another window when nothing live is shown', async () => {
    const train = await freshTrain();
    const runs = [DONE_RUN];
    serveTraining(runs);
    train.start();
    await settle(40);
    expect(train.view?.run.id).toBe('ft-old');
    const other = runInfo({ id: 'ft-other', status: 'running', step: 0 });
    runs.unshift(other);
    studio.emit('training:event', { runId: 'ft-other', event: { type: 'started' } });
    await settle(40);
    expect(train.view?.run.id).toBe('ft-other');
    expect(train.runs.map((r) => r.id)).toEqual(['ft-other', 'ft-old']);
  });
});

describe('train store: starting a run', () => {
  it('refuses to start from an Advanced form with errors, and sends nothing', async () => {
    const train = await freshTrain();
    serveTraining([]);
    studio.handle('training:configSchema', () => ({
      fields: [
        {
          key: 'epochs',
          type: 'integer',
          help: 'passes over the training faces',
          default: 10,
          min: 1,
          max: 500,
          optional: false,
        },
      ],
      defaults: { epochs: 10 },
    }));
    train.start();
    await settle(40);
    train.setValue('epochs', '0');
    await train.startRun(true);
    expect(train.error).toBe('Fix the highlighted settings first.');
    expect(studio.requests('training:start')).toEqual([]);
  });

  it('starts a run with the changed settings and shows it', async () => {
    const train = await freshTrain();
    const runs: RunInfo[] = [];
    serveTraining(runs);
    studio.handle('training:start', (request) => {
      const run = runInfo({ id: 'ft-new', status: 'queued', step: 0 });
      runs.unshift(run);
      expect(request.kind).toBe('finetune');
      return run;
    });
    train.start();
    await settle(40);
    await train.startRun();
    expect(studio.requests('training:start')).toHaveLength(1);
    expect(train.view?.run.id).toBe('ft-new');
    expect(train.runs.map((r) => r.id)).toEqual(['ft-new']);
  });
});
