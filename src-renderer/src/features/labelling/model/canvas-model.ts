/**
 * The labelling canvas behind one facade (after cvat-canvas's `canvasModel`; see
 * docs/ARCHITECTURE.md, "Labelling canvas"). It owns
 * everything the canvas knows: the image size, the face's points in image pixels, the view
 * transform, the mode, the selection and the per-image undo history. Views render what it holds
 * and forward pointer and key events to it; they subscribe with `on` and re-read what the reason
 * names. Stage coordinates enter only through the pointer methods and leave only through
 * `imageToStage`.
 *
 * Which action is allowed in which mode: see the table in ./modes.ts. A refused action throws a
 * `CanvasModeError`; an action that is allowed but has nothing to do (toggle an unlabelled point,
 * undo with no history) returns false and emits nothing.
 */
import type { Box, Landmark } from '$shared/domain';
import { StudioError } from '$shared/errors';
import { boundsOf } from '$shared/geometry';
import { checkCanvasSchema, groupIndices, type CanvasSchema } from './canvas-schema';
import * as edits from './face-record';
import type { FaceRecord, Points } from './face-record';
import { History, VersionCounter } from './history';
import { ModeMachine, type Mode, type ToolMode } from './modes';
import {
  DEFAULT_FIT_PADDING,
  DEFAULT_ZOOM_LIMITS,
  IDENTITY,
  fitBox,
  imageToStage,
  markerRadius,
  panBy,
  stageToImage,
  zoomBy,
  type Point,
  type Rect,
  type Size,
  type ViewTransform,
  type ZoomLimits,
} from './transform';

/**
 * The stored face box is the detector's box mapped onto the 68 landmarks' extent by a per-image
 * median fit (core/library/face-detect.ts), so about half the faces have a chin or jaw just past
 * its edge. Fitting the box alone left points of 2 of the 5 HELEN train faces the newcomer spec
 * labels off the stage at 1440×900; with this margin (a share of the box's width and height, on
 * each side) none (tests/e2e/newcomer.spec.ts).
 */
export const FACE_BOX_FIT_MARGIN = 0.15;

function grow(box: Box, margin: number): Rect {
  const dx = box.width * margin;
  const dy = box.height * margin;
  return { x: box.x - dx, y: box.y - dy, width: box.width + 2 * dx, height: box.height + 2 * dy };
}

/** The selection name `selectAll` uses; no schema group is called this. */
export const ALL_POINTS = 'all points';

/** What changed; a view re-reads only the state the reason names. */
export type ChangeReason = 'points' | 'transform' | 'mode' | 'selection' | 'history';
export type ChangeListener = (reason: ChangeReason) => void;

export interface CanvasModelOptions {
  zoomLimits?: ZoomLimits;
  /** Stage size until the view reports its own with `setViewport`. */
  viewport?: Size;
}

/** A face to show, as stored; `points` null or absent for an image nobody has labelled yet. */
export interface FaceToLoad {
  imageId: string;
  imageSize: Size;
  points?: readonly Landmark[] | null;
  box?: Box;
}

export type PlaceResult =
  | { placed: number }
  /** `all-placed`: every point is labelled; `outside-image`: the click missed the image. */
  | { refused: 'all-placed' | 'outside-image' };

/** A drag moves one point (by index) or every labelled point of the selection. */
export type DragTarget = number | 'selection';

interface Loaded {
  face: FaceRecord;
  imageSize: Size;
  history: History;
}

interface DragState {
  indices: readonly number[];
  origin: Points;
  /** Image position of the pointer at pointer-down; the drag moves by the pointer's offset. */
  anchor: Point;
  label: string;
}

export class CanvasModel {
  readonly schema: CanvasSchema;
  readonly zoomLimits: ZoomLimits;
  readonly #modes = new ModeMachine();
  readonly #versions = new VersionCounter();
  /** Histories by image id, kept when switching images so undo survives a look elsewhere. */
  readonly #histories = new Map<string, History>();
  readonly #listeners = new Set<ChangeListener>();
  #loaded: Loaded | null = null;
  #viewport: Size;
  #transform: ViewTransform = IDENTITY;
  #selection: readonly number[] = [];
  #selectedGroup: string | null = null;
  #drag: DragState | null = null;
  #panFrom: Point | null = null;

  constructor(schema: CanvasSchema, options: CanvasModelOptions = {}) {
    this.schema = checkCanvasSchema(schema);
    this.zoomLimits = options.zoomLimits ?? DEFAULT_ZOOM_LIMITS;
    // Any positive size works until the view measures itself; this one is a small window.
    this.#viewport = options.viewport ?? { width: 800, height: 600 };
  }

  // ── state the views read ────────────────────────────────────────────────────────────────

  get mode(): Mode {
    return this.#modes.mode;
  }

  /** The tool mode in effect, also during a drag or pan (for the toolbar). */
  get toolMode(): ToolMode {
    return this.#modes.toolMode;
  }

  get transform(): ViewTransform {
    return this.#transform;
  }

  get viewport(): Size {
    return this.#viewport;
  }

  get imageSize(): Size | null {
    return this.#loaded?.imageSize ?? null;
  }

  /** The face as it is now; what a save writes. Null before the first `load`. A copy: views
   * cannot change the model behind its back (the point array itself is never mutated). */
  get face(): FaceRecord | null {
    return this.#loaded ? { ...this.#loaded.face } : null;
  }

  get points(): Points {
    return this.#loaded?.face.points ?? [];
  }

  /** The point a click in place mode will set, in schema order; null when all are labelled. */
  get nextToPlace(): number | null {
    return this.#loaded ? edits.nextToPlace(this.#loaded.face.points) : null;
  }

  get selection(): readonly number[] {
    return this.#selection;
  }

  get selectedGroup(): string | null {
    return this.#selectedGroup;
  }

  get canUndo(): boolean {
    return this.#loaded?.history.canUndo ?? false;
  }

  get canRedo(): boolean {
    return this.#loaded?.history.canRedo ?? false;
  }

  get undoLabel(): string | null {
    return this.#loaded?.history.undoLabel ?? null;
  }

  get redoLabel(): string | null {
    return this.#loaded?.history.redoLabel ?? null;
  }

  /**
   * Names the points shown now: every edit makes a new version and undo returns to the one
   * before, so "are these the points I saved?" is one comparison (the autosaver's). A drag in
   * progress gets its version when it ends: saves follow `history` events, not pointer moves.
   */
  get version(): number {
    return this.#require().history.version;
  }

  on(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ── coordinates ─────────────────────────────────────────────────────────────────────────

  stageToImage(stage: Point): Point {
    return stageToImage(this.#transform, stage);
  }

  imageToStage(image: Point): Point {
    return imageToStage(this.#transform, image);
  }

  /** Radius in image pixels that draws as `screenRadius` stage pixels at the current zoom. */
  markerRadius(screenRadius: number): number {
    return markerRadius(screenRadius, this.#transform);
  }

  /** The labelled point nearest to a stage position within `screenRadius`, or null. */
  hitTest(stage: Point, screenRadius: number): number | null {
    let best: number | null = null;
    let bestDistance = screenRadius;
    this.points.forEach((p, i) => {
      if (p.v === 0) return;
      const s = this.imageToStage(p);
      const d = Math.hypot(s.x - stage.x, s.y - stage.y);
      if (d <= bestDistance) {
        best = i;
        bestDistance = d;
      }
    });
    return best;
  }

  // ── loading and modes ───────────────────────────────────────────────────────────────────

  /**
   * Shows a face as stored and fits the whole image. Returning to an image keeps its undo
   * history unless its points changed meanwhile (reloaded, pre-labelled by a model).
   */
  load(input: FaceToLoad): void {
    this.#modes.require('load');
    const count = this.schema.points.length;
    const points = input.points ?? edits.emptyPoints(count);
    if (points.length !== count) {
      throw new StudioError(
        'invalid-payload',
        `Face of image ${input.imageId} has ${points.length} points; ` +
          `landmark schema "${this.schema.id}" has ${count}`,
      );
    }
    if (!(input.imageSize.width > 0 && input.imageSize.height > 0)) {
      throw new StudioError(
        'invalid-payload',
        `Image ${input.imageId} has no size (${input.imageSize.width}×${input.imageSize.height})`,
      );
    }
    let history = this.#histories.get(input.imageId);
    if (!history) {
      history = new History(this.#versions);
      this.#histories.set(input.imageId, history);
    } else {
      const expected = history.expected;
      if (expected && !edits.samePoints(expected, points)) history.clear();
    }
    const face: FaceRecord = { imageId: input.imageId, points: points.slice() };
    if (input.box) face.box = input.box;
    this.#loaded = { face, imageSize: { ...input.imageSize }, history };
    this.#transform = this.#fit(this.#imageRect(), DEFAULT_FIT_PADDING);
    this.#emit('points', 'transform', 'history');
  }

  /** Picks idle, place or select. Leaving select drops the selection. */
  setMode(mode: ToolMode): void {
    if (!this.#modes.setTool(mode)) return;
    if (mode !== 'select' && this.#selection.length > 0) {
      this.#setSelection(null);
      this.#emit('mode', 'selection');
    } else {
      this.#emit('mode');
    }
  }

  // ── view transform ──────────────────────────────────────────────────────────────────────

  setViewport(size: Size): void {
    if (!(size.width > 0 && size.height > 0)) {
      throw new RangeError(`Viewport must have a positive size, got ${size.width}×${size.height}`);
    }
    this.#modes.require('zoom');
    this.#viewport = { ...size };
    this.#emit('transform');
  }

  /** Zooms by `factor` (> 1 in) keeping the image point under the cursor `stage` in place. */
  zoomAt(stage: Point, factor: number): void {
    this.#modes.require('zoom');
    this.#setTransform(zoomBy(this.#transform, factor, stage, this.zoomLimits));
  }

  fitImage(padding = DEFAULT_FIT_PADDING): void {
    this.#modes.require('zoom');
    this.#require();
    this.#setTransform(this.#fit(this.#imageRect(), padding));
  }

  /**
   * Fits the face box grown by `FACE_BOX_FIT_MARGIN` on each side, else the labelled points, else
   * the whole image.
   */
  fitFace(padding = DEFAULT_FIT_PADDING): void {
    this.#modes.require('zoom');
    const { face } = this.#require();
    const rect =
      (face.box && grow(face.box, FACE_BOX_FIT_MARGIN)) ??
      boundsOf(face.points.filter((p) => p.v !== 0)) ??
      this.#imageRect();
    this.#setTransform(this.#fit(rect, padding));
  }

  beginPan(stage: Point): void {
    this.#modes.require('beginGesture');
    this.#modes.beginGesture('pan');
    this.#panFrom = stage;
    this.#emit('mode');
  }

  updatePan(stage: Point): void {
    this.#modes.require('pan');
    const from = this.#panFrom ?? stage;
    this.#panFrom = stage;
    this.#setTransform(panBy(this.#transform, stage.x - from.x, stage.y - from.y));
  }

  endPan(): void {
    this.#modes.require('pan');
    this.#modes.endGesture('pan');
    this.#panFrom = null;
    this.#emit('mode');
  }

  // ── editing points ──────────────────────────────────────────────────────────────────────

  /** Place mode: a click at a stage position sets the next point in schema order. */
  placePoint(stage: Point): PlaceResult {
    this.#modes.require('placePoint');
    const { face, imageSize } = this.#require();
    const i = edits.nextToPlace(face.points);
    if (i === null) return { refused: 'all-placed' };
    const at = this.stageToImage(stage);
    if (at.x < 0 || at.y < 0 || at.x > imageSize.width || at.y > imageSize.height) {
      return { refused: 'outside-image' };
    }
    this.#edit(`place ${this.#name(i)}`, edits.placePoint(face.points, i, at));
    return { placed: i };
  }

  /** Moves point `i` to a position in image pixels (keys, numeric entry); one undo step. */
  movePoint(i: number, at: Point): boolean {
    this.#modes.require('edit');
    const { face } = this.#require();
    return this.#edit(`move ${this.#name(i)}`, edits.movePoint(face.points, i, at));
  }

  toggleOccluded(i: number): boolean {
    this.#modes.require('edit');
    const { face } = this.#require();
    const label = face.points[i]?.v === 2 ? 'mark occluded' : 'mark visible';
    return this.#edit(`${label} ${this.#name(i)}`, edits.toggleOccluded(face.points, i));
  }

  clearPoint(i: number): boolean {
    this.#modes.require('edit');
    const { face } = this.#require();
    return this.#edit(`clear ${this.#name(i)}`, edits.clearPoint(face.points, i));
  }

  /** Accepts a model's or template's point where it is (it keeps its source, now confirmed). */
  confirmPoint(i: number): boolean {
    this.#modes.require('edit');
    const { face } = this.#require();
    return this.#edit(`confirm ${this.#name(i)}`, edits.confirmPoint(face.points, i));
  }

  /** Accepts the unconfirmed points among `indices` (default: every point); one undo step. */
  confirmPoints(indices?: readonly number[]): boolean {
    this.#modes.require('edit');
    const { face } = this.#require();
    const label = indices ? `confirm ${indices.length} points` : 'confirm all points';
    return this.#edit(label, edits.confirmPoints(face.points, indices));
  }

  /**
   * Merges a model's prediction (schema order, image pixels) into the face: points a person
   * placed stay, the rest become the model's, unconfirmed; one undo step. Returns how many
   * points it set.
   */
  applyPrediction(predicted: readonly Landmark[]): number {
    this.#modes.require('edit');
    const { face } = this.#require();
    const next = edits.mergePrediction(face.points, predicted);
    const changed = next.filter((p, i) => p !== face.points[i]).length;
    this.#edit('pre-label', next);
    return changed;
  }

  /** The unconfirmed point with the highest uncertainty, or null when every point is confirmed. */
  get mostUncertain(): { index: number; uncertainty: number } | null {
    return edits.mostUncertain(this.points);
  }

  /**
   * Places every point from `template` (box-normalised 0..1, schema order) into `box` (image
   * pixels; default the face box), replacing what was there; one undo step.
   */
  dropTemplate(template: readonly Point[], box?: Box): void {
    this.#modes.require('edit');
    const { face } = this.#require();
    const into = box ?? face.box;
    if (!into) throw new RangeError('Dropping a template needs a box: this face has none');
    const next = edits.templateInBox(template, into, this.schema.points.length);
    this.#edit('drop template', next);
  }

  /**
   * Proposes unlabelled points from their labelled mirror partners (see `mirrorAssist` in
   * ./face-record.ts); one undo step. Returns the indices proposed.
   */
  mirrorAssist(): number[] {
    this.#modes.require('edit');
    const { face } = this.#require();
    const { points, proposed } = edits.mirrorAssist(face.points, this.schema, face.box);
    this.#edit('mirror assist', points);
    return proposed;
  }

  // ── selection and group moves ───────────────────────────────────────────────────────────

  /** Selects a group's points and enters select mode. */
  selectGroup(group: string): void {
    this.#modes.require('selectGroup');
    const indices = groupIndices(this.schema, group);
    if (indices.length === 0) {
      throw new RangeError(`Landmark schema "${this.schema.id}" has no group "${group}"`);
    }
    const modeChanged = this.#modes.setTool('select');
    this.#setSelection(group);
    if (modeChanged) this.#emit('mode', 'selection');
    else this.#emit('selection');
  }

  /** Selects every point (to move or resize a dropped template as a whole) and enters select mode. */
  selectAll(): void {
    this.#modes.require('selectGroup');
    const modeChanged = this.#modes.setTool('select');
    this.#setSelection(ALL_POINTS);
    if (modeChanged) this.#emit('mode', 'selection');
    else this.#emit('selection');
  }

  /** Select mode: scales the selection's labelled points about their centroid; one undo step. */
  scaleSelection(factor: number): boolean {
    this.#modes.require('moveGroup');
    const { face } = this.#require();
    const next = edits.scalePoints(face.points, this.#selection, factor);
    return this.#edit(`resize ${this.#selectedGroup ?? 'selection'}`, next);
  }

  /** Drops the selection and returns to idle. */
  clearSelection(): void {
    this.setMode('idle');
  }

  /** Select mode: moves the selected group's labelled points by image pixels; one undo step. */
  moveGroup(dx: number, dy: number): boolean {
    this.#modes.require('moveGroup');
    const { face } = this.#require();
    const next = edits.offsetPoints(face.points, face.points, this.#selection, dx, dy);
    return this.#edit(`move ${this.#selectedGroup ?? 'selection'}`, next);
  }

  // ── drag: pointer-down … pointer-moves … pointer-up = one undo step ─────────────────────

  /**
   * Starts dragging a labelled point, or the selection, from a stage position. Returns false and
   * stays in the current mode when there is nothing to drag.
   */
  beginDrag(target: DragTarget, stage: Point): boolean {
    this.#modes.require('beginGesture');
    const { face } = this.#require();
    let indices: readonly number[];
    let label: string;
    if (target === 'selection') {
      indices = this.#selection;
      label = `move ${this.#selectedGroup ?? 'selection'}`;
    } else {
      edits.checkIndex(face.points, target);
      indices = [target];
      label = `move ${this.#name(target)}`;
    }
    if (!indices.some((i) => face.points[i]?.v !== 0)) return false;
    this.#modes.beginGesture('drag');
    this.#drag = { indices, origin: face.points, anchor: this.stageToImage(stage), label };
    this.#emit('mode');
    return true;
  }

  updateDrag(stage: Point): void {
    this.#modes.require('drag');
    const drag = this.#requireDrag();
    const { face } = this.#require();
    const at = this.stageToImage(stage);
    const next = edits.offsetPoints(
      face.points,
      drag.origin,
      drag.indices,
      at.x - drag.anchor.x,
      at.y - drag.anchor.y,
    );
    if (next === face.points) return;
    face.points = next;
    this.#emit('points');
  }

  /** Ends the drag; records one undo step if the points moved. Returns whether they did. */
  endDrag(): boolean {
    this.#modes.require('drag');
    const drag = this.#requireDrag();
    const loaded = this.#require();
    this.#modes.endGesture('drag');
    this.#drag = null;
    const moved = !edits.samePoints(drag.origin, loaded.face.points);
    if (moved) {
      loaded.history.record(drag.label, drag.origin, loaded.face.points);
      this.#emit('mode', 'history');
    } else {
      loaded.face.points = drag.origin;
      this.#emit('mode');
    }
    return moved;
  }

  /** Escape during a drag: puts the points back and records nothing. */
  cancelDrag(): void {
    this.#modes.require('drag');
    const drag = this.#requireDrag();
    const loaded = this.#require();
    this.#modes.endGesture('drag');
    this.#drag = null;
    const moved = loaded.face.points !== drag.origin;
    loaded.face.points = drag.origin;
    if (moved) this.#emit('points', 'mode');
    else this.#emit('mode');
  }

  // ── history ─────────────────────────────────────────────────────────────────────────────

  undo(): boolean {
    this.#modes.require('edit');
    const loaded = this.#require();
    return this.#restore(loaded, loaded.history.undo());
  }

  redo(): boolean {
    this.#modes.require('edit');
    const loaded = this.#require();
    return this.#restore(loaded, loaded.history.redo());
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  #require(): Loaded {
    if (!this.#loaded) throw new Error('The canvas has no face loaded: call load() first');
    return this.#loaded;
  }

  #requireDrag(): DragState {
    if (!this.#drag) throw new Error('No drag in progress');
    return this.#drag;
  }

  #name(i: number): string {
    const p = this.schema.points[i];
    return p ? `${p.name} (${i})` : `point ${i}`;
  }

  #imageRect(): Rect {
    const { width, height } = this.#require().imageSize;
    return { x: 0, y: 0, width, height };
  }

  #fit(rect: Rect, padding: number): ViewTransform {
    return fitBox(rect, this.#viewport, padding, this.zoomLimits);
  }

  #setTransform(next: ViewTransform): void {
    this.#transform = next;
    this.#emit('transform');
  }

  #setSelection(group: string | null): void {
    this.#selectedGroup = group;
    if (group === null) this.#selection = [];
    else if (group === ALL_POINTS) this.#selection = this.schema.points.map((_, i) => i);
    else this.#selection = groupIndices(this.schema, group);
  }

  /** Applies an edit as one undo step; a no-op (same array back) records nothing. */
  #edit(label: string, next: Points): boolean {
    const loaded = this.#require();
    const before = loaded.face.points;
    if (next === before || edits.samePoints(before, next)) return false;
    loaded.history.record(label, before, next);
    loaded.face.points = next;
    this.#emit('points', 'history');
    return true;
  }

  #restore(loaded: Loaded, snapshot: Points | null): boolean {
    if (!snapshot) return false;
    loaded.face.points = snapshot;
    this.#emit('points', 'history');
    return true;
  }

  #emit(...reasons: ChangeReason[]): void {
    for (const reason of reasons) {
      for (const listener of [...this.#listeners]) listener(reason);
    }
  }
}
