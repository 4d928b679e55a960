import { describe, expect, it } from 'vitest';
import type { LiveJob } from '$shared/live-jobs';
import {
  jobDestination,
  jobFraction,
  jobProgressText,
  jobSection,
} from '../../../src-renderer/src/shell/running-jobs';

function job(overrides: Partial<LiveJob> = {}): LiveJob {
  return {
    id: 'finetune-1',
    kind: 'run',
    title: 'Fine-tune landmarks',
    status: 'running',
    stage: null,
    done: 12,
    total: 40,
    etaSeconds: 35,
    ...overrides,
  };
}

describe('running jobs in the shell', () => {
  it('leads each kind of job to the section that shows it', () => {
    expect(jobSection(job())).toBe('train');
    expect(jobSection(job({ kind: 'import' }))).toBe('library');
    expect(jobSection(job({ kind: 'prelabel' }))).toBe('label');
    expect(jobSection(job({ kind: 'compare' }))).toBe('models');
    expect(jobDestination(job())).toBe('Show it in Train');
  });

  it('says where a job stands: status, count, share, and the ETA only while it runs', () => {
    expect(jobProgressText(job())).toBe('running · step 12 / 40 · 30% · ETA 35 s');
    expect(jobProgressText(job({ status: 'paused' }))).toBe('paused · step 12 / 40 · 30%');
    expect(jobProgressText(job({ status: 'queued', done: 0, total: null, etaSeconds: null }))).toBe(
      'queued',
    );
    expect(
      jobProgressText(
        job({ kind: 'import', stage: 'detecting', done: 40, total: 40, etaSeconds: 0 }),
      ),
    ).toBe('running · detecting 40 / 40 · 100%');
    expect(
      jobProgressText(
        job({ kind: 'import', stage: 'scanning', done: 0, total: null, etaSeconds: null }),
      ),
    ).toBe('running · scanning');
    expect(jobProgressText(job({ kind: 'prelabel', done: 3, total: 9, etaSeconds: null }))).toBe(
      'running · 3 / 9 · 33%',
    );
  });

  it('has no share while the total is unknown, and never more than the whole', () => {
    expect(jobFraction({ done: 5, total: null })).toBeNull();
    expect(jobFraction({ done: 5, total: 0 })).toBeNull();
    expect(jobFraction({ done: 50, total: 40 })).toBe(1);
  });
});
