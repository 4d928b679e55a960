/**
 * How progress reads as text, one wording for the CLI's stderr lines and the renderer's dialogs
 * alike (an import's images per second and time left, a run's ETA). No Node imports.
 */

/** Seconds as `1 h 02 min`, `3 min 05 s` or `12 s`; `unknown` for a time not known (yet). */
export function formatDuration(seconds: number | null | undefined, unknown = '…'): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return unknown;
  }
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${s} s`;
}

/** What a library job reports as it goes (library-service's JobProgress, less its stage). */
export interface ImagesProgress {
  done: number;
  total: number;
  /** Images per second so far. */
  rate: number;
  etaSeconds: number | null;
}

/** `12 / 981 images · 3.4 images/s · ETA 4 min 05 s` (`what` names the images: "images copied"). */
export function imagesProgressText(progress: ImagesProgress, what = 'images'): string {
  const { done, total, rate, etaSeconds } = progress;
  return `${done} / ${total} ${what} · ${rate.toFixed(1)} images/s · ETA ${formatDuration(etaSeconds)}`;
}
