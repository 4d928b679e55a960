/** Library stats for store tests: the given counts, and nothing flagged, curated or missing. */
import type { LibraryStats } from '$shared/library';

export function libraryStats(
  counts: Pick<LibraryStats, 'total' | 'splits' | 'labelled'>,
): LibraryStats {
  return {
    ...counts,
    needsReview: 0,
    flagged: 0,
    noFace: 0,
    curated: 0,
    expressions: {},
    missing: null,
  };
}
