/**
 * Progress of a folder import, shared by the eager import (thumbnails now) and the lazy index
 * (thumbnails on first view): one place computes rate and ETA and throttles the reports.
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

/**
 * A `report(force)` that calls `onProgress` at most every `intervalMs` (always when forced), with
 * the counts read at that moment, the scan's total, the rate so far and the time left at it.
 */
export function progressReporter(
  onProgress: ((progress: ImportProgress) => void) | undefined,
  intervalMs: number,
  total: number,
  counts: () => ImportCounts,
  elapsedSeconds: () => number,
): (force: boolean) => void {
  let lastReport = -Infinity;
  return (force) => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < intervalMs) return;
    lastReport = now;
    const { done, added, duplicates, failed } = counts();
    const seconds = elapsedSeconds();
    const rate = seconds > 0 ? done / seconds : 0;
    onProgress({
      done,
      total: Math.max(total, done),
      added,
      duplicates,
      failed,
      imagesPerSecond: rate,
      etaSeconds: rate > 0 ? Math.max(0, total - done) / rate : null,
      elapsedSeconds: seconds,
    });
  };
}
