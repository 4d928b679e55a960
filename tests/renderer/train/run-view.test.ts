import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  applyEventToInfo,
  isLive,
  runToReattach,
  runViewOf,
  runViewOfInfo,
  upsertRun,
  withListedChanges,
  type TrainingEvent,
} from '../../../src-renderer/src/features/train/run-view';
import { progress, runInfo, validation } from '../../support/training-runs';

function replay(events: TrainingEvent[]) {
  return events.reduce(applyEvent, runViewOfInfo(runInfo({ status: 'queued' })));
}

describe('a run followed through its events', () => {
  it('charts every progress event and moves the step, then ends with the final record', () => {
    const done = runInfo({
      status: 'done',
      step: 120,
      modelId: 'ft-landmarks-001',
      metrics: { nme: 0.132 },
    });
    const view = replay([
      { type: 'queued', position: 1 },
      { type: 'started' },
      { type: 'progress', progress: progress(1) },
      { type: 'progress', progress: progress(2) },
      { type: 'validation', validation: validation(2, 0.2) },
      { type: 'progress', progress: progress(3) },
      { type: 'checkpoint', step: 3 },
      { type: 'done', run: done },
    ]);
    expect(view.progress.steps).toEqual([1, 2, 3]);
    expect(view.validation.values).toEqual([0.2]);
    expect(view.lastValidation?.samples).toHaveLength(1);
    expect(view.last?.step).toBe(3);
    expect(view.run).toEqual(done);
    expect(view.queuePosition).toBeNull();
  });

  it('shows the queue position until the run starts', () => {
    const queued = replay([{ type: 'queued', position: 2 }]);
    expect(queued.queuePosition).toBe(2);
    expect(queued.run.status).toBe('queued');
    const started = applyEvent(queued, { type: 'started' });
    expect(started.run.status).toBe('running');
    expect(started.queuePosition).toBeNull();
  });

  it('pauses at a step and resumes', () => {
    const running = replay([{ type: 'started' }, { type: 'progress', progress: progress(5) }]);
    const paused = applyEvent(running, { type: 'paused', step: 6 });
    expect(paused.run).toMatchObject({ status: 'paused', step: 6 });
    expect(applyEvent(paused, { type: 'resumed' }).run.status).toBe('running');
  });

  it('takes a step logged after the pause as running again, even without `resumed`', () => {
    const paused = replay([{ type: 'started' }, { type: 'paused', step: 6 }]);
    const next = applyEvent(paused, { type: 'progress', progress: progress(6) });
    expect(next.run).toMatchObject({ status: 'running', step: 6 });
  });

  it('a failure keeps the error and the resumable flag from the run record', () => {
    const failed = runInfo({ status: 'failed', error: 'loss is NaN at step 40', resumable: true });
    const view = applyEvent(replay([{ type: 'started' }]), {
      type: 'failed',
      message: 'loss is NaN at step 40',
      run: failed,
    });
    expect(view.run.status).toBe('failed');
    expect(view.run.error).toBe('loss is NaN at step 40');
    expect(view.run.resumable).toBe(true);
  });

  it('takes the event message when the record carries no error', () => {
    const view = applyEvent(replay([]), {
      type: 'failed',
      message: 'the training process exited',
      run: runInfo({ status: 'failed' }),
    });
    expect(view.run.error).toBe('the training process exited');
  });

  it('a checkpoint makes the run resumable', () => {
    expect(applyEvent(replay([]), { type: 'checkpoint', step: 10 }).run.resumable).toBe(true);
  });
});

describe('reattaching', () => {
  it('builds the dashboard from the stored detail, then adds later events without repeats', () => {
    const detail = {
      run: runInfo({ step: 3 }),
      config: { epochs: 10 },
      progress: [progress(1), progress(2), progress(3)],
      validations: [validation(2, 0.3)],
      ced: null,
    };
    let view = runViewOf(detail);
    expect(view.progress.steps).toEqual([1, 2, 3]);
    expect(view.last?.step).toBe(3);
    // Events buffered while the detail loaded overlap it.
    view = applyEvent(view, { type: 'progress', progress: progress(3) });
    view = applyEvent(view, { type: 'progress', progress: progress(4) });
    expect(view.progress.steps).toEqual([1, 2, 3, 4]);
    expect(view.run.step).toBe(4);
  });

  it('picks a running or paused run over newer finished ones', () => {
    const runs = [
      runInfo({ id: 'c', status: 'done' }),
      runInfo({ id: 'b', status: 'paused' }),
      runInfo({ id: 'a', status: 'failed' }),
    ];
    expect(runToReattach(runs)?.id).toBe('b');
    expect(runToReattach([runs[0]!, runs[2]!])?.id).toBe('c');
    expect(runToReattach([])).toBeNull();
    expect(isLive(runs[1]!)).toBe(true);
    expect(isLive(runs[0]!)).toBe(false);
  });
});

describe('the history list', () => {
  it('replaces a run in place and puts a new one first', () => {
    const runs = [runInfo({ id: 'b' }), runInfo({ id: 'a' })];
    const moved = upsertRun(runs, runInfo({ id: 'a', step: 9 }));
    expect(moved.map((r) => [r.id, r.step])).toEqual([
      ['b', 0],
      ['a', 9],
    ]);
    expect(upsertRun(runs, runInfo({ id: 'c' })).map((r) => r.id)).toEqual(['c', 'b', 'a']);
  });

  it("keeps a run's listed config changes when a record without them replaces it", () => {
    const changes = [{ key: 'headLr', from: '0.001', to: '0.01' }];
    const runs = [runInfo({ id: 'b', changes }), runInfo({ id: 'a', changes: null })];
    const ended = upsertRun(runs, runInfo({ id: 'b', status: 'done' }));
    expect(ended[0]).toMatchObject({ status: 'done', changes });
    // The list's own answer wins, "first of its kind" (null) included.
    expect(upsertRun(runs, runInfo({ id: 'b', changes: [] }))[0]!.changes).toEqual([]);
    expect(upsertRun(runs, runInfo({ id: 'a' }))[1]!.changes).toBeNull();

    const started = upsertRun(runs, runInfo({ id: 'c' }));
    expect(started[0]!.changes).toBeUndefined();
    const listed = withListedChanges(started, [runInfo({ id: 'c', changes, status: 'queued' })]);
    expect(listed.map((r) => [r.id, r.changes])).toEqual([
      ['c', changes],
      ['b', changes],
      ['a', null],
    ]);
    // Only the changes come from the list: the status stays the page's.
    expect(listed[0]!.status).toBe('running');
  });

  it('updates a listed run from an event', () => {
    const info = applyEventToInfo(runInfo({ step: 2 }), {
      type: 'progress',
      progress: progress(7),
    });
    expect(info.step).toBe(7);
  });
});
