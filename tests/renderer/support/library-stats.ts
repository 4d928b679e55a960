/** Library stats for store tests: the given counts, and nothing flagged, curated or missing. */
import { emptyLibraryStats, type LibraryStats } from '$shared/library';

export function libraryStats(
  counts: Pick<LibraryStats, 'total' | 'splits' | 'labelled'>,
): LibraryStats {
  return { ...emptyLibraryStats(), ...counts };
}
