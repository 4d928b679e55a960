/**
 * Face-aware curation (docs/ARCHITECTURE.md, "Data flows") of imported images: detects the
 * face in each, stores its box and training crop on the record, and flags images with no face, a
 * tiny face, or a near-duplicate kept elsewhere. Returns updated ImageRecords for the project store
 * to persist; flags are advice (pre-training skips flagged images), nothing is deleted.
 */
import { isAbsolute, join } from 'node:path';
import type { ImageRecord } from '../../shared/domain';
import type { FaceDetector } from './face-detect';
import { ImageRejected } from './image-rejected';
import { openImage, rejectionFromSharp } from './image-source';
import type { ImportFailure } from './import-images';
import { dHash, DEFAULT_NEAR_DUPLICATE_DISTANCE, groupNearDuplicates } from './near-duplicates';

export interface CurateOptions {
  detector: FaceDetector;
  /** Resolves relative record paths. */
  projectDir?: string;
  /** dHash bits that may differ between near-duplicates; default 5. */
  nearDuplicateDistance?: number;
  pixelLimit?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
  /** Called once detection is over, before near-duplicates are looked for among `images`. */
  onNearDuplicates?: (images: number) => void;
  signal?: AbortSignal;
}

export interface CurateResult {
  /** Every input record, in input order; those curated carry `face` and `flags`. */
  records: ImageRecord[];
  /** Near-duplicate groups of ids; the first id of each is the one kept (largest image). */
  nearDuplicateGroups: string[][];
  failed: ImportFailure[];
  cancelled: boolean;
}

type Flag = NonNullable<ImageRecord['flags']>[number];

export async function curateImages(
  records: readonly ImageRecord[],
  options: CurateOptions,
): Promise<CurateResult> {
  const { detector, signal } = options;
  const out = [...records];
  const hashes: { id: string; hash: string }[] = [];
  const failed: ImportFailure[] = [];
  const curated = new Set<number>();
  for (const [index, record] of records.entries()) {
    if (signal?.aborted) break;
    const path =
      options.projectDir && !isAbsolute(record.path)
        ? join(options.projectDir, record.path)
        : record.path;
    try {
      const image = await openImage(
        path,
        options.pixelLimit ? { pixelLimit: options.pixelLimit } : {},
      );
      try {
        const finding = await detector.detect(image);
        hashes.push({ id: record.id, hash: await dHash(image.pipeline()) });
        out[index] = { ...record, face: finding.face, flags: finding.flags };
        curated.add(index);
      } catch (error) {
        throw rejectionFromSharp(path, image.format, error);
      }
    } catch (error) {
      const rejection =
        error instanceof ImageRejected ? error : rejectionFromSharp(path, 'jpeg', error);
      failed.push({ path, reason: rejection.reason, message: rejection.message });
    }
    options.onProgress?.({ done: index + 1, total: records.length });
  }

  if (!signal?.aborted) options.onNearDuplicates?.(hashes.length);
  const pixels = new Map(records.map((r) => [r.id, r.width * r.height]));
  const groups = groupNearDuplicates(
    hashes,
    options.nearDuplicateDistance ?? DEFAULT_NEAR_DUPLICATE_DISTANCE,
  ).map(
    // Keep the largest image of each group (the first in input order on a tie).
    (group) => [...group].sort((a, b) => (pixels.get(b) ?? 0) - (pixels.get(a) ?? 0)),
  );
  const dropped = new Set(groups.flatMap((group) => group.slice(1)));
  for (const index of curated) {
    const record = out[index];
    if (record && dropped.has(record.id)) {
      const flags: Flag[] = [...(record.flags ?? []), 'near-duplicate'];
      out[index] = { ...record, flags };
    }
  }
  return { records: out, nearDuplicateGroups: groups, failed, cancelled: signal?.aborted ?? false };
}
