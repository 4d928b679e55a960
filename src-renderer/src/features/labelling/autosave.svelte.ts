/**
 * The labeller's one autosaver: one debounce and one record of what was saved. A face is dirty
 * while what is shown differs from what was last read or saved: another image, another points
 * version (the canvas model's: undo back to the saved points is clean again) or other details
 * (attributes, expression, note; each change makes a new object). The studio's store batches its
 * own disk writes; this only waits for a quiet spell so a burst of edits is one request.
 *
 * Other windows: each save names the revision of the face it edited (see face-revision.ts). When
 * the face shown is saved elsewhere (`labels:changed`) it is reloaded; if this window had unsaved
 * edits, or its save is refused as stale (`conflict`), those edits are dropped and `conflict`
 * says so. Changes reported during a drag or pan are judged when it ends (no face loads
 * mid-gesture).
 */
import type { FaceAnnotation } from '$shared/domain';
import { StudioRequestError } from '../../lib/api';
import { toAnnotation, type FaceDetails } from './face-draft';
import { CONFLICT_MESSAGE, reactToChanges, type FaceChanges } from './face-revision';
import type { FaceRecord } from './model/face-record';

export type SaveState = 'saved' | 'unsaved' | 'saving' | 'failed';

/** Quiet time after the last edit before it is saved: one request per burst of edits. */
export const AUTOSAVE_MS = 400;

/** The face on screen as the autosaver reads it. */
export interface EditedFace {
  face: FaceRecord;
  /** The canvas model's version of these points. */
  pointsVersion: number;
  details: FaceDetails;
}

export interface AutosaveHooks {
  /** The face shown now, or null before one is. */
  read(): EditedFace | null;
  /** Sends the face (`labels:save`); rejects with a `conflict` StudioRequestError when stale. */
  write(
    face: Omit<FaceAnnotation, 'revision'>,
    baseRevision: number | null,
  ): Promise<{ revision: number }>;
  /** Shows the stored face of the image on screen again; false when that failed. */
  reload(): Promise<boolean>;
  /** A drag or pan is under way. */
  gesturing(): boolean;
  /** A save of the face shown is durable. */
  saved?(face: Omit<FaceAnnotation, 'revision'>): void;
}

/** What was last read or saved: the image, its points version and its details. */
interface Baseline {
  imageId: string;
  pointsVersion: number;
  details: FaceDetails;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Autosaver {
  state = $state<SaveState>('saved');
  /** Why the last save failed; null once one succeeds. */
  error = $state<string | null>(null);
  /** Set when this window's edits were dropped because the face was saved elsewhere. */
  conflict = $state<string | null>(null);

  readonly #hooks: AutosaveHooks;
  readonly #delayMs: number;
  #baseline: Baseline | null = null;
  /** The revision of the face shown, as read or as this window's last save made it; null: none. */
  #revision: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #saving: Promise<void> | null = null;
  #changesDuringGesture: FaceChanges | null = null;

  constructor(hooks: AutosaveHooks, delayMs = AUTOSAVE_MS) {
    this.#hooks = hooks;
    this.#delayMs = delayMs;
  }

  get dirty(): boolean {
    const shown = this.#hooks.read();
    const base = this.#baseline;
    if (!shown) return false;
    return (
      !base ||
      base.imageId !== shown.face.imageId ||
      base.pointsVersion !== shown.pointsVersion ||
      base.details !== shown.details
    );
  }

  /** The face shown was just read as stored, at `revision` (null: nothing stored). */
  loaded(revision: number | null): void {
    this.#cancelTimer();
    this.#baseline = this.#stamp();
    this.#revision = revision;
    this.#changesDuringGesture = null;
    this.#refresh();
  }

  /** Something shown changed: save it after a quiet spell (or say it is saved, after an undo). */
  edited(): void {
    this.#refresh();
    if (this.dirty) this.#schedule();
  }

  /** Saves the face now if it changed; resolves once it is durable (or failed: see `error`). */
  async save(): Promise<void> {
    this.#cancelTimer();
    if (this.#saving) await this.#saving;
    const shown = this.#hooks.read();
    if (!shown || !this.dirty) return;
    const stamp = this.#stamp();
    const annotation = toAnnotation(shown.face, shown.details);
    let stale = false;
    this.#saving = (async () => {
      try {
        const saved = await this.#hooks.write(annotation, this.#revision);
        // The next save edits this revision (a save waits for the one before it).
        if (this.#hooks.read()?.face.imageId === annotation.imageId) {
          this.#revision = saved.revision;
          this.#baseline = stamp;
          this.#hooks.saved?.(annotation);
        }
        this.error = null;
        this.conflict = null;
      } catch (error) {
        if (error instanceof StudioRequestError && error.code === 'conflict') stale = true;
        else this.error = `Not saved: ${message(error)}`;
      } finally {
        this.#saving = null;
      }
    })();
    this.#refresh();
    await this.#saving;
    if (stale) {
      // Saved elsewhere since this window read it: show what is stored, and say the edit is gone.
      await this.#reload(true);
      return;
    }
    this.#refresh();
    // Edits made while the save was in flight get their own save.
    if (this.dirty && !this.error) this.#schedule();
  }

  /** Faces were saved elsewhere (`labels:changed`): reload the one shown if it moved on. */
  async facesChanged(changes: FaceChanges): Promise<void> {
    const shownId = this.#hooks.read()?.face.imageId;
    if (!shownId || !changes.some((c) => c.imageId === shownId)) return;
    // This window's own save is reported as it answers, maybe first: judge after the answer.
    if (this.#saving) await this.#saving;
    const imageId = this.#hooks.read()?.face.imageId;
    if (imageId !== shownId) return;
    if (this.#hooks.gesturing()) {
      this.#changesDuringGesture = [...(this.#changesDuringGesture ?? []), ...changes];
      return;
    }
    const reaction = reactToChanges(
      { imageId, revision: this.#revision, dirty: this.dirty },
      changes,
    );
    if (reaction !== 'ignore') await this.#reload(reaction === 'conflict');
  }

  /** A drag or pan ended: judge what was saved elsewhere meanwhile. */
  gestureEnded(): void {
    const changes = this.#changesDuringGesture;
    if (!changes || this.#hooks.gesturing()) return;
    this.#changesDuringGesture = null;
    void this.facesChanged(changes);
  }

  /** Stops the pending timer (the labeller is going away; `save` first to keep the edits). */
  dispose(): void {
    this.#cancelTimer();
  }

  async #reload(conflict: boolean): Promise<void> {
    this.#cancelTimer();
    if ((await this.#hooks.reload()) && conflict) this.conflict = CONFLICT_MESSAGE;
  }

  #stamp(): Baseline | null {
    const shown = this.#hooks.read();
    return shown
      ? { imageId: shown.face.imageId, pointsVersion: shown.pointsVersion, details: shown.details }
      : null;
  }

  #schedule(): void {
    this.#cancelTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.save();
    }, this.#delayMs);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #refresh(): void {
    if (this.#saving) this.state = 'saving';
    else if (this.error) this.state = 'failed';
    else this.state = this.dirty ? 'unsaved' : 'saved';
  }
}
