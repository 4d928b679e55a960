import { describe, expect, it } from 'vitest';
import {
  FRAME_MARGIN,
  frameOf,
  sampleDrawing,
  topScores,
  viewBoxText,
} from '../../../src-renderer/src/features/train/sample-overlay';

describe('frameOf', () => {
  it('frames every point in a square with a margin', () => {
    const box = frameOf([
      [100, 200],
      [300, 260],
    ])!;
    expect(box.width).toBe(box.height);
    expect(box.width).toBeCloseTo(200 * (1 + 2 * FRAME_MARGIN));
    // Centred on the points.
    expect(box.x + box.width / 2).toBeCloseTo(200);
    expect(box.y + box.height / 2).toBeCloseTo(230);
    expect(frameOf([])).toBeNull();
  });

  it('gives a single point a small box instead of none', () => {
    expect(frameOf([[5, 5]])!.width).toBeGreaterThan(0);
  });
});

describe('sampleDrawing', () => {
  it('pairs each true point with its prediction', () => {
    const drawing = sampleDrawing({
      imageId: 'f'.repeat(64),
      points: [
        [10, 10],
        [30, 12],
      ],
      truth: [
        [11, 9],
        [29, 13],
      ],
    })!;
    expect(drawing.errors).toEqual([
      { x1: 11, y1: 9, x2: 10, y2: 10 },
      { x1: 29, y1: 13, x2: 30, y2: 12 },
    ]);
    expect(drawing.predicted).toHaveLength(2);
    expect(viewBoxText(drawing.box).split(' ')).toHaveLength(4);
  });

  it('has nothing to draw for a class-score sample', () => {
    expect(sampleDrawing({ imageId: 'f'.repeat(64), scores: { happy: 0.9 } })).toBeNull();
  });
});

describe('topScores', () => {
  it('lists the highest scores first', () => {
    const sample = { imageId: 'f'.repeat(64), scores: { sad: 0.1, happy: 0.7, neutral: 0.2 } };
    expect(topScores(sample, 2)).toEqual([
      { name: 'happy', score: 0.7 },
      { name: 'neutral', score: 0.2 },
    ]);
  });
});
