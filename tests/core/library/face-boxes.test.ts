import { describe, expect, it } from 'vitest';
import {
  boxOfPoints,
  cropBoxFor,
  IDENTITY_TRANSFORM,
  iou,
  squareAbout,
  transformBetween,
  transformBox,
  untransformBox,
} from '../../../src-main/core/library/face-boxes';
import { DETECTOR_TO_LANDMARKS } from '../../../src-main/core/library/face-detect';

describe('face boxes', () => {
  it('undoes the detector-to-landmarks calibration', () => {
    const detector = { x: 40, y: 30, width: 120, height: 150 };
    const landmarks = transformBox(detector, DETECTOR_TO_LANDMARKS);
    const back = untransformBox(landmarks, DETECTOR_TO_LANDMARKS);
    expect(back.x).toBeCloseTo(detector.x, 9);
    expect(back.y).toBeCloseTo(detector.y, 9);
    expect(back.width).toBeCloseTo(detector.width, 9);
    expect(back.height).toBeCloseTo(detector.height, 9);
  });

  it('squares a box about its centre on its longer side', () => {
    expect(squareAbout({ x: 10, y: 20, width: 40, height: 80 })).toEqual({
      x: -10,
      y: 20,
      width: 80,
      height: 80,
    });
  });
});

describe('face box geometry, by hand', () => {
  it('moves the centre by (dx·w, dy·h) and scales the size by (sx, sy)', () => {
    // Centre (70, 80) + (0.1·100, −0.2·50) = (80, 70); size 200 × 25.
    expect(
      transformBox({ x: 20, y: 55, width: 100, height: 50 }, { dx: 0.1, dy: -0.2, sx: 2, sy: 0.5 }),
    ).toEqual({ x: -20, y: 57.5, width: 200, height: 25 });
    // The inverse of that: size 100 × 50, centre (80, 70) − (0.1·100, −0.2·50) = (70, 80).
    expect(
      untransformBox(
        { x: -20, y: 57.5, width: 200, height: 25 },
        { dx: 0.1, dy: -0.2, sx: 2, sy: 0.5 },
      ),
    ).toEqual({ x: 20, y: 55, width: 100, height: 50 });
    expect(transformBox({ x: 3, y: 4, width: 5, height: 6 }, IDENTITY_TRANSFORM)).toEqual({
      x: 3,
      y: 4,
      width: 5,
      height: 6,
    });
  });

  it('squares a wide box on its width', () => {
    expect(squareAbout({ x: 10, y: 20, width: 80, height: 40 })).toEqual({
      x: 10,
      y: 0,
      width: 80,
      height: 80,
    });
  });

  it('finds the transform that maps one box onto another', () => {
    // From centre (50, 40) 100 × 40 to centre (60, 30) 50 × 80.
    expect(
      transformBetween(
        { x: 0, y: 20, width: 100, height: 40 },
        { x: 35, y: -10, width: 50, height: 80 },
      ),
    ).toEqual({ dx: 0.1, dy: -0.25, sx: 0.5, sy: 2 });
  });

  it('makes a crop of the box’s longer side alone with no margin', () => {
    expect(cropBoxFor({ x: 10, y: 20, width: 80, height: 40 }, 0)).toEqual({
      x: 10,
      y: 0,
      width: 80,
      height: 80,
    });
    // A margin of 0.5 doubles the side: 160, about the centre (50, 40).
    expect(cropBoxFor({ x: 10, y: 20, width: 80, height: 40 }, 0.5)).toEqual({
      x: -30,
      y: -40,
      width: 160,
      height: 160,
    });
  });

  it('measures IoU along y as along x', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    // Overlapping by half the height: 50 / (100 + 100 − 50).
    expect(iou(a, { x: 0, y: 5, width: 10, height: 10 })).toBeCloseTo(1 / 3, 12);
    expect(iou({ x: 0, y: 5, width: 10, height: 10 }, a)).toBeCloseTo(1 / 3, 12);
    // Apart along y only (their x ranges overlap fully).
    expect(iou(a, { x: 0, y: 20, width: 10, height: 5 })).toBe(0);
    // One inside the other: 25 / 100.
    expect(iou(a, { x: 2, y: 3, width: 5, height: 5 })).toBe(0.25);
  });

  it('gives 0, not NaN, for boxes that touch or have no area', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    expect(iou(a, { x: 10, y: 0, width: 10, height: 10 })).toBe(0);
    expect(iou(a, { x: 0, y: 10, width: 10, height: 10 })).toBe(0);
    // Two empty boxes at one place: no union to divide by.
    const line = { x: 0, y: 0, width: 0, height: 10 };
    expect(iou(line, line)).toBe(0);
    const flat = { x: 0, y: 0, width: 10, height: 0 };
    expect(iou(flat, flat)).toBe(0);
  });

  it('bounds points tightly', () => {
    expect(
      boxOfPoints([
        { x: 5, y: -2 },
        { x: -1, y: 7 },
        { x: 3, y: 4 },
      ]),
    ).toEqual({ x: -1, y: -2, width: 6, height: 9 });
    expect(boxOfPoints([{ x: 2, y: 3 }])).toEqual({ x: 2, y: 3, width: 0, height: 0 });
  });
});
