import { describe, expect, it } from 'vitest';
import {
  clampScale,
  fitBox,
  imageToStage,
  markerRadius,
  panBy,
  stageToImage,
  zoomBy,
  zoomTo,
  type ViewTransform,
} from '../../../src-renderer/src/features/labelling/model/transform';

const LIMITS = { min: 0.1, max: 20 };

describe('image ↔ stage', () => {
  it('round-trips stage → image → stage under zoom and pan', () => {
    const t: ViewTransform = { scale: 3.7, offsetX: -412.25, offsetY: 97.5 };
    for (const stage of [
      { x: 0, y: 0 },
      { x: 123.4, y: 567.8 },
      { x: -50, y: 2000 },
    ]) {
      const back = imageToStage(t, stageToImage(t, stage));
      expect(back.x).toBeCloseTo(stage.x, 9);
      expect(back.y).toBeCloseTo(stage.y, 9);
    }
  });

  it('maps the image origin to the offset and scales distances', () => {
    const t: ViewTransform = { scale: 2, offsetX: 10, offsetY: -5 };
    expect(imageToStage(t, { x: 0, y: 0 })).toEqual({ x: 10, y: -5 });
    expect(imageToStage(t, { x: 4, y: 3 })).toEqual({ x: 18, y: 1 });
    expect(stageToImage(panBy(t, 6, 8), { x: 16, y: 3 })).toEqual({ x: 0, y: 0 });
  });
});

describe('zoom', () => {
  it('keeps the image point under the cursor fixed', () => {
    let t: ViewTransform = { scale: 1.3, offsetX: 40, offsetY: -12 };
    const cursor = { x: 311, y: 207 };
    const under = stageToImage(t, cursor);
    for (const factor of [1.25, 1.25, 0.5, 3, 0.9]) {
      t = zoomBy(t, factor, cursor, LIMITS);
      const still = stageToImage(t, cursor);
      expect(still.x).toBeCloseTo(under.x, 9);
      expect(still.y).toBeCloseTo(under.y, 9);
    }
    expect(t.scale).toBeCloseTo(1.3 * 1.25 * 1.25 * 0.5 * 3 * 0.9, 9);
  });

  it('clamps the zoom range and still keeps the cursor point fixed', () => {
    const t: ViewTransform = { scale: 10, offsetX: 0, offsetY: 0 };
    const cursor = { x: 100, y: 50 };
    const zoomed = zoomBy(t, 100, cursor, LIMITS);
    expect(zoomed.scale).toBe(20);
    expect(stageToImage(zoomed, cursor)).toEqual(stageToImage(t, cursor));
    expect(zoomTo(t, 0.001, cursor, LIMITS).scale).toBe(0.1);
    expect(clampScale(5, LIMITS)).toBe(5);
    expect(() => clampScale(0, LIMITS)).toThrow(RangeError);
    expect(() => zoomBy(t, Number.NaN, cursor)).toThrow(RangeError);
  });
});

describe('fitBox', () => {
  it('fits a box with padding, centred, limited by its tighter side', () => {
    const box = { x: 100, y: 50, width: 200, height: 100 };
    const viewport = { width: 500, height: 400 };
    const t = fitBox(box, viewport, 50, LIMITS);
    // Width limits: (500 − 2·50) / 200 = 2; height would allow 3.
    expect(t.scale).toBe(2);
    const topLeft = imageToStage(t, { x: box.x, y: box.y });
    const bottomRight = imageToStage(t, { x: box.x + box.width, y: box.y + box.height });
    expect(topLeft.x).toBeCloseTo(50, 9);
    expect(bottomRight.x).toBeCloseTo(450, 9);
    // Centred vertically: equal space above and below.
    expect(topLeft.y).toBeCloseTo(viewport.height - bottomRight.y, 9);
  });

  it('zooms in at most to the limit on a degenerate box, and rejects an empty viewport', () => {
    const t = fitBox(
      { x: 10, y: 10, width: 0, height: 0 },
      { width: 300, height: 300 },
      10,
      LIMITS,
    );
    expect(t.scale).toBe(20);
    expect(imageToStage(t, { x: 10, y: 10 })).toEqual({ x: 150, y: 150 });
    expect(() => fitBox({ x: 0, y: 0, width: 1, height: 1 }, { width: 0, height: 5 })).toThrow(
      RangeError,
    );
  });

  it('gives padding up before the box in a tiny viewport', () => {
    const t = fitBox({ x: 0, y: 0, width: 10, height: 10 }, { width: 40, height: 40 }, 100, LIMITS);
    expect(t.scale).toBeGreaterThan(0);
    expect(imageToStage(t, { x: 10, y: 10 }).x).toBeLessThanOrEqual(40);
  });
});

describe('markers and bounds', () => {
  it('keeps a marker the same size on screen at any zoom', () => {
    for (const scale of [0.25, 1, 7.5]) {
      const t = { scale, offsetX: 3, offsetY: 4 };
      const r = markerRadius(5, t);
      const a = imageToStage(t, { x: 10, y: 10 });
      const b = imageToStage(t, { x: 10 + r, y: 10 });
      expect(b.x - a.x).toBeCloseTo(5, 9);
    }
  });
});

describe('bad input', () => {
  const t: ViewTransform = { scale: 2, offsetX: 0, offsetY: 0 };
  const at = { x: 10, y: 10 };

  it('names the zoom scale it refuses', () => {
    expect(() => clampScale(-1, LIMITS)).toThrow(
      'Zoom scale must be a positive finite number, got -1',
    );
  });

  it('refuses a zero, negative or non-finite zoom factor as a factor, not as a scale', () => {
    for (const factor of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => zoomBy(t, factor, at, LIMITS)).toThrow(
        `Zoom factor must be a positive finite number, got ${factor}`,
      );
    }
  });

  it('refuses a viewport with no width or no height, naming its size', () => {
    const box = { x: 0, y: 0, width: 10, height: 10 };
    expect(() => fitBox(box, { width: 0, height: 50 }, 0, LIMITS)).toThrow(
      'Viewport must have a positive size, got 0×50',
    );
    expect(() => fitBox(box, { width: 50, height: 0 }, 0, LIMITS)).toThrow(
      'Viewport must have a positive size, got 50×0',
    );
  });
});

describe('fitBox limited by height', () => {
  it('fits a tall box to the viewport height less the padding', () => {
    const box = { x: 0, y: 0, width: 50, height: 200 };
    // Height limits: (500 − 2·50) / 200 = 2; width would allow 8.
    const t = fitBox(box, { width: 500, height: 500 }, 50, LIMITS);
    expect(t.scale).toBe(2);
    expect(imageToStage(t, { x: 0, y: 0 }).y).toBeCloseTo(50, 9);
    expect(imageToStage(t, { x: 0, y: 200 }).y).toBeCloseTo(450, 9);
  });

  it('shrinks the padding to a quarter of the narrower side of a thin viewport', () => {
    const box = { x: 0, y: 0, width: 10, height: 10 };
    // Narrow: padding 40/4 = 10 on each side, leaving 20 px for 10 image px.
    expect(fitBox(box, { width: 40, height: 400 }, 100, LIMITS).scale).toBe(2);
    // Short: the same with the sides swapped.
    expect(fitBox(box, { width: 400, height: 40 }, 100, LIMITS).scale).toBe(2);
  });
});
