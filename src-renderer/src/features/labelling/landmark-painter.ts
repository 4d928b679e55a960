/**
 * Draws a face's landmarks and the schema's edges onto a 2D context that is already scaled to
 * image pixels (the landmark layer carries the view transform). Sizes are given in screen pixels
 * and divided by the scale, so markers and lines look the same at any zoom. No Konva
 * here: the stage calls this from one shape's scene function, one path per colour, so a 98-point
 * face is a handful of canvas calls per frame rather than 98 nodes.
 */
import type { Points } from './model/face-record';
import { uncertaintyColour } from './prelabel';

export interface PaintInput {
  points: Points;
  /** Colour per point, schema order. */
  colours: readonly string[];
  edges: readonly (readonly [number, number])[];
  scale: number;
  selection: readonly number[];
  /** The point under the pointer or last touched: drawn with a ring. */
  highlighted: number | null;
}

/** On-screen sizes in CSS pixels. */
export const MARKER_RADIUS_PX = 4;
export const EDGE_WIDTH_PX = 1.25;
export const RING_RADIUS_PX = 8;

export function paintLandmarks(ctx: CanvasRenderingContext2D, input: PaintInput): void {
  const { points, colours, edges, scale } = input;
  const px = 1 / scale;
  // Edges first, under the markers; an edge to an unlabelled point is not drawn.
  ctx.lineWidth = EDGE_WIDTH_PX * px;
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.55)';
  ctx.beginPath();
  for (const [a, b] of edges) {
    const pa = points[a];
    const pb = points[b];
    if (!pa || !pb || pa.v === 0 || pb.v === 0) continue;
    ctx.moveTo(pa.x, pa.y);
    ctx.lineTo(pb.x, pb.y);
  }
  ctx.stroke();

  const selected = new Set(input.selection);
  const r = MARKER_RADIUS_PX * px;
  const byColour = new Map<string, number[]>();
  points.forEach((p, i) => {
    if (p.v === 0 || !p.confirmed) return;
    const colour = colours[i] ?? '#ffffff';
    const list = byColour.get(colour) ?? [];
    list.push(i);
    byColour.set(colour, list);
  });
  ctx.lineWidth = 1.5 * px;
  for (const [colour, indices] of byColour) {
    // Visible points are filled; occluded ones are rings so they read as "estimated".
    ctx.fillStyle = colour;
    ctx.beginPath();
    for (const i of indices) {
      const p = points[i]!;
      if (p.v !== 2) continue;
      ctx.moveTo(p.x + r, p.y);
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    }
    ctx.fill();
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (const i of indices) {
      const p = points[i]!;
      if (p.v !== 1) continue;
      ctx.moveTo(p.x + r, p.y);
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    }
    ctx.stroke();
  }
  // Unconfirmed points are hollow until a person confirms or moves them: a model's in the colour of
  // its uncertainty (green sure → red doubtful), a template's or mirror assist's in its group's.
  const hollow = new Map<string, number[]>();
  points.forEach((p, i) => {
    if (p.v === 0 || p.confirmed) return;
    const colour =
      p.uncertainty === undefined ? (colours[i] ?? '#ffffff') : uncertaintyColour(p.uncertainty);
    const list = hollow.get(colour) ?? [];
    list.push(i);
    hollow.set(colour, list);
  });
  ctx.lineWidth = 2 * px;
  for (const [colour, indices] of hollow) {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (const i of indices) {
      const p = points[i]!;
      ctx.moveTo(p.x + r, p.y);
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    }
    ctx.stroke();
  }
  // And a dashed outline, so an occluded unconfirmed point still reads as unconfirmed.
  ctx.lineWidth = 1.5 * px;
  ctx.strokeStyle = '#ffffff';
  ctx.setLineDash([2 * px, 2 * px]);
  ctx.beginPath();
  points.forEach((p) => {
    if (p.v === 0 || p.confirmed) return;
    ctx.moveTo(p.x + r * 1.6, p.y);
    ctx.arc(p.x, p.y, r * 1.6, 0, Math.PI * 2);
  });
  ctx.stroke();
  ctx.setLineDash([]);

  if (selected.size > 0) {
    ctx.strokeStyle = '#ffd400';
    ctx.beginPath();
    for (const i of selected) {
      const p = points[i];
      if (!p || p.v === 0) continue;
      ctx.moveTo(p.x + r * 1.8, p.y);
      ctx.arc(p.x, p.y, r * 1.8, 0, Math.PI * 2);
    }
    ctx.stroke();
  }
  const h = input.highlighted === null ? undefined : points[input.highlighted];
  if (h && h.v !== 0) {
    ctx.lineWidth = 2 * px;
    ctx.strokeStyle = '#ffffff';
    ctx.beginPath();
    ctx.arc(h.x, h.y, RING_RADIUS_PX * px, 0, Math.PI * 2);
    ctx.stroke();
  }
}
