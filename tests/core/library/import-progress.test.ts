/** rateMeter, the one throttle and ETA of the library's progress, and the import's reporter on it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  progressReporter,
  rateMeter,
  type ImportProgress,
  type RateReading,
} from '../../../src-main/core/library/import-progress';

/** An interval no run of this test reaches, so only the first and forced reports pass. */
const NEVER = 1e12;

afterEach(() => vi.useRealTimers());

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

  it('throttles to one report per interval, a call exactly one interval later passing', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const done: number[] = [];
    const meter = rateMeter(
      (r) => done.push(r.done),
      250,
      () => 1,
    );
    meter(1, 10, false);
    vi.advanceTimersByTime(249);
    meter(2, 10, false); // 249 ms after the last report: dropped
    vi.advanceTimersByTime(1);
    meter(3, 10, false); // 250 ms: passes
    meter(4, 10, false); // at once again: dropped
    meter(5, 10, true); // forced
    expect(done).toEqual([1, 3, 5]);
  });

  it('times the seconds since it was made when given no clock', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(1000);
    const readings: RateReading[] = [];
    const meter = rateMeter((r) => readings.push(r));
    vi.advanceTimersByTime(2000);
    meter(4, 10, true);
    expect(readings).toEqual([{ done: 4, total: 10, rate: 2, etaSeconds: 3, elapsedSeconds: 2 }]);
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
    counts.done = 6;
    report(true);
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
      {
        done: 6,
        total: 6,
        added: 2,
        duplicates: 1,
        failed: 0,
        imagesPerSecond: 4,
        etaSeconds: 0,
        elapsedSeconds: 1.5,
      },
    ]);
  });

  it('reads only the done count without a listener, and reports nothing', () => {
    const counts = vi.fn(() => ({ done: 1, added: 1, duplicates: 0, failed: 0 }));
    const report = progressReporter(undefined, 0, 2, counts, () => 1);
    expect(() => report(true)).not.toThrow();
    expect(counts).toHaveBeenCalledTimes(1); // the done count only
  });
});
