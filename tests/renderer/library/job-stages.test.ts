import { describe, expect, it } from 'vitest';
import {
  stageLine,
  stagePercent,
  stageStates,
} from '../../../src-renderer/src/features/library/job-stages';

describe('the stages of a library job', () => {
  it('marks the stages before the running one done and those after it waiting', () => {
    const states = stageStates(
      { kind: 'import', labelled: false, curate: true, copy: true },
      'detecting',
    );
    expect(states.map((s) => `${s.name}: ${s.state}`)).toEqual([
      'Looking at the folder: done',
      'Reading images and making thumbnails: done',
      'Detecting faces: running',
      'Checking near-duplicates: waiting',
      'Copying into the project: waiting',
      'Writing the project: waiting',
    ]);
    expect(stageStates({ kind: 'curate' }, null).every((s) => s.state === 'waiting')).toBe(true);
  });

  it('names the running stage with its own count, rate and time left', () => {
    const copying = { stage: 'copying' as const, done: 12, total: 40, rate: 3.42, etaSeconds: 8.2 };
    expect(stageLine(copying)).toBe('Copying into the project 12/40 · 3.4 images/s · ETA 8 s');
    expect(stagePercent(copying)).toBe(30);
    expect(stageLine({ stage: 'detecting', done: 0, total: 40, rate: 0, etaSeconds: null })).toBe(
      'Detecting faces 0/40 · loading the face detector…',
    );
    expect(
      stageLine({ stage: 'near-duplicates', done: 0, total: 0, rate: 0, etaSeconds: null }),
    ).toBe('Checking near-duplicates…');
    expect(stagePercent({ stage: 'writing', done: 0, total: 0, rate: 0, etaSeconds: null })).toBe(
      0,
    );
  });

  it('names the first stage of the job before any report', () => {
    expect(stageLine(null)).toBe('Looking at the folder…');
    expect(stageLine(null, 'detecting')).toBe('Detecting faces…');
  });
});
