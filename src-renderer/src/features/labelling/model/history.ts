/**
 * Undo/redo for one image's face, without a limit. Snapshot-based: an edit records the point
 * array before and after it. A face holds at most ~100 points of four fields, so a snapshot is
 * a few kilobytes and far simpler to keep correct than inverse commands; and because the model
 * replaces its point array whole on every edit, the snapshots share nothing mutable.
 *
 * One entry is one undo step: the model records a drag once at its end and a group move once,
 * however many points or pointer events it took.
 *
 * Every state the history can return to carries a `version` number, unique across all histories
 * of a model, so "is what I saved still what is shown?" is one comparison (see `CanvasModel`).
 */
import type { Landmark } from '$shared/domain';

export type PointsSnapshot = readonly Landmark[];

/** What the edit was, in the user's words: shown as "Undo move point 12". */
export type EditLabel = string;

export interface HistoryEntry {
  label: EditLabel;
  before: PointsSnapshot;
  after: PointsSnapshot;
  /** Version of the state after this edit. */
  version: number;
}

/** Hands out versions; one per model so that versions from two images never collide. */
export class VersionCounter {
  #last = 0;
  next(): number {
    this.#last += 1;
    return this.#last;
  }
}

export class History {
  readonly #versions: VersionCounter;
  #entries: HistoryEntry[] = [];
  /** Entries before the cursor are applied; from the cursor on, they can be redone. */
  #cursor = 0;
  /** Version of the state before the first entry (the face as loaded). */
  #baseVersion: number;

  constructor(versions: VersionCounter) {
    this.#versions = versions;
    this.#baseVersion = versions.next();
  }

  get canUndo(): boolean {
    return this.#cursor > 0;
  }

  get canRedo(): boolean {
    return this.#cursor < this.#entries.length;
  }

  /** Version of the state the applied entries lead to. */
  get version(): number {
    return this.#entries[this.#cursor - 1]?.version ?? this.#baseVersion;
  }

  /** Label of the step `undo` would revert, for the menu item; null when there is none. */
  get undoLabel(): EditLabel | null {
    return this.#entries[this.#cursor - 1]?.label ?? null;
  }

  get redoLabel(): EditLabel | null {
    return this.#entries[this.#cursor]?.label ?? null;
  }

  /**
   * The points this history expects to be shown now, or null when it holds no edit. Used to
   * drop a history whose face was changed elsewhere (reloaded from disk, pre-labelled).
   */
  get expected(): PointsSnapshot | null {
    const applied = this.#entries[this.#cursor - 1];
    if (applied) return applied.after;
    return this.#entries[0]?.before ?? null;
  }

  /** Records an applied edit; drops the redo branch, as every editor does. */
  record(label: EditLabel, before: PointsSnapshot, after: PointsSnapshot): HistoryEntry {
    const entry: HistoryEntry = { label, before, after, version: this.#versions.next() };
    this.#entries.length = this.#cursor;
    this.#entries.push(entry);
    this.#cursor = this.#entries.length;
    return entry;
  }

  /** Steps back; returns the points to show, or null when there is nothing to undo. */
  undo(): PointsSnapshot | null {
    const entry = this.#entries[this.#cursor - 1];
    if (!entry) return null;
    this.#cursor -= 1;
    return entry.before;
  }

  redo(): PointsSnapshot | null {
    const entry = this.#entries[this.#cursor];
    if (!entry) return null;
    this.#cursor += 1;
    return entry.after;
  }

  /** Forgets every step; the current state gets a fresh version. */
  clear(): void {
    this.#entries = [];
    this.#cursor = 0;
    this.#baseVersion = this.#versions.next();
  }
}
