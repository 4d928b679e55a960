/**
 * Progress of a folder import, shared by the eager import (thumbnails now) and the lazy index
 * (thumbnails on first view), and the one place the library's progress is throttled and given
 * a rate and ETA (rateMeter).
 */

export interface ImportProgress {
  /** Files finished (added, duplicate or failed). */
  done: number;
  /** Image files found by the scan (files added to the folders meanwhile can push `done` past it). */
  total: number;
  added: number;
  duplicates: number;
  failed: number;
  imagesPerSecond: number;
  /** Seconds left at the current rate; null until the rate is known. */
  etaSeconds: number | null;
  elapsedSeconds: number;
}

export interface ImportCounts {
  done: number;
  added: number;
  duplicates: number;
  failed: number;
}

/** Progress so far: done of total, the rate and the time left at it. */
export interface RateReading {
  done: number;
  /** The total, or done when more were done than first counted. */
  total: number;
  /** Images per second so far. */
  rate: number;
  /** Seconds left at that rate; null before the rate is known. */
  etaSeconds: number | null;
  elapsedSeconds: number;
}

/** Seconds since the call. */
function stopwatch(): () => number {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
}

/**
 * The one throttle and ETA of the library's progress (imports, indexing, copies, detection): a
 * `(done, total, force)` that calls `report` at most every `intervalMs` (always when forced) with
 * the rate so far and the time left at it.
 */
export function rateMeter(
  report: ((reading: RateReading) => void) | undefined,
  intervalMs = 250,
  elapsedSeconds: () => number = stopwatch(),
): (done: number, total: number, force: boolean) => void {
  let lastReport = -Infinity;
  return (done, total, force) => {
    if (!report) return;
    const now = performance.now();
    if (!force && now - lastReport < intervalMs) return;
    lastReport = now;
    const seconds = elapsedSeconds();
    const rate = seconds > 0 ? done / seconds : 0;
    report({
      done,
      total: Math.max(total, done),
      rate,
      etaSeconds: rate > 0 ? Math.max(0, total - done) / rate : null,
      elapsedSeconds: seconds,
    });
  };
}

/**
 * A `report(force)` for a folder import: rateMeter's reading of the counts at that moment, with
 * the scan's total, as an ImportProgress.
 */
export function progressReporter(
  onProgress: ((progress: ImportProgress) => void) | undefined,
  intervalMs: number,
  total: number,
  counts: () => ImportCounts,
  elapsedSeconds: () => number,
): (force: boolean) => void {
  const meter = rateMeter(
    onProgress &&
      ((reading) => {
        const { added, duplicates, failed } = counts();
        onProgress({
          done: reading.done,
          total: reading.total,
          added,
          duplicates,
          failed,
          imagesPerSecond: reading.rate,
          etaSeconds: reading.etaSeconds,
          elapsedSeconds: reading.elapsedSeconds,
        });
      }),
    intervalMs,
    elapsedSeconds,
  );
  return (force) => meter(counts().done, total, force);
}
