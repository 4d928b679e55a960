/**
 * What a library tile says about its image in words (never colour alone): the state of its
 * labels, and why curation flagged it. The grid shows both on the tile; screen readers read them.
 */
import type { LibraryItem } from '$shared/library';

export type LabelBadge = { state: 'labelled' | 'needs-review' | 'unlabelled'; text: string };

export function labelBadge(item: Pick<LibraryItem, 'labelled' | 'needsReview'>): LabelBadge {
  if (item.needsReview) return { state: 'needs-review', text: 'Needs review' };
  if (item.labelled) return { state: 'labelled', text: 'Labelled' };
  return { state: 'unlabelled', text: 'Unlabelled' };
}

type Flag = NonNullable<LibraryItem['flags']>[number];

const FLAG_REASONS: Record<Flag, string> = {
  'no-face': 'No face found',
  'tiny-face': 'Face too small',
  'near-duplicate': 'Near-duplicate',
};

/** Why the image was flagged, one reason per flag, in the flags' order. */
export function flagReasons(item: Pick<LibraryItem, 'flags'>): string[] {
  return (item.flags ?? []).map((flag) => FLAG_REASONS[flag]);
}

/** Whether a person can answer the flag with "it is a face" (no face, or too small). */
export function canKeepAsFace(item: Pick<LibraryItem, 'flags'>): boolean {
  return (item.flags ?? []).some((flag) => flag === 'no-face' || flag === 'tiny-face');
}
