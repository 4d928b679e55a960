/**
 * The library's job runner: one job at a time, each with an id its progress and outcome carry; a
 * failed job's outcome names the error, and an undecodable-images failure lists the bad files
 * and how many good ones there are.
 */
import { describe, expect, it } from 'vitest';
import { LibraryJobs, type JobOutcome } from '../../../src-main/core/library/library-jobs';
import type {
  LibraryJobOutcome,
  LibraryJobProgress,
} from '../../../src-main/core/library/library-service';
import { UndecodableImagesError } from '../../../src-main/core/library/undecodable-images';
import { StudioError } from '../../../src-main/shared/errors';

const NO_FACES = { added: 0, unchanged: 0, kept: 0, overwritten: 0 };

function outcome(fields: Partial<LibraryJobOutcome> = {}): LibraryJobOutcome {
  return {
    added: 2,
    duplicates: 1,
    labelled: 0,
    faces: NO_FACES,
    flagged: 0,
    failed: [],
    cancelled: false,
    ...fields,
  };
}

function recorder(): {
  jobs: LibraryJobs;
  done: JobOutcome[];
  progress: [string, LibraryJobProgress][];
} {
  const done: JobOutcome[] = [];
  const progress: [string, LibraryJobProgress][] = [];
  const jobs = new LibraryJobs({
    progress: (id, p) => progress.push([id, p]),
    done: (o) => done.push(o),
  });
  return { jobs, done, progress };
}

describe('LibraryJobs', () => {
  it("passes the job's progress on under its id, then its outcome", async () => {
    const { jobs, done, progress } = recorder();
    const step: LibraryJobProgress = {
      stage: 'importing',
      done: 1,
      total: 2,
      rate: 3,
      etaSeconds: 4,
    };
    const id = jobs.start(async ({ onProgress }) => {
      onProgress(step);
      return outcome();
    });
    await jobs.idle();
    expect(progress).toEqual([[id, step]]);
    expect(done).toEqual([{ jobId: id, ...outcome() }]);
  });

  it('refuses a second job while one runs, and takes one again once it is over', async () => {
    const { jobs, done } = recorder();
    let finish: () => void = () => undefined;
    const first = jobs.start(() => new Promise((resolve) => (finish = () => resolve(outcome()))));
    expect(() => jobs.start(async () => outcome())).toThrow(
      new StudioError(
        'conflict',
        'Another import or curation is running; wait for it or cancel it first',
      ),
    );
    finish();
    await jobs.idle();
    const second = jobs.start(async () => outcome({ added: 5 }));
    expect(second).not.toBe(first);
    await jobs.idle();
    expect(done.map((o) => [o.jobId, o.added])).toEqual([
      [first, 2],
      [second, 5],
    ]);
    // A finished job cannot be cancelled, and idle with no job resolves.
    expect(jobs.cancel(first)).toBe(false);
    await expect(jobs.idle()).resolves.toBeUndefined();
  });

  it("turns a failure into an outcome with the error's message, cancelled when it was", async () => {
    const { jobs, done } = recorder();
    const failing = jobs.start(async () => {
      throw new StudioError('io', 'Cannot read /x: gone');
    });
    await jobs.idle();
    const stopped = jobs.start(
      ({ signal }) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('stopped'))),
        ),
    );
    expect(jobs.cancel(stopped)).toBe(true);
    await jobs.idle();
    const failed = {
      added: 0,
      duplicates: 0,
      labelled: 0,
      faces: NO_FACES,
      flagged: 0,
      failed: [],
    };
    // toStrictEqual: no `goodImages` key at all (it is for undecodable images only).
    expect(done).toStrictEqual([
      { jobId: failing, ...failed, cancelled: false, error: 'Cannot read /x: gone' },
      { jobId: stopped, ...failed, cancelled: true, error: 'stopped' },
    ]);
  });

  it('lists undecodable images and how many good ones the import has', async () => {
    const { jobs, done } = recorder();
    const failures = [
      { file: '/set/a.jpg', reason: '/set/a.jpg: cut short' },
      { file: '/set/b.png', reason: '/set/b.png: not an image' },
    ];
    const error = new UndecodableImagesError('/set', failures, 7);
    const id = jobs.start(async () => {
      throw error;
    });
    await jobs.idle();
    expect(done).toEqual([
      {
        jobId: id,
        added: 0,
        duplicates: 0,
        labelled: 0,
        faces: NO_FACES,
        flagged: 0,
        failed: failures,
        cancelled: false,
        error: error.message,
        goodImages: 7,
      },
    ]);
    expect(done[0]!.failed).not.toBe(error.failures);
  });
});
