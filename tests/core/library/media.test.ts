/**
 * The media resolver's quiet spell: background work (thumbnails made ahead) waits until the page
 * has asked for no image for a while, not merely until none is being answered, so it does not
 * slip into the gaps between the thumbnails the page loads one after another.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveMedia, whenMediaQuiet } from '../../../src-main/core/library/media';
import { imageId } from '../../support/project-data';

const QUIET_MS = 500;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => vi.useRealTimers());

/** A request the resolver answers at once (no project open): it still counts as one. */
const ask = () => resolveMedia(null, 'thumb', imageId(1));

describe('whenMediaQuiet', () => {
  it('waits until no media request has been answered for the quiet time', async () => {
    await ask();
    let quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    // Another request just before the spell ends starts it again.
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(quiet).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(quiet).toBe(true);
  });

  it('resolves at once when the last request ended longer ago than the quiet time', async () => {
    await ask();
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    let quiet = false;
    void whenMediaQuiet(QUIET_MS).then(() => (quiet = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(quiet).toBe(true);
  });
});
