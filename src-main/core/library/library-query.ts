/**
 * The library grid's query and counts as a scan: filter the image index by split, labels,
 * curation and text, then page it; count what the header shows. Pure over the records and labels.
 * The app answers from the store's index (library-index.ts), which must give exactly these
 * answers: this scan is the reference its tests compare it with, over random edits.
 */
import type { FaceAnnotation, ImageRecord } from '../../shared/domain';
import { emptyLibraryStats } from '../../shared/library';
import type { LibraryFilter, LibraryItem, LibraryStats } from '../../shared/library';
import { faceState } from '../../shared/point-provenance';

const NONE: ReadonlySet<string> = new Set();

export interface LibraryPage {
  total: number;
  items: LibraryItem[];
}

/**
 * Whether an image passes the filter. `missing` holds the ids the last check of the files did not
 * find (an empty set when none has run).
 */
export function matchesFilter(
  image: ImageRecord,
  face: FaceAnnotation | null,
  filter: LibraryFilter,
  missing: ReadonlySet<string> = NONE,
): boolean {
  if (filter.split !== undefined && image.split !== filter.split) return false;
  if (filter.labelled !== undefined && isLabelled(face) !== filter.labelled) return false;
  if (filter.needsReview !== undefined && needsReview(face) !== filter.needsReview) return false;
  if (filter.hasFace !== undefined && (image.face != null) !== filter.hasFace) return false;
  if (filter.flagged !== undefined && (image.flags?.length ?? 0) > 0 !== filter.flagged) {
    return false;
  }
  if (filter.expression !== undefined && face?.expression !== filter.expression) return false;
  if (filter.attribute !== undefined) {
    if (face?.attributes[filter.attribute.name] !== filter.attribute.value) return false;
  }
  if (filter.missing !== undefined && missing.has(image.id) !== filter.missing) return false;
  if (filter.text !== undefined && filter.text !== '') {
    const text = filter.text.toLowerCase();
    const source = image.source?.toLowerCase() ?? '';
    if (!image.path.toLowerCase().includes(text) && !source.includes(text)) return false;
  }
  return true;
}

/**
 * A face counts as labelled once a point is placed or an attribute or expression is set, and no
 * placed point is a model's or template's guess still waiting for a person (see
 * shared/point-provenance.ts).
 */
export function isLabelled(face: FaceAnnotation | null): boolean {
  return faceState(face) === 'labelled';
}

/** A face with placed points no person has confirmed yet. */
export function needsReview(face: FaceAnnotation | null): boolean {
  return faceState(face) === 'needs-review';
}

export function queryLibrary(
  images: readonly ImageRecord[],
  faceOf: (imageId: string) => FaceAnnotation | null,
  filter: LibraryFilter,
  offset: number,
  limit: number,
  missing: ReadonlySet<string> = NONE,
): LibraryPage {
  const items: LibraryItem[] = [];
  let total = 0;
  for (const [position, image] of images.entries()) {
    const face = faceOf(image.id);
    if (!matchesFilter(image, face, filter, missing)) continue;
    if (total >= offset && items.length < limit) {
      const state = faceState(face);
      items.push({
        ...image,
        position,
        labelled: state === 'labelled',
        needsReview: state === 'needs-review',
        expression: face?.expression ?? null,
        ...(missing.has(image.id) ? { missing: true } : {}),
      });
    }
    total += 1;
  }
  return { total, items };
}

/** The library's header counted image by image; `missing` as in libraryStats. */
export function scanLibraryStats(
  images: readonly ImageRecord[],
  faceOf: (imageId: string) => FaceAnnotation | null,
  missing: ReadonlySet<string> | null,
): LibraryStats {
  const stats = emptyLibraryStats();
  let missingCount = 0;
  for (const image of images) {
    if (missing?.has(image.id)) missingCount += 1;
    stats.total += 1;
    stats.splits[image.split] += 1;
    if ((image.flags?.length ?? 0) > 0) stats.flagged += 1;
    if (image.face !== undefined) stats.curated += 1;
    if (image.face === null || image.flags?.includes('no-face')) stats.noFace += 1;
    const face = faceOf(image.id);
    if (isLabelled(face)) stats.labelled += 1;
    if (needsReview(face)) stats.needsReview += 1;
    if (face?.expression) {
      stats.expressions[face.expression] = (stats.expressions[face.expression] ?? 0) + 1;
    }
  }
  stats.missing = missing === null ? null : missingCount;
  return stats;
}
