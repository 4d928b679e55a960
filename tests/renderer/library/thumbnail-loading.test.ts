/**
 * A tile's thumbnail loads only once the tile has stayed on screen a moment, and a tile that
 * leaves (or shows another image) drops its load: a fast scroll asks for no thumbnail of the
 * rows it passed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SETTLE_MS,
  thumbnailSource,
  type ImageTarget,
} from '../../../src-renderer/src/features/library/thumbnail-loading';

/** An <img> as far as the action sees it: every src it was given, and whether it still has one. */
function fakeImage(): ImageTarget & { loads: string[] } {
  const loads: string[] = [];
  let src = '';
  return {
    loads,
    get src() {
      return src;
    },
    set src(value: string) {
      src = value;
      loads.push(value);
    },
    removeAttribute() {
      src = '';
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('thumbnailSource', () => {
  it('sets the source once the tile has stayed for the settle time', () => {
    const image = fakeImage();
    thumbnailSource(image, '/media/thumb/a');
    vi.advanceTimersByTime(SETTLE_MS - 1);
    expect(image.loads).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(image.loads).toEqual(['/media/thumb/a']);
  });

  it('never asks for a tile that left before it settled', () => {
    const images = Array.from({ length: 50 }, fakeImage);
    // A fling: each row lives two frames.
    for (const [i, image] of images.entries()) {
      const action = thumbnailSource(image, `/media/thumb/${i}`);
      vi.advanceTimersByTime(32);
      action.destroy();
    }
    vi.advanceTimersByTime(10 * SETTLE_MS);
    expect(images.flatMap((image) => image.loads)).toEqual([]);
  });

  it('removes the source of a tile that leaves, cancelling its load', () => {
    const image = fakeImage();
    const action = thumbnailSource(image, '/media/thumb/a');
    vi.advanceTimersByTime(SETTLE_MS);
    expect(image.src).toBe('/media/thumb/a');
    action.destroy();
    expect(image.src).toBe('');
  });

  it('waits again when the tile shows another image, dropping the old one at once', () => {
    const image = fakeImage();
    const action = thumbnailSource(image, '/media/thumb/a');
    vi.advanceTimersByTime(SETTLE_MS);
    action.update('/media/thumb/b');
    expect(image.src).toBe('');
    action.update('/media/thumb/b');
    vi.advanceTimersByTime(SETTLE_MS);
    expect(image.loads).toEqual(['/media/thumb/a', '/media/thumb/b']);
  });
});
