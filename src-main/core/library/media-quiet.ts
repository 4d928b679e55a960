/**
 * Whether the page is asking for images: media requests being answered (media.ts counts them) and
 * when the last one ended, so background work (thumbnails made ahead, the missing-files check,
 * labels.json's read after open) waits for a quiet spell. Its own module, with no imports, so
 * those can wait on it without importing the media resolver (and the library service it uses).
 */

/**
 * How long the page must have asked for no image or thumbnail before background work goes on:
 * longer than the gap between two thumbnails the page loads in a row (a few ms), short enough
 * that the work resumes soon after the user stops (thumbnails-ahead.ts, missing-images.ts).
 */
export const MEDIA_QUIET_MS = 500;

/** Media requests being answered now, when the last one ended, and who waits for none. */
let inFlight = 0;
let lastEnded = Number.NEGATIVE_INFINITY;
let idleWaiters: (() => void)[] = [];

/**
 * Resolves once no media request has been answered for `quietMs` (nor, given `since`, a
 * `performance.now()` time such as a project's opening, has it been less than `quietMs` since
 * then): background work yields to the page's. The page asks for thumbnails a few at a time,
 * each right after the last came back, so waiting only while one is being answered would slip a
 * background thumbnail into every gap (thumbnails-ahead.ts).
 */
export async function whenMediaQuiet(
  quietMs: number,
  since = Number.NEGATIVE_INFINITY,
): Promise<void> {
  for (;;) {
    if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    const left = Math.max(lastEnded, since) + quietMs - performance.now();
    if (left <= 0 && inFlight === 0) return;
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
}

/** Runs `answer` (one media request) counted as in flight; the quiet spell starts as it ends. */
export async function whileMediaAnswered<T>(answer: () => Promise<T>): Promise<T> {
  inFlight += 1;
  try {
    return await answer();
  } finally {
    inFlight -= 1;
    lastEnded = performance.now();
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
