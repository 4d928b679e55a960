import { describe, expect, it } from 'vitest';
import { framingShift, needsRecut } from '../../../src-main/engine/predict/recut';

const first = { x: 100, y: 50, width: 200, height: 200 };

describe('framingShift', () => {
  it("is the centre's move ÷ the first cut's side", () => {
    expect(framingShift(first, { ...first, x: 106, y: 58 })).toBeCloseTo(10 / 200, 12);
    expect(framingShift(first, first)).toBe(0);
  });

  it('ignores a side change about the same centre', () => {
    expect(framingShift(first, { x: 90, y: 40, width: 220, height: 220 })).toBe(0);
  });
});

describe('needsRecut', () => {
  it('cuts again only past the threshold, and always when it is 0', () => {
    const moved = { ...first, x: 102 }; // 1% of the side
    expect(needsRecut(first, moved, 0.0099)).toBe(true);
    expect(needsRecut(first, moved, 0.0101)).toBe(false);
    expect(needsRecut(first, { ...first, x: 100.01 }, 0)).toBe(true);
  });
});
