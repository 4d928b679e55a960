/**
 * While the grid scrolls, a tile's thumbnail loads only once the tile has stayed on screen a
 * moment; while it stands still (a project opened, a filter changed), at once. A tile that leaves
 * (or shows another image) drops its load, at most a few load at once, and a free slot goes to a
 * tile in view before one in the rows rendered beyond the edges: after a fast scroll the
 * thumbnails the user looks at are asked for first, and none of the rows it passed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_IN_FLIGHT,
  SETTLE_MS,
  SETTLE_SLICE_MS,
  ThumbnailLoader,
  type ImageTarget,
} from '../../../src-renderer/src/features/library/thumbnail-loading';

/**
 * An <img> as far as the loader sees it: every src it was given, whether it still has one, and
 * `finish` to fire its load (or error) event as the browser would.
 */
interface FakeImage extends ImageTarget {
  name: string;
  loads: string[];
  visible: boolean;
  /** A src set, neither finished nor removed. */
  pending: boolean;
  finish(event?: 'load' | 'error'): void;
}

function fakeImage(name = '', visible = true): FakeImage {
  const loads: string[] = [];
  const listeners = { load: new Set<() => void>(), error: new Set<() => void>() };
  let src = '';
  const image: FakeImage = {
    name,
    loads,
    visible,
    pending: false,
    get src() {
      return src;
    },
    set src(value: string) {
      src = value;
      loads.push(value);
      image.pending = true;
    },
    removeAttribute() {
      src = '';
      image.pending = false;
    },
    addEventListener(type, listener) {
      listeners[type].add(listener);
    },
    removeEventListener(type, listener) {
      listeners[type].delete(listener);
    },
    finish(event = 'load') {
      image.pending = false;
      for (const listener of [...listeners[event]]) listener();
    },
  };
  return image;
}

function loader(maxInFlight = MAX_IN_FLIGHT): ThumbnailLoader<FakeImage> {
  return new ThumbnailLoader<FakeImage>({
    onScreen: (image) => image.visible,
    maxInFlight,
    // Date is faked with the timers: the clock moves with advanceTimersByTime.
    timers: {
      now: () => Date.now(),
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
  });
}

/** The images whose load is under way. */
const asked = (images: FakeImage[]) => images.filter((image) => image.pending);

/** Every tile settles by then. */
const SETTLED = SETTLE_MS + SETTLE_SLICE_MS;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('ThumbnailLoader', () => {
  it('sets the source once the tile has stayed for the settle time', () => {
    const image = fakeImage();
    vi.advanceTimersByTime(7);
    const thumbnails = loader();
    thumbnails.scrolled();
    thumbnails.attach(image, '/media/thumb/a');
    vi.advanceTimersByTime(SETTLE_MS - 1);
    expect(image.loads).toEqual([]);
    vi.advanceTimersByTime(SETTLE_SLICE_MS);
    expect(image.loads).toEqual(['/media/thumb/a']);
  });

  it('never asks for a tile that left before it settled', () => {
    const thumbnails = loader();
    const images = Array.from({ length: 50 }, () => fakeImage());
    // A fling: each row lives two frames.
    for (const [i, image] of images.entries()) {
      thumbnails.scrolled();
      const action = thumbnails.attach(image, `/media/thumb/${i}`);
      vi.advanceTimersByTime(32);
      action.destroy();
    }
    vi.advanceTimersByTime(10 * SETTLED);
    expect(images.flatMap((image) => image.loads)).toEqual([]);
    expect(thumbnails.inFlight).toBe(0);
  });

  it('removes the source of a tile that leaves, cancelling its load and freeing its slot', () => {
    const thumbnails = loader(1);
    const [first, second] = [fakeImage(), fakeImage()];
    const action = thumbnails.attach(first, '/media/thumb/a');
    thumbnails.attach(second, '/media/thumb/b');
    vi.advanceTimersByTime(SETTLED);
    expect(first.src).toBe('/media/thumb/a');
    expect(second.loads).toEqual([]);
    action.destroy();
    expect(first.src).toBe('');
    expect(second.src).toBe('/media/thumb/b');
    // The dropped image's late event changes nothing.
    first.finish();
    expect(thumbnails.inFlight).toBe(1);
  });

  it('waits again when the tile shows another image, dropping the old one at once', () => {
    const image = fakeImage();
    const thumbnails = loader();
    thumbnails.scrolled();
    const action = thumbnails.attach(image, '/media/thumb/a');
    vi.advanceTimersByTime(SETTLED);
    thumbnails.scrolled();
    action.update('/media/thumb/b');
    expect(image.src).toBe('');
    action.update('/media/thumb/b');
    vi.advanceTimersByTime(SETTLE_MS - 1);
    expect(image.loads).toEqual(['/media/thumb/a']);
    vi.advanceTimersByTime(SETTLE_SLICE_MS);
    expect(image.loads).toEqual(['/media/thumb/a', '/media/thumb/b']);
  });

  it('loads at most MAX_IN_FLIGHT at once; each load or failure lets the next one start', () => {
    const thumbnails = loader();
    const images = Array.from({ length: MAX_IN_FLIGHT + 3 }, (_, i) => fakeImage(String(i)));
    for (const [i, image] of images.entries()) thumbnails.attach(image, `/media/thumb/${i}`);
    vi.advanceTimersByTime(SETTLED);
    expect(asked(images)).toEqual(images.slice(0, MAX_IN_FLIGHT));
    images[0]!.finish('load');
    images[1]!.finish('error');
    expect(thumbnails.inFlight).toBe(MAX_IN_FLIGHT);
    expect(asked(images)).toEqual(images.slice(2, MAX_IN_FLIGHT + 2));
    expect(images[MAX_IN_FLIGHT + 2]!.loads).toEqual([]);
  });

  it('gives a free slot to a tile in view before the rows rendered beyond the edges', () => {
    const thumbnails = loader(2);
    // The bottom of the grid after a scroll: the rows above the view are mounted first, those in
    // view a few ms later, in the same frame slice.
    const above = Array.from({ length: 3 }, (_, i) => fakeImage(`above ${i}`, false));
    const inView = Array.from({ length: 3 }, (_, i) => fakeImage(`in view ${i}`, true));
    thumbnails.scrolled();
    for (const image of above) thumbnails.attach(image, `/media/thumb/${image.name}`);
    vi.advanceTimersByTime(SETTLE_SLICE_MS - 1 - (SETTLE_MS % SETTLE_SLICE_MS));
    for (const image of inView) thumbnails.attach(image, `/media/thumb/${image.name}`);
    vi.advanceTimersByTime(SETTLED);
    const names = () => asked([...above, ...inView]).map((image) => image.name);
    expect(names()).toEqual(['in view 0', 'in view 1']);
    inView[0]!.finish();
    expect(names()).toEqual(['in view 1', 'in view 2']);
    inView[1]!.finish();
    inView[2]!.finish();
    expect(names()).toEqual(['above 0', 'above 1']);
  });

  it('loads the tiles of a grid standing still on the next turn, those in view first', () => {
    const thumbnails = loader(2);
    // A filter changed while scrolled down: the rows above the view are updated first.
    const above = Array.from({ length: 3 }, (_, i) => fakeImage(`above ${i}`, false));
    const inView = Array.from({ length: 3 }, (_, i) => fakeImage(`in view ${i}`, true));
    for (const image of [...above, ...inView]) {
      thumbnails.attach(image, `/media/thumb/${image.name}`);
    }
    expect(asked([...above, ...inView])).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(asked([...above, ...inView]).map((image) => image.name)).toEqual([
      'in view 0',
      'in view 1',
    ]);
  });

  it('waits for the settle time again once the grid scrolls, and not after it stopped', () => {
    const thumbnails = loader();
    thumbnails.scrolled();
    vi.advanceTimersByTime(SETTLE_MS - 1);
    const during = fakeImage('during');
    thumbnails.attach(during, '/media/thumb/during');
    vi.advanceTimersByTime(1);
    const after = fakeImage('after');
    thumbnails.attach(after, '/media/thumb/after');
    const dropped = fakeImage('dropped');
    thumbnails.attach(dropped, '/media/thumb/dropped').destroy();
    vi.advanceTimersByTime(0);
    expect(after.loads).toEqual(['/media/thumb/after']);
    expect(during.loads).toEqual([]);
    vi.advanceTimersByTime(SETTLED);
    expect(during.loads).toEqual(['/media/thumb/during']);
    expect(dropped.loads).toEqual([]);
  });
});
