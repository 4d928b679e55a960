import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  CanvasModeError,
  MODES,
  ModeMachine,
  canTransition,
  isAllowed,
  type Action,
  type Mode,
} from '../../../src-renderer/src/features/labelling/model/modes';

describe('mode table', () => {
  it('allows placing only in place mode', () => {
    expect(MODES.filter((m) => isAllowed('placePoint', m))).toEqual(['place']);
  });

  it('refuses every edit during a gesture', () => {
    const editing: Action[] = ['edit', 'selectGroup', 'moveGroup', 'placePoint', 'load'];
    for (const action of editing) {
      expect(isAllowed(action, 'drag')).toBe(false);
      expect(isAllowed(action, 'pan')).toBe(false);
    }
  });

  it('lets each gesture run only its own updates', () => {
    expect(ACTIONS.filter((a) => isAllowed(a, 'drag'))).toEqual(['drag']);
    expect(ACTIONS.filter((a) => isAllowed(a, 'pan'))).toEqual(['pan', 'zoom']);
  });

  it('forbids going from one gesture straight to another', () => {
    expect(canTransition('drag', 'pan')).toBe(false);
    expect(canTransition('pan', 'drag')).toBe(false);
    expect(canTransition('drag', 'drag')).toBe(false);
    expect(canTransition('idle', 'drag')).toBe(true);
  });
});

describe('ModeMachine', () => {
  it('returns from a gesture to the tool mode it began in', () => {
    const m = new ModeMachine();
    m.setTool('place');
    m.beginGesture('drag');
    expect(m.mode).toBe('drag');
    expect(m.toolMode).toBe('place');
    expect(m.endGesture('drag')).toBe('place');
    expect(m.mode).toBe('place');
  });

  it('throws a CanvasModeError naming the mode and the refused action', () => {
    const m = new ModeMachine();
    let caught: unknown;
    try {
      m.require('placePoint');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CanvasModeError);
    expect((caught as CanvasModeError).mode).toBe('idle');
    expect((caught as CanvasModeError).attempted).toBe('placePoint');
    expect((caught as Error).message).toContain('placePoint');
  });

  it('refuses a second gesture, a tool switch mid-gesture and ending the wrong gesture', () => {
    const m = new ModeMachine();
    m.beginGesture('pan');
    expect(() => m.beginGesture('drag')).toThrow(CanvasModeError);
    expect(() => m.setTool('select')).toThrow(/end the pan first/);
    expect(() => m.endGesture('drag')).toThrow(CanvasModeError);
    expect(m.mode).toBe('pan');
    m.endGesture('pan');
    expect(m.mode).toBe('idle');
    expect(() => m.endGesture('pan')).toThrow(CanvasModeError);
  });

  it('reports whether a tool switch changed anything', () => {
    const m = new ModeMachine();
    expect(m.setTool('idle')).toBe(false);
    expect(m.setTool('select')).toBe(true);
    const seen: Mode[] = [m.mode];
    m.setTool('place');
    seen.push(m.mode);
    expect(seen).toEqual(['select', 'place']);
  });
});

describe('ModeMachine: what a refusal says', () => {
  it('names the gesture it cannot start or end, and the mode the canvas is in', () => {
    const m = new ModeMachine();
    m.beginGesture('pan');
    expect(() => m.beginGesture('drag')).toThrow('Canvas cannot go from mode "pan" to "drag"');
    expect(() => m.endGesture('drag')).toThrow('Cannot end "drag": the canvas is in mode "pan"');
    let caught: unknown;
    try {
      m.endGesture('drag');
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).name).toBe('CanvasModeError');
  });
});
