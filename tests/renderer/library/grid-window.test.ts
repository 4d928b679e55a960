/**
 * The thumbnail grid's virtualisation: at 100,000 items only the rows on screen (plus overscan)
 * are rendered, the scroll height holds every row, and the pages fetched cover exactly those.
 */
import { describe, expect, it } from 'vitest';
import {
  gridWindow,
  pagesCovering,
  scrollToShow,
} from '../../../src-renderer/src/features/library/grid-window';
import { clickSelect, EMPTY_SELECTION } from '../../../src-renderer/src/features/library/selection';

const BASE = {
  width: 1000,
  viewportHeight: 600,
  scrollTop: 0,
  total: 100_000,
  cellWidth: 136,
  cellHeight: 160,
  gap: 8,
  overscanRows: 3,
};

describe('gridWindow', () => {
  it('fits as many columns as the width holds and renders only visible rows at 100,000 items', () => {
    const view = gridWindow(BASE);
    // 6 cells of 136 px and 5 gaps of 8 px = 856 px ≤ 1000; 7 would need 1000 + 8.
    expect(view.columns).toBe(Math.floor((1000 + 8) / (136 + 8)));
    expect(view.totalRows).toBe(Math.ceil(100_000 / view.columns));
    expect(view.totalHeight).toBe(view.totalRows * 168);
    expect(view.firstIndex).toBe(0);
    const visibleRows = Math.ceil(600 / 168);
    expect(view.endRow).toBe(visibleRows + 3);
    expect(view.endIndex - view.firstIndex).toBeLessThanOrEqual((visibleRows + 6) * view.columns);
  });

  it('moves the window with the scroll position, overscan on both sides', () => {
    const scrollTop = 168 * 5000 + 40;
    const view = gridWindow({ ...BASE, scrollTop });
    expect(view.firstRow).toBe(5000 - 3);
    expect(view.offsetY).toBe(view.firstRow * 168);
    expect(view.firstIndex).toBe(view.firstRow * view.columns);
    expect(view.endRow).toBe(Math.ceil((scrollTop + 600) / 168) + 3);
  });

  it('tells the items of the rows in view apart from the overscan around them', () => {
    const scrollTop = 168 * 5000 + 40;
    const view = gridWindow({ ...BASE, scrollTop });
    // Rows 5000 (partly scrolled off) to 5003 (its top 560 px below the view's top) are in view.
    expect(view.firstVisibleIndex).toBe(5000 * view.columns);
    expect(view.endVisibleIndex).toBe(5004 * view.columns);
    expect(view.firstIndex).toBeLessThan(view.firstVisibleIndex);
    expect(view.endIndex).toBeGreaterThan(view.endVisibleIndex);
    const end = gridWindow({ ...BASE, scrollTop: 10_000_000 });
    expect(end.endVisibleIndex).toBe(100_000);
  });

  it('clamps at the end, for an empty list and for a width narrower than one cell', () => {
    const end = gridWindow({ ...BASE, scrollTop: 10_000_000 });
    expect(end.endIndex).toBe(100_000);
    expect(end.endRow).toBe(end.totalRows);
    const empty = gridWindow({ ...BASE, total: 0 });
    expect(empty).toMatchObject({ totalHeight: 0, firstIndex: 0, endIndex: 0 });
    expect(gridWindow({ ...BASE, width: 50 }).columns).toBe(1);
  });
});

describe('pagesCovering and scrollToShow', () => {
  it('lists the pages that hold a range', () => {
    expect(pagesCovering(0, 1, 200)).toEqual([0]);
    expect(pagesCovering(199, 201, 200)).toEqual([0, 1]);
    expect(pagesCovering(30_000, 30_054, 200)).toEqual([150]);
    expect(pagesCovering(5, 5, 200)).toEqual([]);
  });

  it('scrolls only when the row is off screen', () => {
    expect(scrollToShow(0, 168, 0, 600)).toBeNull();
    expect(scrollToShow(10, 168, 0, 600)).toBe(11 * 168 - 600);
    expect(scrollToShow(2, 168, 1000, 600)).toBe(336);
  });
});

describe('clickSelect', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const idAt = (i: number) => ids[i];

  it('selects one on a click, toggles on ctrl, selects a range on shift', () => {
    let s = clickSelect(EMPTY_SELECTION, 1, 'b', { shift: false, toggle: false }, idAt);
    expect([...s.ids]).toEqual(['b']);
    s = clickSelect(s, 3, 'd', { shift: false, toggle: true }, idAt);
    expect([...s.ids].sort()).toEqual(['b', 'd']);
    s = clickSelect(s, 1, 'b', { shift: false, toggle: true }, idAt);
    expect([...s.ids]).toEqual(['d']);
    // The anchor is the last ctrl-click (b); shift replaces the selection with the range.
    s = clickSelect(s, 0, 'a', { shift: true, toggle: false }, idAt);
    expect([...s.ids].sort()).toEqual(['a', 'b']);
    expect(s.anchor).toBe(1);
    // ctrl+shift adds the range b..d to it.
    s = clickSelect(s, 3, 'd', { shift: true, toggle: true }, idAt);
    expect([...s.ids].sort()).toEqual(['a', 'b', 'c', 'd']);
    s = clickSelect(s, 4, 'e', { shift: false, toggle: false }, idAt);
    expect([...s.ids]).toEqual(['e']);
  });
});
