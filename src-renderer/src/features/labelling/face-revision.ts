/**
 * Which revision of a face the labeller shows, and what it does when the studio reports faces
 * written elsewhere (another window or tab, an import, pre-labelling). Every save names the
 * revision it edited; the studio refuses it as a `conflict` when the face has moved on. Pure, so
 * the rules are unit-tested without a page.
 */
import type { EventPayload } from '$shared/ipc-contract';

/** Shown after the labeller threw away an edit because the face changed elsewhere. */
export const CONFLICT_MESSAGE =
  'This face was changed in another window; your unsaved change was not saved — reloaded';

export type FaceChanges = EventPayload<'labels:changed'>['faces'];

/** The face on screen: its image, the revision it was read at (null: none stored), and edits. */
export interface ShownFace {
  imageId: string;
  revision: number | null;
  /** Edits not yet saved (or being saved). */
  dirty: boolean;
}

/**
 * `ignore`: the change is not to the face shown, or is one this window already holds (its own
 * save); `reload`: show the newer face; `conflict`: the same, but unsaved edits are lost, so say so.
 */
export type ChangeReaction = 'ignore' | 'reload' | 'conflict';

export function reactToChanges(shown: ShownFace | null, changes: FaceChanges): ChangeReaction {
  if (!shown) return 'ignore';
  const held = shown.revision ?? 0;
  const newer = changes.some((c) => c.imageId === shown.imageId && c.revision > held);
  if (!newer) return 'ignore';
  return shown.dirty ? 'conflict' : 'reload';
}
