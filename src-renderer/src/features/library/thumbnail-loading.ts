/**
 * Thumbnails only for tiles the user stops on. The grid renders the rows in view plus a few
 * around them; during a fast scroll each of those rows lives for a frame or two. A tile's image
 * starts loading only once the tile has stayed rendered for `SETTLE_MS`, and a tile that leaves
 * takes its request with it (its `src` is removed, which cancels a load the browser has not
 * finished). So a scroll from top to bottom asks for the thumbnails where it ends, not for every
 * row it passed (docs/ARCHITECTURE.md, "Data flows").
 *
 * Used as a Svelte action: `<img use:thumbnailSource={url} />`.
 */

/** Long enough to skip the rows a fling passes (a frame is ~16 ms), short enough not to notice. */
export const SETTLE_MS = 120;

/** The parts of an <img> this needs (so it is tested without a DOM). */
export interface ImageTarget {
  src: string;
  removeAttribute(name: 'src'): void;
}

/** The clock, injectable for the same reason. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function thumbnailSource(
  image: ImageTarget,
  url: string,
  timers: Timers = globalTimers,
  settleMs = SETTLE_MS,
): { update(url: string): void; destroy(): void } {
  let pending: unknown = null;
  let current = url;

  function schedule(): void {
    pending = timers.setTimeout(() => {
      pending = null;
      image.src = current;
    }, settleMs);
  }

  function stop(): void {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
  }

  schedule();
  return {
    update(next: string) {
      if (next === current) return;
      current = next;
      // A tile reused for another image: it waits again, and the old image stops loading.
      stop();
      image.removeAttribute('src');
      schedule();
    },
    destroy() {
      stop();
      image.removeAttribute('src');
    },
  };
}
