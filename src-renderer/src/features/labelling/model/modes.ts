/**
 * The labelling canvas's interaction modes as a small state machine (after cvat-canvas;
 * docs/ARCHITECTURE.md, "Labelling canvas"). The views never decide what a pointer event means:
 * they forward it to the `CanvasModel`, which asks this module whether the action is allowed in the
 * current mode.
 *
 * Modes: `idle` (look, edit with keys), `place` (a click places the next point in schema order),
 * `select` (a group is selected; arrows or a drag move it), and two gestures, `drag` and `pan`,
 * that last from pointer-down to pointer-up and then return to the mode they started from.
 *
 * Which action is allowed in which mode (✓ allowed, – refused with a `CanvasModeError`):
 *
 * | action                                   | idle | place | select | drag | pan |
 * |------------------------------------------|------|-------|--------|------|-----|
 * | placePoint                               |  –   |   ✓   |   –    |  –   |  –  |
 * | edit (move, occlude, clear, confirm,     |  ✓   |   ✓   |   ✓    |  –   |  –  |
 * |   template, mirror assist, pre-label),   |      |       |        |      |     |
 * |   undo/redo                              |      |       |        |      |     |
 * | selectGroup                              |  ✓   |   ✓   |   ✓    |  –   |  –  |
 * | moveGroup                                |  –   |   –   |   ✓    |  –   |  –  |
 * | beginDrag, beginPan                      |  ✓   |   ✓   |   ✓    |  –   |  –  |
 * | updateDrag, endDrag, cancelDrag          |  –   |   –   |   –    |  ✓   |  –  |
 * | updatePan, endPan                        |  –   |   –   |   –    |  –   |  ✓  |
 * | zoom, fit, resize viewport               |  ✓   |   ✓   |   ✓    |  –   |  ✓  |
 * | load a face                              |  ✓   |   ✓   |   ✓    |  –   |  –  |
 *
 * Zoom is refused while dragging because a drag's anchor is a stage position taken at
 * pointer-down; zooming under it would make the point jump. Zooming while panning is harmless.
 *
 * Transitions: idle, place and select reach each other and both gestures; a gesture only ends
 * back in the mode it began from (no drag → pan, no drag → drag).
 */

export const MODES = ['idle', 'place', 'select', 'drag', 'pan'] as const;
export type Mode = (typeof MODES)[number];

/** Modes a person picks (toolbar, keys); gestures are entered by `beginDrag` / `beginPan`. */
export type ToolMode = Extract<Mode, 'idle' | 'place' | 'select'>;
export type GestureMode = Extract<Mode, 'drag' | 'pan'>;

export const ACTIONS = [
  'placePoint',
  'edit',
  'selectGroup',
  'moveGroup',
  'beginGesture',
  'drag',
  'pan',
  'zoom',
  'load',
] as const;
export type Action = (typeof ACTIONS)[number];

const TOOLS: readonly Mode[] = ['idle', 'place', 'select'];

/** The table in the module doc, as data. */
const ALLOWED: Record<Action, readonly Mode[]> = {
  placePoint: ['place'],
  edit: TOOLS,
  selectGroup: TOOLS,
  moveGroup: ['select'],
  beginGesture: TOOLS,
  drag: ['drag'],
  pan: ['pan'],
  zoom: ['idle', 'place', 'select', 'pan'],
  load: TOOLS,
};

const TRANSITIONS: Record<Mode, readonly Mode[]> = {
  idle: ['place', 'select', 'drag', 'pan'],
  place: ['idle', 'select', 'drag', 'pan'],
  select: ['idle', 'place', 'drag', 'pan'],
  // A gesture may only return to the tool mode it began from; `ModeMachine` checks which one.
  drag: TOOLS,
  pan: TOOLS,
};

export function isAllowed(action: Action, mode: Mode): boolean {
  return ALLOWED[action].includes(mode);
}

export function canTransition(from: Mode, to: Mode): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A refused action or transition: a bug in the view that forwarded it, not a user error. */
export class CanvasModeError extends Error {
  readonly mode: Mode;
  readonly attempted: Action | Mode;

  constructor(mode: Mode, attempted: Action | Mode, message: string) {
    super(message);
    this.name = 'CanvasModeError';
    this.mode = mode;
    this.attempted = attempted;
  }
}

function isGesture(mode: Mode): mode is GestureMode {
  return mode === 'drag' || mode === 'pan';
}

/** The current mode and, during a gesture, the tool mode to return to. */
export class ModeMachine {
  #mode: Mode = 'idle';
  #resume: ToolMode = 'idle';

  get mode(): Mode {
    return this.#mode;
  }

  /** The tool mode in effect: the current one, or the one a gesture will return to. */
  get toolMode(): ToolMode {
    return isGesture(this.#mode) ? this.#resume : this.#mode;
  }

  can(action: Action): boolean {
    return isAllowed(action, this.#mode);
  }

  /** Throws a `CanvasModeError` unless `action` is allowed now. */
  require(action: Action): void {
    if (!this.can(action)) {
      throw new CanvasModeError(
        this.#mode,
        action,
        `Canvas action "${action}" is not allowed in mode "${this.#mode}"`,
      );
    }
  }

  /** Picks a tool mode. Throws during a gesture: end it first. Returns whether the mode changed. */
  setTool(to: ToolMode): boolean {
    if (to === this.#mode) return false;
    if (isGesture(this.#mode)) {
      throw new CanvasModeError(
        this.#mode,
        to,
        `Cannot switch to "${to}" during a ${this.#mode}: end the ${this.#mode} first`,
      );
    }
    this.#check(to);
    this.#mode = to;
    return true;
  }

  beginGesture(gesture: GestureMode): void {
    this.#check(gesture);
    this.#resume = this.#mode as ToolMode; // `#check` allows gestures only from tool modes.
    this.#mode = gesture;
  }

  /** Ends the running gesture `gesture` and returns to the tool mode it began from. */
  endGesture(gesture: GestureMode): ToolMode {
    if (this.#mode !== gesture) {
      throw new CanvasModeError(
        this.#mode,
        this.#resume,
        `Cannot end "${gesture}": the canvas is in mode "${this.#mode}"`,
      );
    }
    this.#mode = this.#resume;
    return this.#resume;
  }

  #check(to: Mode): void {
    if (!canTransition(this.#mode, to)) {
      throw new CanvasModeError(
        this.#mode,
        to,
        `Canvas cannot go from mode "${this.#mode}" to "${to}"`,
      );
    }
  }
}
