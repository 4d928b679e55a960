/**
 * A person's word over the detector's: images curation flagged as showing no face (or a tiny one)
 * that a person says do show a face lose those flags, so pre-training and pre-labelling take them
 * again. An image with no face box gets the whole image as its box (the labeller fits its view to
 * it; a label placed later gives the true one). A near-duplicate flag is another matter and stays.
 */
import type { ImageRecord } from '../../shared/domain';
import type { ProjectStore } from '../project-store';

type Flag = NonNullable<ImageRecord['flags']>[number];

/** The flags a person's "it is a face" answers. */
const ANSWERED: ReadonlySet<Flag> = new Set<Flag>(['no-face', 'tiny-face']);

/** The record as kept: without the face flags, with a face box; the same record when unchanged. */
export function keptAsFace(record: ImageRecord): ImageRecord {
  const flags = record.flags ?? [];
  const remaining = flags.filter((flag) => !ANSWERED.has(flag));
  if (remaining.length === flags.length && record.face) return record;
  const whole = { x: 0, y: 0, width: record.width, height: record.height };
  const { flags: _flags, ...rest } = record;
  return {
    ...rest,
    face: record.face ?? { box: whole, crop: whole, score: 0 },
    ...(remaining.length > 0 ? { flags: remaining } : {}),
  };
}

/** Keeps the given images as faces; returns how many records changed. Unknown ids are skipped. */
export async function keepFaces(store: ProjectStore, imageIds: readonly string[]): Promise<number> {
  const changed: ImageRecord[] = [];
  for (const id of new Set(imageIds)) {
    const record = store.getImage(id);
    if (!record) continue;
    const kept = keptAsFace(record);
    if (kept !== record) changed.push(kept);
  }
  if (changed.length > 0) await store.putImages(changed);
  return changed.length;
}
