import { describe, expect, it } from 'vitest';
import {
  squareAbout,
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
