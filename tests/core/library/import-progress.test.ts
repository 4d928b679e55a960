/** rateMeter, the one throttle and ETA of the library's progress, and the import's reporter on it. */
import { describe, expect, it } from 'vitest';
import {
  progressReporter,
  rateMeter,
  type ImportProgress,
  type RateReading,
} from '../../../src-main/core/library/import-progress';

/** An interval no run of this test reaches, so only the first and forced reports pass. */
const NEVER = 1e12;

describe('rateMeter', () => {
  it('reports the first call and forced ones, with the rate and the time left at it', () => {
    const readings: RateReading[] = [];
    let seconds = 0;
    const meter = rateMeter(
      (r) => readings.push(r),
      NEVER,
      () => seconds,
    );
    meter(0, 10, false);
    seconds = 2;
    meter(4, 10, false); // throttled
    meter(4, 10, true);
    seconds = 4;
    meter(12, 10, true); // more done than first counted: the total follows
    expect(readings).toEqual([
      { done: 0, total: 10, rate: 0, etaSeconds: null, elapsedSeconds: 0 },
      { done: 4, total: 10, rate: 2, etaSeconds: 3, elapsedSeconds: 2 },
      { done: 12, total: 12, rate: 3, etaSeconds: 0, elapsedSeconds: 4 },
    ]);
  });

  it('does nothing without a listener', () => {
    expect(() => rateMeter(undefined)(1, 2, true)).not.toThrow();
  });
});

describe('progressReporter', () => {
  it("gives an import's counts with rateMeter's reading", () => {
    const reports: ImportProgress[] = [];
    const counts = { done: 3, added: 2, duplicates: 1, failed: 0 };
    const report = progressReporter(
      (p) => reports.push(p),
      NEVER,
      6,
      () => counts,
      () => 1.5,
    );
    report(false);
    report(false);
    expect(reports).toEqual([
      {
        done: 3,
        total: 6,
        added: 2,
        duplicates: 1,
        failed: 0,
        imagesPerSecond: 2,
        etaSeconds: 1.5,
        elapsedSeconds: 1.5,
      },
    ]);
  });
});
