/**
 * What a pointer or key event means on the labelling canvas, beside the `CanvasModel` it drives:
 * a press on a point is a click until it moves `DRAG_THRESHOLD_PX`, then a drag; a press with the
 * middle button or with Space held is a pan; a click in place mode places the next point; Shift
 * on a point selects its group; the wheel zooms. The view forwards stage positions here and
 * renders what the model and these fields hold; it decides nothing (see ./modes.ts for which
 * action each mode allows).
 *
 * Besides the model's state it keeps the pointer's: the point under it (`hovered`), the point
 * last touched (`active`), Space, and whether the view still refits the face on a resize.
 *
 * Place mode also works without a mouse: a keyboard cursor (`cursor`, image pixels) stands where
 * the template puts the next point, shifted by how far the person moved the last one from its own
 * template position (a face that sits off the template is corrected once, not at every point);
 * the arrows nudge it and Enter places the next point there.
 */
import { asTemplate, templateBox } from '../face-draft';
import type { LabellerCommand } from '../keymap';
import type { CanvasModel } from './canvas-model';
import type { ToolMode } from './modes';
import type { Point, Size } from './transform';

/** What the template's notice asks the person to do next. */
const MOVE_HINT = 'drag groups (Shift+drag) and points into place, C confirms';

/** A pointer within this many screen pixels of a marker is on it. */
export const HIT_RADIUS_PX = 8;
/** A press that moves less than this is a click, not a drag (hands shake). */
export const DRAG_THRESHOLD_PX = 3;
/** Wheel zoom: e^(−deltaY · this); one 100 px notch is ×1.16. */
export const WHEEL_ZOOM_PER_PX = 0.0015;
/** `reveal` pans a point that is closer than this to the stage's edge into the middle. */
export const REVEAL_MARGIN_PX = 40;

/** Commands that act on the face or the view; the rest (images, saving, help) are the labeller's. */
export type CanvasCommand = Extract<
  LabellerCommand,
  {
    kind:
      | 'tool'
      | 'escape'
      | 'undo'
      | 'redo'
      | 'toggle-occluded'
      | 'clear-point'
      | 'drop-template'
      | 'mirror-assist'
      | 'select-group'
      | 'confirm'
      | 'confirm-all'
      | 'select-all'
      | 'scale-selection'
      | 'move-selection'
      | 'place-at-cursor'
      | 'zoom'
      | 'fit-face'
      | 'fit-image';
  }
>;

const CANVAS_COMMANDS: ReadonlySet<LabellerCommand['kind']> = new Set<CanvasCommand['kind']>([
  'tool',
  'escape',
  'undo',
  'redo',
  'toggle-occluded',
  'clear-point',
  'drop-template',
  'mirror-assist',
  'select-group',
  'confirm',
  'confirm-all',
  'select-all',
  'scale-selection',
  'move-selection',
  'place-at-cursor',
  'zoom',
  'fit-face',
  'fit-image',
]);

export function isCanvasCommand(command: LabellerCommand): command is CanvasCommand {
  return CANVAS_COMMANDS.has(command.kind);
}

/** The template a T press drops: box-normalised points and where they came from. */
export interface Template {
  points: readonly Point[];
  source: 'labelled' | 'schema';
}

function templateName(source: Template['source']): string {
  return source === 'labelled'
    ? 'Dropped the mean of your labelled faces'
    : "Dropped the schema's mean face";
}

/** `pointer`: `hovered`, `active` or `spaceHeld` changed. */
export type GestureListener = () => void;

interface Press {
  at: Point;
  target: number | 'selection' | null;
}

export class CanvasGestures {
  readonly model: CanvasModel;
  #template: Template;
  readonly #notify: (text: string | null) => void;
  readonly #listeners = new Set<GestureListener>();
  #viewport: Size;
  /**
   * What a resize refits, chosen when the face is shown: the face (`fitFace`: its box, else its
   * points) when it was shown with either, else the whole image; null once the person zooms, pans
   * or fits. Points placed on a face shown empty do not change the choice, so a resize never jumps
   * onto them (to 40× round a first point).
   */
  #refitOnResize: 'face' | 'image' | null;
  #pointer: Point | null = null;
  #press: Press | null = null;
  #hovered: number | null = null;
  #active: number | null = null;
  #spaceHeld = false;
  /** Where the arrows moved the keyboard cursor; null: at the next point's guess. */
  #cursor: Point | null = null;
  /** The last placement's offset from its template position, carried to the next guess. */
  #carry: Point = { x: 0, y: 0 };

  /** `notify` shows a line to the person (null clears it). */
  constructor(model: CanvasModel, template: Template, notify: (text: string | null) => void) {
    this.model = model;
    this.#template = template;
    this.#notify = notify;
    this.#viewport = model.viewport;
    this.#refitOnResize = this.#faceFitTarget();
  }

  /**
   * Takes a better template: the labeller starts with the schema's own and is sent the mean of
   * the project's labelled faces when that is worked out (`schema:template`).
   */
  setTemplate(template: Template): void {
    if (template.points.length !== this.#template.points.length) {
      throw new Error(
        `The template has ${template.points.length} points, not ${this.#template.points.length}`,
      );
    }
    this.#template = template;
  }

  /** The point under the pointer; `o`, `x` and `g` act on it, else on `active`. */
  get hovered(): number | null {
    return this.#hovered;
  }

  /** The point last placed, dragged or clicked. */
  get active(): number | null {
    return this.#active;
  }

  get spaceHeld(): boolean {
    return this.#spaceHeld;
  }

  /**
   * Place mode's keyboard cursor in image pixels: where Enter places the next point. Null outside
   * place mode and when every point is placed.
   */
  get cursor(): Point | null {
    const model = this.model;
    const next = model.nextToPlace;
    if (model.toolMode !== 'place' || next === null) return null;
    if (this.#cursor) return this.#cursor;
    const guess = this.#guess(next);
    return guess && { x: guess.x + this.#carry.x, y: guess.y + this.#carry.y };
  }

  /** True during a drag or pan: no edit, no face load until it ends. */
  get gesturing(): boolean {
    const mode = this.model.mode;
    return mode === 'drag' || mode === 'pan';
  }

  on(listener: GestureListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A face was loaded: forget the pointer's targets and fit it. */
  loaded(): void {
    this.#cursor = null;
    this.#carry = { x: 0, y: 0 };
    this.#setPointer(null, null);
    this.#refitOnResize = this.#faceFitTarget();
    this.#refit();
  }

  /** Makes `i` the active point (a model placed it). */
  activate(i: number): void {
    this.#setPointer(this.#hovered, i);
  }

  /** Makes `i` the active point (a search found it) and pans it into view. */
  focus(i: number): void {
    this.#setPointer(null, i);
    this.reveal(i);
  }

  // ── pointer ─────────────────────────────────────────────────────────────────────────────

  resize(size: Size): void {
    if (!(size.width > 0 && size.height > 0)) return;
    this.#viewport = size;
    if (this.model.mode === 'drag') return;
    // The size the view already has (a ResizeObserver's first report): nothing to redo.
    const { width, height } = this.model.viewport;
    if (size.width === width && size.height === height) return;
    this.model.setViewport(size);
    this.#refit();
  }

  pointerDown(at: Point, options: { button: number; shift: boolean }): void {
    const model = this.model;
    if (!model.face || this.gesturing) return;
    this.#pointer = at;
    if (options.button === 1 || (options.button === 0 && this.#spaceHeld)) {
      this.#refitOnResize = null;
      model.beginPan(at);
      return;
    }
    if (options.button !== 0) return;
    const hit = model.hitTest(at, HIT_RADIUS_PX);
    if (hit !== null && options.shift) {
      this.#selectGroupOf(hit);
      this.#press = { at, target: 'selection' };
      return;
    }
    const inSelection = hit !== null && model.mode === 'select' && model.selection.includes(hit);
    this.#press = { at, target: inSelection ? 'selection' : hit };
  }

  pointerMove(at: Point): void {
    const model = this.model;
    this.#pointer = at;
    if (!model.face) return;
    if (model.mode === 'pan') return model.updatePan(at);
    if (model.mode === 'drag') return model.updateDrag(at);
    const press = this.#press;
    if (press && press.target !== null) {
      if (Math.hypot(at.x - press.at.x, at.y - press.at.y) < DRAG_THRESHOLD_PX) return;
      if (model.beginDrag(press.target, press.at)) {
        if (typeof press.target === 'number') this.#setPointer(this.#hovered, press.target);
        model.updateDrag(at);
      }
      this.#press = null;
      return;
    }
    this.#setPointer(model.hitTest(at, HIT_RADIUS_PX), this.#active);
  }

  pointerUp(): void {
    const model = this.model;
    const press = this.#press;
    this.#press = null;
    if (!model.face) return;
    if (model.mode === 'pan') return model.endPan();
    if (model.mode === 'drag') {
      model.endDrag();
      // A resize held back while the point was held applies now.
      this.resize(this.#viewport);
      return;
    }
    if (!press) return;
    if (model.mode === 'place') {
      this.#place(press.at);
    } else if (typeof press.target === 'number') {
      this.#setPointer(this.#hovered, press.target);
    }
  }

  pointerLeave(): void {
    this.#setPointer(null, this.#active);
  }

  wheel(at: Point, deltaY: number): void {
    if (!this.model.face || this.model.mode === 'drag') return;
    this.#refitOnResize = null;
    this.model.zoomAt(at, Math.exp(-deltaY * WHEEL_ZOOM_PER_PX));
  }

  /** Space held turns a drag into a pan; called on keydown/keyup of the space bar. */
  setSpace(held: boolean): void {
    if (held === this.#spaceHeld) return;
    this.#spaceHeld = held;
    this.#emit();
  }

  // ── keys and toolbar ────────────────────────────────────────────────────────────────────

  /** Runs a canvas command as the current mode allows it; the model's refusals throw. */
  run(command: CanvasCommand): void {
    const model = this.model;
    if (!model.face) return;
    if (command.kind === 'escape') {
      if (model.mode === 'drag') model.cancelDrag();
      else if (model.mode !== 'pan') model.setMode('idle');
      return;
    }
    // Everything below edits or moves the view: not in the middle of a drag or pan.
    if (this.gesturing) return;
    const target = this.#hovered ?? this.#active;
    switch (command.kind) {
      case 'tool':
        model.setMode(command.tool);
        break;
      case 'undo':
        model.undo();
        break;
      case 'redo':
        model.redo();
        break;
      case 'toggle-occluded':
        if (target !== null) model.toggleOccluded(target);
        break;
      case 'clear-point':
        if (target !== null) model.clearPoint(target);
        break;
      case 'drop-template':
        this.dropTemplate();
        break;
      case 'mirror-assist': {
        const proposed = model.mirrorAssist();
        this.#notify(
          proposed.length
            ? `Mirror assist proposed ${proposed.length} points: check and drag them`
            : 'Mirror assist found nothing to propose',
        );
        break;
      }
      case 'select-group':
        if (target !== null) this.#selectGroupOf(target);
        break;
      case 'confirm':
        this.confirm(target);
        break;
      case 'confirm-all':
        if (!model.confirmPoints()) this.#notify('No unconfirmed point to confirm');
        break;
      case 'select-all':
        model.selectAll();
        break;
      case 'scale-selection':
        if (model.mode === 'select') model.scaleSelection(command.factor);
        break;
      case 'move-selection': {
        const scale = model.transform.scale;
        if (model.mode === 'select') model.moveGroup(command.dx / scale, command.dy / scale);
        else if (model.mode === 'place') this.#nudgeCursor(command.dx / scale, command.dy / scale);
        break;
      }
      case 'place-at-cursor': {
        const cursor = this.cursor;
        if (model.mode === 'place' && cursor) this.#place(model.imageToStage(cursor));
        break;
      }
      case 'zoom': {
        const at = this.#pointer ?? { x: this.#viewport.width / 2, y: this.#viewport.height / 2 };
        this.#refitOnResize = null;
        model.zoomAt(at, command.factor);
        break;
      }
      case 'fit-face':
        this.#refitOnResize = null;
        model.fitFace();
        break;
      case 'fit-image':
        this.#refitOnResize = null;
        model.fitImage();
        break;
    }
  }

  setTool(tool: ToolMode): void {
    if (this.model.face && !this.gesturing) this.model.setMode(tool);
  }

  /** Selects a group's points (an eye, the mouth) so arrows or a drag move them together. */
  selectGroup(group: string): void {
    if (this.model.face && !this.gesturing) this.model.selectGroup(group);
  }

  /**
   * Confirms the selection (select mode), else `target` (the point under the cursor or the last
   * one touched); with none of those, every unconfirmed point of the face.
   */
  confirm(target: number | null = this.#hovered ?? this.#active): void {
    const model = this.model;
    if (!model.face || this.gesturing) return;
    const indices =
      model.mode === 'select' && model.selection.length > 0
        ? model.selection
        : target !== null
          ? [target]
          : undefined;
    if (!model.confirmPoints(indices)) {
      this.#notify(indices ? 'That point is already confirmed' : 'No unconfirmed point to confirm');
    }
  }

  /** Drops the template (mean of labelled faces, else the schema's) into the face box. */
  dropTemplate(): void {
    const model = this.model;
    const face = model.face;
    const size = model.imageSize;
    if (!face || !size) return;
    model.dropTemplate(this.#template.points, templateBox(face.box, size));
    this.#notify(`${templateName(this.#template.source)} into the face box: ${MOVE_HINT}`);
  }

  /**
   * Drops the template as `labels:template` placed it on this face (image px, schema order):
   * `eyes` when it was fitted to the eyes found there, `box` when it went into the box, `why`
   * saying why. Falls back to `dropTemplate` when the points span no area.
   */
  dropPlaced(
    points: readonly (readonly [number, number])[],
    fit: 'eyes' | 'box',
    source: Template['source'],
    why?: string,
  ) {
    const placed = asTemplate(points);
    if (!placed || !this.model.face) return this.dropTemplate();
    this.model.dropTemplate(placed.template, placed.box);
    const name = templateName(source);
    this.#notify(
      fit === 'eyes'
        ? `${name}, fitted to the eyes and mouth: ${MOVE_HINT}`
        : `${name} into the face box${why ? ` (${why})` : ''}: ${MOVE_HINT}`,
    );
  }

  // ── view ────────────────────────────────────────────────────────────────────────────────

  /** What showing the face now fits: the face when it has a box or points, else the image. */
  #faceFitTarget(): 'face' | 'image' {
    const face = this.model.face;
    return face && (face.box || face.points.some((p) => p.v !== 0)) ? 'face' : 'image';
  }

  /** Fits what `#refitOnResize` names, if anything. */
  #refit(): void {
    if (!this.model.face || this.#refitOnResize === null) return;
    if (this.#refitOnResize === 'face') this.model.fitFace();
    else this.model.fitImage();
  }

  /** Pans so that point `i` is on screen, when it is not. */
  reveal(i: number): void {
    const model = this.model;
    const p = model.points[i];
    if (!p || model.mode !== 'idle') return;
    const at = model.imageToStage(p);
    const { width, height } = this.#viewport;
    const margin = REVEAL_MARGIN_PX;
    if (at.x > margin && at.y > margin && at.x < width - margin && at.y < height - margin) return;
    this.#refitOnResize = null;
    model.beginPan(at);
    model.updatePan({ x: width / 2, y: height / 2 });
    model.endPan();
  }

  /** Places the next point at a stage position; the keyboard cursor moves on to the next one. */
  #place(stage: Point): void {
    const model = this.model;
    const result = model.placePoint(stage);
    if ('refused' in result) {
      this.#notify(result.refused === 'all-placed' ? 'Every point is placed' : null);
      return;
    }
    const placed = model.points[result.placed];
    const guess = this.#guess(result.placed);
    if (placed && guess) this.#carry = { x: placed.x - guess.x, y: placed.y - guess.y };
    this.#cursor = null;
    this.#setPointer(this.#hovered, result.placed);
    this.#emit();
  }

  #nudgeCursor(dx: number, dy: number): void {
    const from = this.cursor;
    if (!from) return;
    this.#cursor = { x: from.x + dx, y: from.y + dy };
    this.#emit();
  }

  /** Where the template puts point `i` in this face (image pixels). */
  #guess(i: number): Point | null {
    const model = this.model;
    const face = model.face;
    const size = model.imageSize;
    const count = model.schema.points.length;
    if (!face || !size || this.#template.points.length !== count) return null;
    const box = templateBox(face.box, size);
    const t = this.#template.points[i];
    return t ? { x: box.x + t.x * box.width, y: box.y + t.y * box.height } : null;
  }

  #selectGroupOf(i: number): void {
    const group = this.model.schema.points[i]?.group;
    if (group) this.model.selectGroup(group);
  }

  #setPointer(hovered: number | null, active: number | null): void {
    if (hovered === this.#hovered && active === this.#active) return;
    this.#hovered = hovered;
    this.#active = active;
    this.#emit();
  }

  #emit(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
