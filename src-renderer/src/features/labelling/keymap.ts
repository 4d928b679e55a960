/**
 * The labeller's keyboard: a key press (as the browser reports it) to one command, or null. Pure,
 * so the whole map is unit-tested and the shortcut overlay lists the same table it runs.
 */

export type LabellerCommand =
  | { kind: 'tool'; tool: 'idle' | 'place' }
  | { kind: 'escape' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'save' }
  | { kind: 'toggle-occluded' }
  | { kind: 'clear-point' }
  | { kind: 'drop-template' }
  | { kind: 'mirror-assist' }
  | { kind: 'select-group' }
  | { kind: 'select-all' }
  | { kind: 'scale-selection'; factor: number }
  /** Moves the selection or, in place mode, the keyboard cursor (screen pixels). */
  | { kind: 'move-selection'; dx: number; dy: number }
  | { kind: 'place-at-cursor' }
  | { kind: 'zoom'; factor: number }
  | { kind: 'fit-face' }
  | { kind: 'fit-image' }
  | { kind: 'next-image' }
  | { kind: 'previous-image' }
  | { kind: 'next-unlabelled' }
  | { kind: 'confirm' }
  | { kind: 'confirm-all' }
  | { kind: 'next-uncertain' }
  | { kind: 'toggle-attribute'; index: number }
  | { kind: 'set-expression'; index: number }
  | { kind: 'help' };

export interface KeyPress {
  key: string;
  /** The physical key (`Digit1`): shift+1 is `!` in `key` but still `Digit1` here. */
  code: string;
  ctrl: boolean;
  shift: boolean;
  alt: boolean;
}

/** One keyboard step of a zoom; four steps double the scale. */
export const ZOOM_STEP = 2 ** 0.25;
/** One `[` or `]` press resizes a selection by 2%: fine enough to fit a template by eye. */
export const SCALE_STEP = 1.02;
/** Arrow keys move a selection by one screen pixel, ten with shift (converted by the caller). */
export const ARROW_STEP_PX = 1;
export const ARROW_STEP_FAST_PX = 10;

/** What the overlay shows, in the order it shows it. */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: 'P', does: 'place points in schema order (click)' },
  { keys: 'Arrows, Enter', does: 'place mode: move the cursor (Shift: faster), place the point' },
  { keys: 'V / Esc', does: 'stop placing; Esc also drops the selection or cancels a drag' },
  { keys: 'T', does: "drop the template, fitted to the face's eyes (else into the face box)" },
  { keys: 'M', does: 'mirror assist: propose the other side' },
  { keys: 'O', does: 'mark the point under the cursor (or the last one) occluded / visible' },
  { keys: 'Del / X', does: 'mark that point not labelled' },
  { keys: 'G, Shift+drag', does: "select that point's group; arrows or a drag move it" },
  { keys: 'A', does: 'select all points (move a dropped template as a whole)' },
  { keys: '[ / ]', does: 'shrink / grow the selection about its centre' },
  { keys: 'Ctrl+Z / Ctrl+Shift+Z', does: 'undo / redo' },
  { keys: 'Wheel, + / −', does: 'zoom around the cursor' },
  { keys: 'Space+drag', does: 'pan' },
  { keys: 'F / 0', does: 'fit the face / the whole image' },
  { keys: 'N / B', does: 'next / previous image' },
  { keys: 'U', does: 'next unlabelled image' },
  { keys: 'Enter', does: 'once every point is placed and confirmed: next unlabelled image' },
  {
    keys: 'C',
    does: 'confirm the unconfirmed point under the cursor, the last one or the selection (else all)',
  },
  { keys: 'Shift+C', does: 'confirm every unconfirmed point of the face' },
  { keys: 'W', does: 'next most uncertain unconfirmed point, across faces (worst first)' },
  { keys: '1–9', does: 'toggle attribute 1–9' },
  { keys: 'Shift+1–9', does: 'set expression class 1–9' },
  { keys: 'Ctrl+S', does: 'save now' },
  { keys: '?', does: 'show or hide this list' },
];

function digit(code: string): number | null {
  const match = /^(?:Digit|Numpad)([1-9])$/.exec(code);
  return match ? Number(match[1]) - 1 : null;
}

export function commandFor(press: KeyPress): LabellerCommand | null {
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  if (press.ctrl) {
    if (key === 'z') return press.shift ? { kind: 'redo' } : { kind: 'undo' };
    if (key === 'y') return { kind: 'redo' };
    if (key === 's') return { kind: 'save' };
    return null;
  }
  if (press.alt) return null;
  if (key === '?') return { kind: 'help' };
  const n = digit(press.code);
  if (n !== null) {
    return press.shift
      ? { kind: 'set-expression', index: n }
      : { kind: 'toggle-attribute', index: n };
  }
  const step = press.shift ? ARROW_STEP_FAST_PX : ARROW_STEP_PX;
  switch (key) {
    case 'p':
      return { kind: 'tool', tool: 'place' };
    case 'v':
      return { kind: 'tool', tool: 'idle' };
    case 'Escape':
      return { kind: 'escape' };
    case 'o':
      return { kind: 'toggle-occluded' };
    case 'x':
    case 'Delete':
    case 'Backspace':
      return { kind: 'clear-point' };
    case 't':
      return { kind: 'drop-template' };
    case 'm':
      return { kind: 'mirror-assist' };
    case 'g':
      return { kind: 'select-group' };
    case 'a':
      return { kind: 'select-all' };
    case '[':
      return { kind: 'scale-selection', factor: 1 / SCALE_STEP };
    case ']':
      return { kind: 'scale-selection', factor: SCALE_STEP };
    case 'Enter':
      return { kind: 'place-at-cursor' };
    case 'ArrowLeft':
      return { kind: 'move-selection', dx: -step, dy: 0 };
    case 'ArrowRight':
      return { kind: 'move-selection', dx: step, dy: 0 };
    case 'ArrowUp':
      return { kind: 'move-selection', dx: 0, dy: -step };
    case 'ArrowDown':
      return { kind: 'move-selection', dx: 0, dy: step };
    case '+':
    case '=':
      return { kind: 'zoom', factor: ZOOM_STEP };
    case '-':
    case '_':
      return { kind: 'zoom', factor: 1 / ZOOM_STEP };
    case 'f':
      return { kind: 'fit-face' };
    case '0':
      return { kind: 'fit-image' };
    case 'n':
    case 'PageDown':
      return { kind: 'next-image' };
    case 'b':
    case 'PageUp':
      return { kind: 'previous-image' };
    case 'u':
      return { kind: 'next-unlabelled' };
    case 'c':
      return press.shift ? { kind: 'confirm-all' } : { kind: 'confirm' };
    case 'w':
      return { kind: 'next-uncertain' };
    default:
      return null;
  }
}
