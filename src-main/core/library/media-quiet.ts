/**
 * Whether the page is busy: media requests being answered (media.ts counts them) and when the last
 * one ended, or when the last other request came or was answered, so background work (thumbnails
 * made ahead, the missing-files check, labels.json's read after open) waits for a quiet spell.
 * Its own module, with no imports, so those can wait on it without importing the media resolver
 * (and the library service it uses).
 */

/**
 * How long the page must have asked for no image or thumbnail (and sent no other request,
 * `notePageRequest`) before background work goes on: longer than the gap between two thumbnails
 * the page loads in a row (a few ms), short enough that the work resumes soon after the user
 * stops (thumbnails-ahead.ts, missing-images.ts).
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

/**
 * A request of the page's other kind (an invoke: a list, a face, a save) came in or was answered:
 * the quiet spell starts again. Not counted in flight, as a media request is: some invokes last as
 * long as the background work itself (`library:checkFiles` waits for the whole check). Without
 * this, background work resumed the moment the page stopped loading images, which is when the
 * person opens Label, and held up its first requests (bench:scroll).
 */
export function notePageRequest(): void {
  lastEnded = Math.max(lastEnded, performance.now());
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
