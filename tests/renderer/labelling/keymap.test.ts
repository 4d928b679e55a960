/** The labeller's keyboard map: every documented shortcut runs, and nothing else does. */
import { describe, expect, it } from 'vitest';
import {
  ARROW_STEP_FAST_PX,
  SCALE_STEP,
  commandFor,
  SHORTCUTS,
  ZOOM_STEP,
  type KeyPress,
} from '../../../src-renderer/src/features/labelling/keymap';

function press(key: string, extra: Partial<KeyPress> = {}): KeyPress {
  const code = /^[0-9]$/.test(key) ? `Digit${key}` : `Key${key.toUpperCase()}`;
  return { key, code, ctrl: false, shift: false, alt: false, ...extra };
}

describe('commandFor', () => {
  it('maps the issue’s keys: o occludes, ? shows help, number keys toggle attributes', () => {
    expect(commandFor(press('o'))).toEqual({ kind: 'toggle-occluded' });
    expect(commandFor(press('?', { shift: true, code: 'Slash' }))).toEqual({ kind: 'help' });
    expect(commandFor(press('3'))).toEqual({ kind: 'toggle-attribute', index: 2 });
    // Shift+3 is `#` on a US keyboard: the physical key still says which class.
    expect(commandFor(press('#', { shift: true, code: 'Digit3' }))).toEqual({
      kind: 'set-expression',
      index: 2,
    });
  });

  it('undoes with Ctrl+Z and redoes with Ctrl+Shift+Z or Ctrl+Y, in either case', () => {
    expect(commandFor(press('z', { ctrl: true }))).toEqual({ kind: 'undo' });
    expect(commandFor(press('Z', { ctrl: true, shift: true }))).toEqual({ kind: 'redo' });
    expect(commandFor(press('y', { ctrl: true }))).toEqual({ kind: 'redo' });
    expect(commandFor(press('s', { ctrl: true }))).toEqual({ kind: 'save' });
  });

  it('zooms in and out by inverse steps, and moves a selection ten times faster with shift', () => {
    const zoomIn = commandFor(press('+'));
    const zoomOut = commandFor(press('-'));
    expect(zoomIn).toEqual({ kind: 'zoom', factor: ZOOM_STEP });
    expect(zoomOut).toEqual({ kind: 'zoom', factor: 1 / ZOOM_STEP });
    expect(ZOOM_STEP).toBeGreaterThan(1);
    expect(commandFor(press('ArrowLeft', { code: 'ArrowLeft', shift: true }))).toEqual({
      kind: 'move-selection',
      dx: -ARROW_STEP_FAST_PX,
      dy: 0,
    });
  });

  it('places the next point at the keyboard cursor with Enter', () => {
    expect(commandFor(press('Enter', { code: 'Enter' }))).toEqual({ kind: 'place-at-cursor' });
    expect(commandFor(press('Enter', { code: 'Enter', ctrl: true }))).toBeNull();
  });

  it('selects every point with A and resizes a selection with [ and ] by inverse steps', () => {
    expect(commandFor(press('a'))).toEqual({ kind: 'select-all' });
    expect(commandFor(press(']', { code: 'BracketRight' }))).toEqual({
      kind: 'scale-selection',
      factor: SCALE_STEP,
    });
    expect(commandFor(press('[', { code: 'BracketLeft' }))).toEqual({
      kind: 'scale-selection',
      factor: 1 / SCALE_STEP,
    });
  });

  it('confirms with C, everything with Shift+C, and finds the most uncertain point with W', () => {
    expect(commandFor(press('c'))).toEqual({ kind: 'confirm' });
    expect(commandFor(press('C', { shift: true }))).toEqual({ kind: 'confirm-all' });
    expect(commandFor(press('w'))).toEqual({ kind: 'next-uncertain' });
    expect(commandFor(press('c', { ctrl: true }))).toBeNull();
  });

  it('takes the next unlabelled face with U (Enter does it once the face is complete: labeller)', () => {
    expect(commandFor(press('u'))).toEqual({ kind: 'next-unlabelled' });
  });

  it('ignores unknown keys, Alt chords and Ctrl with other letters', () => {
    expect(commandFor(press('q'))).toBeNull();
    expect(commandFor(press('o', { alt: true }))).toBeNull();
    expect(commandFor(press('o', { ctrl: true }))).toBeNull();
  });

  it('lists a shortcut for every command kind it can return', () => {
    const documented = SHORTCUTS.map((s) => s.keys).join(' ');
    for (const key of [
      'P',
      'T',
      'M',
      'O',
      'G',
      'A',
      '[ / ]',
      '?',
      'N',
      'B',
      'U',
      'Ctrl+S',
      'C',
      'Shift+C',
      'W',
      'Enter',
    ]) {
      expect(documented).toContain(key);
    }
  });
});
