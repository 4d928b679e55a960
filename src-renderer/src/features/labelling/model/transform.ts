/**
 * Image ↔ stage coordinates under zoom and pan (after Label Studio's KeyPointRegion;
 * docs/ARCHITECTURE.md, "Labelling canvas"). Landmarks live in image pixels (0-based floats); the
 * stage is the canvas in CSS pixels. The one mapping is `stage = image · scale + offset`, the same
 * for x and y (no anisotropic zoom), so a Konva layer drawn with `scale` and `offset` as its
 * attributes lines up with these helpers.
 *
 * All functions are pure and return new objects: the model replaces its transform whole.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** An axis-aligned rectangle; same shape as `Box` in src-main/shared/domain.ts. */
export interface Rect extends Point, Size {}

export interface ViewTransform {
  /** Stage pixels per image pixel. */
  scale: number;
  /** Stage position of the image's origin (its top-left corner). */
  offsetX: number;
  offsetY: number;
}

export interface ZoomLimits {
  min: number;
  max: number;
}

/**
 * 1/50 shows a 10 000 px scan in a 200 px viewport; 40 puts a pixel at 40 screen pixels, enough
 * to place a point at sub-pixel precision on a 64 px crop.
 */
export const DEFAULT_ZOOM_LIMITS: ZoomLimits = { min: 0.02, max: 40 };

/** Space left around a fitted box, in stage pixels, so edge points are not under the border. */
export const DEFAULT_FIT_PADDING = 24;

export const IDENTITY: ViewTransform = { scale: 1, offsetX: 0, offsetY: 0 };

export function imageToStage(t: ViewTransform, p: Point): Point {
  return { x: p.x * t.scale + t.offsetX, y: p.y * t.scale + t.offsetY };
}

/** The one helper that turns a pointer position into image pixels. */
export function stageToImage(t: ViewTransform, p: Point): Point {
  return { x: (p.x - t.offsetX) / t.scale, y: (p.y - t.offsetY) / t.scale };
}

export function clampScale(scale: number, limits: ZoomLimits = DEFAULT_ZOOM_LIMITS): number {
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`Zoom scale must be a positive finite number, got ${scale}`);
  }
  return Math.min(limits.max, Math.max(limits.min, scale));
}

/**
 * Zooms to `scale` (clamped) keeping the image point under `anchor` (a stage position, usually
 * the cursor) where it is on screen.
 */
export function zoomTo(
  t: ViewTransform,
  scale: number,
  anchor: Point,
  limits: ZoomLimits = DEFAULT_ZOOM_LIMITS,
): ViewTransform {
  const next = clampScale(scale, limits);
  const fixed = stageToImage(t, anchor);
  return { scale: next, offsetX: anchor.x - fixed.x * next, offsetY: anchor.y - fixed.y * next };
}

/** Zooms by `factor` (> 1 zooms in) around `anchor`; see `zoomTo`. */
export function zoomBy(
  t: ViewTransform,
  factor: number,
  anchor: Point,
  limits: ZoomLimits = DEFAULT_ZOOM_LIMITS,
): ViewTransform {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new RangeError(`Zoom factor must be a positive finite number, got ${factor}`);
  }
  return zoomTo(t, t.scale * factor, anchor, limits);
}

/** Moves the image by a stage-pixel delta (a pan never changes the scale). */
export function panBy(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { scale: t.scale, offsetX: t.offsetX + dx, offsetY: t.offsetY + dy };
}

/**
 * The transform that shows `box` (image pixels) as large as fits in `viewport` (stage pixels)
 * with `padding` on each side, centred. An empty box (one point, or a line) is centred at the
 * highest zoom the limits allow in its empty direction.
 */
export function fitBox(
  box: Rect,
  viewport: Size,
  padding: number = DEFAULT_FIT_PADDING,
  limits: ZoomLimits = DEFAULT_ZOOM_LIMITS,
): ViewTransform {
  if (viewport.width <= 0 || viewport.height <= 0) {
    throw new RangeError(
      `Viewport must have a positive size, got ${viewport.width}×${viewport.height}`,
    );
  }
  // A viewport smaller than twice the padding still gets a usable view: padding gives way first.
  const pad = Math.max(0, Math.min(padding, viewport.width / 4, viewport.height / 4));
  const sx = box.width > 0 ? (viewport.width - 2 * pad) / box.width : limits.max;
  const sy = box.height > 0 ? (viewport.height - 2 * pad) / box.height : limits.max;
  const scale = clampScale(Math.min(sx, sy), limits);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return {
    scale,
    offsetX: viewport.width / 2 - cx * scale,
    offsetY: viewport.height / 2 - cy * scale,
  };
}

/**
 * The radius to draw a marker with, in image pixels, so that it is `screenRadius` stage pixels
 * on screen whatever the zoom (markers live in the scaled layer).
 */
export function markerRadius(screenRadius: number, t: ViewTransform): number {
  return screenRadius / t.scale;
}
