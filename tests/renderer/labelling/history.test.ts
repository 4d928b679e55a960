import { describe, expect, it } from 'vitest';
import type { Landmark } from '$shared/domain';
import {
  History,
  VersionCounter,
} from '../../../src-renderer/src/features/labelling/model/history';

const at = (x: number): Landmark[] => [{ x, y: 0, v: 2, source: 'human', confirmed: true }];

describe('History', () => {
  it('undoes and redoes snapshots in order, with labels', () => {
    const h = new History(new VersionCounter());
    expect(h.canUndo).toBe(false);
    h.record('move a', at(0), at(1));
    h.record('move b', at(1), at(2));
    expect(h.undoLabel).toBe('move b');
    expect(h.undo()).toEqual(at(1));
    expect(h.redoLabel).toBe('move b');
    expect(h.undo()).toEqual(at(0));
    expect(h.undo()).toBeNull();
    expect(h.redo()).toEqual(at(1));
    expect(h.redo()).toEqual(at(2));
    expect(h.redo()).toBeNull();
  });

  it('clears redo on a new edit', () => {
    const h = new History(new VersionCounter());
    h.record('a', at(0), at(1));
    h.record('b', at(1), at(2));
    h.undo();
    h.record('c', at(1), at(5));
    expect(h.canRedo).toBe(false);
    expect(h.undo()).toEqual(at(1));
    expect(h.undo()).toEqual(at(0));
  });

  it('keeps no limit on the number of steps', () => {
    const h = new History(new VersionCounter());
    const steps = 5000;
    for (let i = 0; i < steps; i += 1) h.record('step', at(i), at(i + 1));
    let undone = 0;
    while (h.undo()) undone += 1;
    expect(undone).toBe(steps);
  });

  it('names each state with a version that comes back on undo/redo', () => {
    const versions = new VersionCounter();
    const h = new History(versions);
    const base = h.version;
    h.record('a', at(0), at(1));
    const afterA = h.version;
    expect(afterA).not.toBe(base);
    h.undo();
    expect(h.version).toBe(base);
    h.redo();
    expect(h.version).toBe(afterA);
    // Another history from the same counter never reuses a version.
    const other = new History(versions);
    expect([base, afterA]).not.toContain(other.version);
    h.clear();
    expect([base, afterA]).not.toContain(h.version);
    expect(h.expected).toBeNull();
  });
});

describe('History: what the menu can offer', () => {
  it('offers redo only after an undo, and no longer once it is redone', () => {
    const h = new History(new VersionCounter());
    h.record('move a', at(0), at(1));
    expect(h.canRedo).toBe(false);
    h.undo();
    expect(h.canRedo).toBe(true);
    h.redo();
    expect(h.canRedo).toBe(false);
  });
});
