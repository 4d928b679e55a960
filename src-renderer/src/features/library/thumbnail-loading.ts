/**
 * Which tile's thumbnail loads, and when. The grid renders the rows in view plus a few around
 * them; during a fast scroll each of those rows lives for a frame or two.
 *
 * - While the grid scrolls (the grid calls `scrolled()` on each scroll event), a tile's image is
 *   asked for only once the tile has stayed rendered for `SETTLE_MS` (up to `SETTLE_SLICE_MS`
 *   more, so the tiles one frame mounted settle together), and a tile that leaves takes its
 *   request with it (its `src` is removed, which cancels a load the browser has not finished).
 *   So a scroll from top to bottom asks for the thumbnails where it ends, not for every row it
 *   passed. Tiles that appear while the grid stands still (a project opened, a filter changed)
 *   wait for nothing: they settle together on the next turn of the event loop.
 * - At most `MAX_IN_FLIGHT` thumbnails load at once, and a free slot goes to a tile on screen
 *   before one in the rows rendered beyond the edges. Thumbnails not made yet are made on
 *   request (several ms of CPU each): the ones the user looks at come first, and the browser's
 *   six connections to the bridge keep room for the grid's pages and a save. Whether a tile is
 *   on screen is the grid's arithmetic, not a layout read: asked once per waiting tile each time
 *   a slot frees up, right after an image's `src` was set, `getBoundingClientRect` would force a
 *   layout each time.
 *
 * (docs/ARCHITECTURE.md, "Data flows".) Used through a Svelte action:
 * `<img use:attach={url} />` with `attach = (img, url) => loader.attach(img, url)`.
 */

/**
 * Long enough to skip the rows a fling passes (each lives a frame or two, ~16 ms a frame), short
 * enough not to notice.
 */
export const SETTLE_MS = 100;

/**
 * Thumbnail loads at once: Chromium opens six connections per host over HTTP/1.1; four for
 * thumbnails leave two for `library:list` and the Label view's requests. The server makes a
 * missing thumbnail on a core of its own, so more than four would not come back sooner.
 */
export const MAX_IN_FLIGHT = 4;

/** The parts of an <img> this needs (so it is tested without a DOM). */
export interface ImageTarget {
  src: string;
  removeAttribute(name: 'src'): void;
  addEventListener(type: 'load' | 'error', listener: () => void): void;
  removeEventListener(type: 'load' | 'error', listener: () => void): void;
}

/**
 * Tiles whose settle times fall in one such slice settle together, so the tiles a frame mounted
 * are ranked against each other (in view first) rather than served in the order they mounted.
 */
export const SETTLE_SLICE_MS = 16;

/** The clock, injectable for the same reason. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ThumbnailLoaderOptions<I extends ImageTarget> {
  /** Whether the image lies in the scroll area's view now; asked each time a slot frees up. */
  onScreen(image: I): boolean;
  timers?: Timers;
  settleMs?: number;
  maxInFlight?: number;
}

interface Tile<I> {
  image: I;
  url: string;
  /** The slice it settles with, until it does. */
  slice: Slice<I> | null;
  /** Called on the image's load or error event while it loads. */
  done: (() => void) | null;
}

/** Tiles that settle at the same time, and the timer that settles them. */
interface Slice<I> {
  /** When it settles; NaN for the tiles mounted while the grid stood still. */
  end: number;
  tiles: Set<Tile<I>>;
  timer: unknown;
}

export class ThumbnailLoader<I extends ImageTarget> {
  private readonly onScreen: (image: I) => boolean;
  private readonly timers: Timers;
  private readonly settleMs: number;
  private readonly maxInFlight: number;
  /** Tiles still settling, by the end of their slice. */
  private readonly slices = new Map<number, Slice<I>>();
  /** Tiles mounted while the grid stood still, settling on the next turn. */
  private still: Slice<I> | null = null;
  /** When the grid last scrolled. */
  private lastScroll = Number.NEGATIVE_INFINITY;
  /** Tiles that have settled and wait for a slot, oldest first. */
  private readonly waiting = new Set<Tile<I>>();
  private readonly loading = new Set<Tile<I>>();

  constructor(options: ThumbnailLoaderOptions<I>) {
    this.onScreen = options.onScreen;
    this.timers = options.timers ?? globalTimers;
    this.settleMs = options.settleMs ?? SETTLE_MS;
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
  }

  /** Thumbnails loading now (asked for, neither loaded nor failed nor dropped). */
  get inFlight(): number {
    return this.loading.size;
  }

  /** The grid scrolled: tiles mounted from now until `settleMs` later wait to settle. */
  scrolled(): void {
    this.lastScroll = this.timers.now();
  }

  /** Starts following `image`, which should show `url`; the Svelte action's update and destroy. */
  attach(image: I, url: string): { update(url: string): void; destroy(): void } {
    const tile: Tile<I> = { image, url, slice: null, done: null };
    this.settle(tile);
    return {
      update: (next) => {
        if (next === tile.url) return;
        // A tile reused for another image: the old image stops loading, the new one waits again.
        this.drop(tile);
        tile.url = next;
        this.settle(tile);
      },
      destroy: () => this.drop(tile),
    };
  }

  /**
   * Settles the tile `settleMs` from now, rounded up to the end of its slice, while the grid
   * scrolls; on the next turn when it stands still.
   */
  private settle(tile: Tile<I>): void {
    const now = this.timers.now();
    const scrolling = now - this.lastScroll < this.settleMs;
    const end = scrolling
      ? Math.ceil((now + this.settleMs) / SETTLE_SLICE_MS) * SETTLE_SLICE_MS
      : Number.NaN;
    let slice = scrolling ? this.slices.get(end) : this.still;
    if (!slice) {
      const created: Slice<I> = { end, tiles: new Set(), timer: null };
      created.timer = this.timers.setTimeout(
        () => {
          this.forget(created);
          for (const settled of created.tiles) {
            settled.slice = null;
            this.waiting.add(settled);
          }
          this.pump();
        },
        scrolling ? end - now : 0,
      );
      if (scrolling) this.slices.set(end, created);
      else this.still = created;
      slice = created;
    }
    slice.tiles.add(tile);
    tile.slice = slice;
  }

  /** Takes a slice out of the settling ones (it fired, or its last tile left). */
  private forget(slice: Slice<I>): void {
    if (slice === this.still) this.still = null;
    else this.slices.delete(slice.end);
  }

  /** Forgets the tile wherever it is (settling, waiting for a slot, or loading). */
  private drop(tile: Tile<I>): void {
    const slice = tile.slice;
    tile.slice = null;
    if (slice !== null) {
      slice.tiles.delete(tile);
      if (slice.tiles.size === 0) {
        this.timers.clearTimeout(slice.timer);
        this.forget(slice);
      }
    }
    this.waiting.delete(tile);
    const wasLoading = this.loading.delete(tile);
    this.unlisten(tile);
    tile.image.removeAttribute('src');
    if (wasLoading) this.pump();
  }

  /** Gives free slots to waiting tiles, those on screen first. */
  private pump(): void {
    while (this.loading.size < this.maxInFlight && this.waiting.size > 0) {
      let next: Tile<I> | undefined;
      for (const tile of this.waiting) {
        if (this.onScreen(tile.image)) {
          next = tile;
          break;
        }
      }
      next ??= this.waiting.values().next().value!;
      this.start(next);
    }
  }

  private start(tile: Tile<I>): void {
    this.waiting.delete(tile);
    this.loading.add(tile);
    tile.done = () => {
      this.unlisten(tile);
      this.loading.delete(tile);
      this.pump();
    };
    tile.image.addEventListener('load', tile.done);
    tile.image.addEventListener('error', tile.done);
    tile.image.src = tile.url;
  }

  private unlisten(tile: Tile<I>): void {
    if (tile.done === null) return;
    tile.image.removeEventListener('load', tile.done);
    tile.image.removeEventListener('error', tile.done);
    tile.done = null;
  }
}
