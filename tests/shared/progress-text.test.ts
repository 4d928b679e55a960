/** The one wording of progress, for the CLI's lines and the renderer's dialogs. */
import { describe, expect, it } from 'vitest';
import { formatDuration, imagesProgressText } from '../../src-main/shared/progress-text';

describe('formatDuration', () => {
  it('writes seconds, minutes and hours, and the given mark for a time not known', () => {
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
    expect(formatDuration(null)).toBe('…');
    expect(formatDuration(Infinity, '—')).toBe('—');
    expect(formatDuration(-1, '—')).toBe('—');
  });
});

describe('imagesProgressText', () => {
  it('gives done of total, the rate and the time left', () => {
    expect(imagesProgressText({ done: 12, total: 981, rate: 3.44, etaSeconds: 245 })).toBe(
      '12 / 981 images · 3.4 images/s · ETA 4 min 05 s',
    );
    expect(
      imagesProgressText({ done: 0, total: 5, rate: 0, etaSeconds: null }, 'images copied'),
    ).toBe('0 / 5 images copied · 0.0 images/s · ETA …');
  });
});
