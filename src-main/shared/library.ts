/**
 * The library's domain types: which images a view shows, what an import reads and where it
 * leaves the files, how far a running import is, what it did with each face, and the counts in
 * the library's header. Both the IPC contract and core use them. No Node or Electron imports.
 */
import { z } from 'zod';
import { ImageRecord, Split } from './domain';

const Count = z.number().int().nonnegative();

/** Which images the library grid and the labeller's navigation show; every field narrows. */
export const LibraryFilter = z
  .object({
    split: Split.optional(),
    /** Labelled: every placed point confirmed by a person (or attributes / expression set). */
    labelled: z.boolean().optional(),
    /** Has placed points a model or template put there that no person has confirmed yet. */
    needsReview: z.boolean().optional(),
    hasFace: z.boolean().optional(),
    flagged: z.boolean().optional(),
    expression: z.string().max(100).optional(),
    attribute: z
      .object({ name: z.string().max(100), value: z.boolean() })
      .strict()
      .optional(),
    /** Case-insensitive substring of the image path (or, for a copy, of where it came from). */
    text: z.string().max(200).optional(),
    /** Images whose file could not be found at the last check (`library:checkFiles`). */
    missing: z.boolean().optional(),
  })
  .strict();
export type LibraryFilter = z.infer<typeof LibraryFilter>;

/** One grid cell: the image record plus what the labels say about it. */
export const LibraryItem = ImageRecord.extend({
  /**
   * The image's place in the unfiltered library order (0-based), whatever the filter: the
   * labeller steps through that order, so a filtered grid opens an image there without a scan.
   */
  position: z.number().int().nonnegative(),
  labelled: z.boolean(),
  needsReview: z.boolean(),
  expression: z.string().nullable(),
  /** Set when the last check of the files did not find this image's file. */
  missing: z.boolean().optional(),
});
export type LibraryItem = z.infer<typeof LibraryItem>;

/**
 * What an import reads: plain images, or a labelled set in one of the formats (each has its
 * module in core/formats, listed in core/formats/registry.ts, which says where its files are
 * looked for).
 */
export const ImportFormat = z.enum([
  'images',
  'pts',
  'coco',
  'mtfl',
  'celeba',
  'dlib',
  'yolo',
  'class-folders',
  'studio',
]);
export type ImportFormat = z.infer<typeof ImportFormat>;

/**
 * Where an import leaves the images: `copy` puts each file into the project (`images/`, named by
 * its content hash), so the project survives the source folder moving; `reference` keeps the
 * path of the file where it is (no extra disk, for large sets; the project loses the image if
 * the folder moves).
 */
export const ImportPlacement = z.enum(['copy', 'reference']);
export type ImportPlacement = z.infer<typeof ImportPlacement>;
export const ExportFormat = ImportFormat.exclude(['images']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const SplitFractions = z
  .object({
    train: z.number().min(0).max(1),
    val: z.number().min(0).max(1),
    test: z.number().min(0).max(1),
  })
  .strict()
  .refine((f) => f.train + f.val + f.test <= 1 + 1e-9, 'the fractions add up to more than 1');
export type SplitFractions = z.infer<typeof SplitFractions>;

/**
 * Where a running import is, in its order: finding the files, reading and checking a labelled
 * set, hashing and decoding the images (and making their thumbnails), detecting faces and then
 * looking for near-duplicates (curation), copying the images into the project, then writing the
 * project. Nothing reaches the project before `copying`; face detection alone (`library:curate`)
 * runs `detecting`, `near-duplicates` and `writing`.
 */
export const ImportStage = z.enum([
  'scanning',
  'validating',
  'importing',
  'detecting',
  'near-duplicates',
  'copying',
  'writing',
]);
export type ImportStage = z.infer<typeof ImportStage>;

/**
 * What a library job does: an import (and what it was asked to do) or face detection on its own.
 * Its stages (`stagesOf`) are the ones the studio reports and the Library's dialogs list.
 */
export type JobPlan =
  { kind: 'import'; labelled: boolean; curate: boolean; copy: boolean } | { kind: 'curate' };

/** The stages a job goes through, in order. */
export function stagesOf(plan: JobPlan): ImportStage[] {
  if (plan.kind === 'curate') return ['detecting', 'near-duplicates', 'writing'];
  return [
    'scanning',
    ...(plan.labelled ? (['validating'] as const) : []),
    'importing',
    ...(plan.curate ? (['detecting', 'near-duplicates'] as const) : []),
    ...(plan.copy ? (['copying'] as const) : []),
    'writing',
  ];
}

/**
 * What a labelled import did with each face the set holds: new in the project, the same as
 * stored, kept as stored because it differs from the file (the user's edits win), or replaced
 * by the file's labels (asked for with `overwriteLabels`).
 */
export const ImportFaceCounts = z.object({
  added: Count,
  unchanged: Count,
  kept: Count,
  overwritten: Count,
});
export type ImportFaceCounts = z.infer<typeof ImportFaceCounts>;

/**
 * What an export does with points a model or template placed that no person confirmed:
 * `leave-out` writes them as not labelled; `mark` keeps them, marked (the studio format only).
 */
export const UnconfirmedExport = z.enum(['leave-out', 'mark']);
export type UnconfirmedExport = z.infer<typeof UnconfirmedExport>;

/** The library's header: counts per split, labels, curation and expression class. */
export const LibraryStats = z.object({
  total: Count,
  splits: z.object({ pool: Count, train: Count, val: Count, test: Count }),
  /** Faces whose every placed point a person placed or confirmed. */
  labelled: Count,
  /** Faces with points a model or template placed that no person has confirmed yet. */
  needsReview: Count,
  flagged: Count,
  noFace: Count,
  /** Images face detection has looked at (they carry a face record, found or not). */
  curated: Count,
  expressions: z.record(z.string(), Count),
  /** Images whose file was not found at the last check; null until a check has run. */
  missing: Count.nullable(),
});
export type LibraryStats = z.infer<typeof LibraryStats>;

/** The stats of an empty library: every count zero, missing files not known yet. */
export function emptyLibraryStats(): LibraryStats {
  return {
    total: 0,
    splits: { pool: 0, train: 0, val: 0, test: 0 },
    labelled: 0,
    needsReview: 0,
    flagged: 0,
    noFace: 0,
    curated: 0,
    expressions: {},
    missing: null,
  };
}
