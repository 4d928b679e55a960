/**
 * Geometry for the dashboard's sample predictions: a validation face drawn as an SVG whose
 * viewBox frames the face (points in image pixels, as the engine reports them), with the
 * predicted points over the true ones and a line from each truth to its prediction. Pure.
 */
import type { SamplePrediction } from '$shared/worker-protocol';

export interface ViewBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Room around the points, as a fraction of their extent: the whole face stays in view. */
export const FRAME_MARGIN = 0.25;

/** A square box around every point given, grown by FRAME_MARGIN; null when there are none. */
export function frameOf(points: readonly (readonly [number, number])[]): ViewBox | null {
  if (points.length === 0) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  // A single point (or a degenerate line) still gets a box a few pixels wide.
  const side = Math.max(maxX - minX, maxY - minY, 8) * (1 + 2 * FRAME_MARGIN);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

export interface SampleDrawing {
  imageId: string;
  box: ViewBox;
  /** Marker radius in image pixels: a fixed fraction of the frame, so every sample looks alike. */
  radius: number;
  predicted: readonly { x: number; y: number }[];
  truth: readonly { x: number; y: number }[];
  /** Truth → prediction, per point present in both. */
  errors: readonly { x1: number; y1: number; x2: number; y2: number }[];
}

export function sampleDrawing(sample: SamplePrediction): SampleDrawing | null {
  const predicted = sample.points ?? [];
  const truth = sample.truth ?? [];
  const box = frameOf([...truth, ...predicted]);
  if (!box) return null;
  const n = Math.min(predicted.length, truth.length);
  const errors = [];
  for (let i = 0; i < n; i += 1) {
    const [x1, y1] = truth[i]!;
    const [x2, y2] = predicted[i]!;
    errors.push({ x1, y1, x2, y2 });
  }
  return {
    imageId: sample.imageId,
    box,
    radius: box.width / 110,
    predicted: predicted.map(([x, y]) => ({ x, y })),
    truth: truth.map(([x, y]) => ({ x, y })),
    errors,
  };
}

export function viewBoxText(box: ViewBox): string {
  return `${box.x} ${box.y} ${box.width} ${box.height}`;
}

/** A class-score sample (attributes, expression): its scores, highest first. */
export function topScores(sample: SamplePrediction, limit = 3): { name: string; score: number }[] {
  return Object.entries(sample.scores ?? {})
    .map(([name, score]) => ({ name, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}
