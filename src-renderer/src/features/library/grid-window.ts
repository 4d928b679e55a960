/**
 * The thumbnail grid's virtualisation, as pure arithmetic: which rows are on screen (plus a few
 * above and below), which items they hold, how tall the whole scroll area is, and which pages of
 * `library:list` cover them. Only those rows are rendered, so the grid costs the same at 100 or
 * 100,000 images.
 */

export interface GridInput {
  /** Inner width of the scroll area, px. */
  width: number;
  /** Visible height of the scroll area, px. */
  viewportHeight: number;
  scrollTop: number;
  /** Items matching the filter. */
  total: number;
  /** Cell width and height, px (the caption is inside the cell). */
  cellWidth: number;
  cellHeight: number;
  /** Space between cells, px. */
  gap: number;
  /** Rows rendered beyond each edge, so a quick scroll does not show blanks. */
  overscanRows: number;
}

export interface GridWindow {
  columns: number;
  rowHeight: number;
  totalRows: number;
  /** Height of the whole (mostly empty) scroll content, px. */
  totalHeight: number;
  firstRow: number;
  /** One past the last rendered row. */
  endRow: number;
  firstIndex: number;
  /** One past the last rendered item. */
  endIndex: number;
  /** The items of the rows in view, without the rows beyond the edges: [first, end). */
  firstVisibleIndex: number;
  endVisibleIndex: number;
  /** Where the first rendered row sits, px from the top. */
  offsetY: number;
}

export function gridWindow(input: GridInput): GridWindow {
  const { gap, total } = input;
  const columns = Math.max(1, Math.floor((input.width + gap) / (input.cellWidth + gap)));
  const rowHeight = input.cellHeight + gap;
  const totalRows = Math.ceil(total / columns);
  const scrollTop = Math.max(0, input.scrollTop);
  const firstVisible = Math.floor(scrollTop / rowHeight);
  const endVisible = Math.ceil((scrollTop + Math.max(0, input.viewportHeight)) / rowHeight);
  const firstRow = Math.min(totalRows, Math.max(0, firstVisible - input.overscanRows));
  const endRow = Math.min(totalRows, Math.max(firstRow, endVisible + input.overscanRows));
  return {
    columns,
    rowHeight,
    totalRows,
    totalHeight: totalRows * rowHeight,
    firstRow,
    endRow,
    firstIndex: firstRow * columns,
    endIndex: Math.min(total, endRow * columns),
    firstVisibleIndex: Math.min(total, firstVisible * columns),
    endVisibleIndex: Math.min(total, endVisible * columns),
    offsetY: firstRow * rowHeight,
  };
}

/** The page numbers (offset = page · pageSize) that hold items [first, end). */
export function pagesCovering(first: number, end: number, pageSize: number): number[] {
  if (end <= first) return [];
  const pages: number[] = [];
  for (let page = Math.floor(first / pageSize); page * pageSize < end; page += 1) pages.push(page);
  return pages;
}

/** The scrollTop that brings row `row` into view, or null when it is already visible. */
export function scrollToShow(
  row: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
): number | null {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return null;
}
