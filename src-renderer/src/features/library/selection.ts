/**
 * Multi-select as in a file manager: a click selects one item, ctrl/cmd-click toggles one,
 * shift-click selects the range from the anchor (the last plain or ctrl click) to here, and
 * ctrl+shift adds that range to what was selected. Pure over item positions, so it is tested
 * without a DOM; ids come from whatever pages are loaded.
 */

export interface Selection {
  ids: ReadonlySet<string>;
  /** Position of the last plain or ctrl click, where a shift-click range starts. */
  anchor: number | null;
}

export interface ClickModifiers {
  shift: boolean;
  /** Ctrl, or Cmd on a Mac. */
  toggle: boolean;
}

export const EMPTY_SELECTION: Selection = { ids: new Set(), anchor: null };

/**
 * The selection after clicking item `index` (id `id`). `idAt` gives the id at a position, or
 * undefined for one not loaded (it is skipped).
 */
export function clickSelect(
  selection: Selection,
  index: number,
  id: string,
  modifiers: ClickModifiers,
  idAt: (index: number) => string | undefined,
): Selection {
  if (modifiers.shift && selection.anchor !== null) {
    const from = Math.min(selection.anchor, index);
    const to = Math.max(selection.anchor, index);
    const ids = new Set(modifiers.toggle ? selection.ids : []);
    for (let i = from; i <= to; i += 1) {
      const at = i === index ? id : idAt(i);
      if (at !== undefined) ids.add(at);
    }
    return { ids, anchor: selection.anchor };
  }
  if (modifiers.toggle) {
    const ids = new Set(selection.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: index };
  }
  return { ids: new Set([id]), anchor: index };
}
