/**
 * The library's operations on an open project, shared by the app's handlers, the CLI and the
 * tests: import a folder of images or a labelled set, curate, assign splits, count, and (in
 * library-export.ts) export. Each long operation takes `{onProgress, signal}` and keeps its
 * per-image work async and bounded (importImages, curateImages), so main's event loop stays free.
 *
 * An import is all or nothing. It checks the folder (import-source-check.ts), reads and checks a
 * labelled set whole (labelled-input.ts), hashes and decodes every image, detects faces when
 * asked, and only then writes the project: image records, then the faces (merge-faces.ts, which
 * keeps faces the user changed unless told to overwrite). An image that cannot be decoded fails
 * a labelled import, and an `images` import unless `skipBad`; a cancel before the writing stage
 * leaves the project as it was (thumbnails written meanwhile are removed again).
 *
 * With `placement: 'copy'` the new images are copied into the project (image-home.ts) just before
 * the index names them; a cancelled or failed copy adds nothing and leaves no files.
 */
import { rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ImageRecord, Split } from '../../shared/domain';
import {
  type ImportFaceCounts,
  type ImportFormat,
  type ImportPlacement,
  type ImportStage,
  type LibraryStats,
  type SplitFractions,
} from '../../shared/library';
import { builtinAttributeSchema } from '../schemas/builtin';
import type { ProjectStore } from '../project-store';
import { InputProblemsError } from '../problems';
import { curateImages } from './curate';
import type { FaceDetector } from './face-detect';
import { copyImagesIn, imageFileIn } from './image-home';
import { importImages, indexImageFiles } from './import-images';
import type { DuplicateFile, ImportFailure } from './import-images';
import { rateMeter, type ImportProgress } from './import-progress';
import { checkImportSource, requireSomeImages } from './import-source-check';
import { readLabelledInput } from './labelled-input';
import type { LabelledInput, SourceImage } from './labelled-input';
import { mergeFaces, type IncomingFace } from './merge-faces';
import { checkImageFiles, knownMissingImages } from './missing-images';
import { assignSplits, subjectFromFileName } from './splits';
import { thumbnailPath } from './thumbnails';
import { UndecodableImagesError, withoutPath } from './undecodable-images';

export interface LibraryJobProgress {
  stage: ImportStage;
  done: number;
  total: number;
  /** Images per second. */
  rate: number;
  etaSeconds: number | null;
}

export interface LibraryJobControl {
  onProgress?: (progress: LibraryJobProgress) => void;
  signal?: AbortSignal;
}

export interface LibraryJobOutcome {
  added: number;
  duplicates: number;
  /** Faces written to labels.json (added or overwritten). */
  labelled: number;
  /** What happened to each face of a labelled set (see merge-faces.ts). */
  faces: ImportFaceCounts;
  /** Images curation flagged (no face, tiny face, near-duplicate). */
  flagged: number;
  /** Images face detection looked at (set when it ran). */
  curated?: number;
  failed: { file: string; reason: string }[];
  cancelled: boolean;
}

export interface ImportIntoProjectOptions extends LibraryJobControl {
  /** A folder (or, for list formats, the list file). */
  dir: string;
  format: ImportFormat;
  /** First group, matched on each file name, is the subject id (CK+: `^(S\d{3})_`). */
  subjectPattern?: RegExp;
  /** Run face detection and near-duplicate flagging on the new images afterwards. */
  curate?: boolean;
  /** Loads the face detector (once per process is plenty: see `sharedFaceDetector`). */
  loadDetector?: () => Promise<FaceDetector>;
  /**
   * `eager` (default) writes each thumbnail during the import; `lazy` only hashes and measures
   * the files (3–10× faster) and leaves thumbnails to the media resolver, which makes each one
   * the first time it is shown.
   */
  thumbnails?: 'eager' | 'lazy';
  /** `images`: import the files that decode and list the others in `failed`, instead of failing. */
  skipBad?: boolean;
  /** Labelled sets: replace faces that differ from the file (the user's edits) with its labels. */
  overwriteLabels?: boolean;
  /**
   * `reference` (default here, and the CLI's) keeps each image where it is; `copy` (the app's
   * default) copies it into the project's `images/` folder.
   */
  placement?: ImportPlacement;
  /**
   * The split of every image of the import, new or already in the project; without it a new
   * image takes the split its path names (a `train/` folder), else pool, and an old one keeps its.
   */
  split?: Split;
}

export function thumbnailDirOf(store: ProjectStore): string {
  return join(store.dir, 'cache', 'thumbs');
}

/** The absolute path of an image of the project. */
export function imageFileOf(store: ProjectStore, record: Pick<ImageRecord, 'path'>): string {
  return imageFileIn(store.dir, record);
}

export async function importIntoProject(
  store: ProjectStore,
  options: ImportIntoProjectOptions,
): Promise<LibraryJobOutcome> {
  const { signal } = options;
  const dir = resolve(options.dir);
  const stage = stageReporter(options.onProgress);
  const landmarks = store.landmarkSchema;

  stage('scanning');
  await checkImportSource(dir, options.format);
  if (signal?.aborted) return cancelledOutcome();

  let source: LabelledInput | null = null;
  if (options.format !== 'images') {
    stage('validating');
    source = await readLabelledInput(dir, options.format, {
      landmarks,
      attributes:
        store.meta.attributeSchema === null
          ? null
          : builtinAttributeSchema(store.meta.attributeSchema),
      ...(options.subjectPattern ? { subjectPattern: options.subjectPattern } : {}),
    });
    requireSomeImages(dir, options.format, source.images.length);
    if (signal?.aborted) return cancelledOutcome();
  }

  const sources = new Map<string, SourceImage>();
  for (const image of source?.images ?? []) sources.set(join(source!.root, image.file), image);
  const eager = options.thumbnails !== 'lazy';
  stage('importing');
  const result = await (eager ? importImages : indexImageFiles)({
    roots: source ? [...sources.keys()] : [dir],
    thumbnailDir: thumbnailDirOf(store),
    projectDir: store.dir,
    existingIds: new Set(store.imageIds()),
    ...(options.subjectPattern && !source
      ? { subjectOf: subjectFromFileName(options.subjectPattern) }
      : {}),
    ...(options.onProgress ? { onProgress: reportAs(options.onProgress) } : {}),
    ...(signal ? { signal } : {}),
  });
  // Thumbnails are the only thing written so far; a refused or cancelled import takes them back
  // (once the records are written, the thumbnails are theirs).
  let writing = false;
  const discard = async (): Promise<void> => {
    if (eager && !writing) await removeThumbnails(store, result.added);
  };

  try {
    if (result.cancelled) {
      await discard();
      return cancelledOutcome();
    }
    const failed = result.failed.map(describeFailure);
    if (failed.length > 0 && source) {
      // A labelled set goes in whole: a label on an image that cannot be decoded is no label.
      throw new InputProblemsError(
        `Cannot import the labelled set in ${source.root}: images that cannot be read or decoded`,
        failed.map((failure) => ({
          file: relative(source.root, failure.file),
          message: withoutPath(failure),
        })),
      );
    }
    if (failed.length > 0 && !options.skipBad) {
      throw new UndecodableImagesError(dir, failed, result.added.length);
    }

    let records = result.added.map((record) => {
      const image = sources.get(imageFileOf(store, record));
      if (!image) return options.split ? { ...record, split: options.split } : record;
      return {
        ...record,
        split: options.split ?? image.split ?? record.split,
        ...(image.subject !== undefined ? { subject: image.subject } : {}),
      };
    });

    let flagged = 0;
    let curatedCount: number | undefined;
    if (options.curate && records.length > 0) {
      const curated = await curateRecords(store, records, options);
      if (curated.cancelled) {
        await discard();
        return cancelledOutcome();
      }
      records = curated.records;
      flagged = curated.flagged;
      curatedCount = curated.changed.length;
      failed.push(...curated.failed);
    }

    // Copies first (a stage of their own, with its count), then the project's files.
    const copying = options.placement === 'copy' && records.length > 0;
    if (!copying) stage('writing');
    if (signal?.aborted) {
      await discard();
      return cancelledOutcome();
    }
    // Ids by source file, for the labels, before copies change the paths.
    const idOf = idsBySourceFile(store, records, result.duplicates);
    if (copying) {
      const placed = await placeCopies(records, store.dir, options);
      if (placed === null) {
        await discard();
        return cancelledOutcome();
      }
      records = placed;
      stage('writing');
    }
    // From here the import runs to its end: a cancel now would leave half of it written.
    writing = true;
    if (records.length > 0) await store.putImages(records);
    if (options.split && result.duplicates.length > 0) {
      await setSplit(
        store,
        result.duplicates.map((duplicate) => duplicate.id),
        options.split,
      );
    }
    const faces = source
      ? await mergeFaces(store, facesToWrite(sources, idOf), {
          pointCount: landmarks.points.length,
          overwrite: options.overwriteLabels ?? false,
          updatedAt: new Date().toISOString(),
        })
      : noFaces();
    return {
      added: records.length,
      duplicates: result.duplicates.length,
      labelled: faces.added + faces.overwritten,
      faces,
      flagged,
      ...(curatedCount !== undefined ? { curated: curatedCount } : {}),
      failed,
      cancelled: false,
    };
  } catch (error) {
    await discard();
    throw error;
  }
}

/**
 * Each labelled image's face with the id of its image, new in the project or already there. Two
 * files of the set with the same bytes are one image with one face: the first in the set's order.
 */
function facesToWrite(
  sources: ReadonlyMap<string, SourceImage>,
  idOf: ReadonlyMap<string, string>,
): IncomingFace[] {
  const faces = new Map<string, IncomingFace>();
  for (const [file, image] of sources) {
    const imageId = idOf.get(file);
    const face = image.faces[0];
    if (imageId !== undefined && face !== undefined && !faces.has(imageId)) {
      faces.set(imageId, { imageId, face });
    }
  }
  return [...faces.values()];
}

/** Image ids by the file they were read from: new images and files already in the project. */
function idsBySourceFile(
  store: ProjectStore,
  records: readonly ImageRecord[],
  duplicates: readonly DuplicateFile[],
): Map<string, string> {
  const idOf = new Map<string, string>();
  for (const record of records) idOf.set(imageFileOf(store, record), record.id);
  for (const duplicate of duplicates) idOf.set(duplicate.path, duplicate.id);
  return idOf;
}

async function removeThumbnails(
  store: ProjectStore,
  records: readonly Pick<ImageRecord, 'id'>[],
): Promise<void> {
  const dir = thumbnailDirOf(store);
  await Promise.all(records.map((record) => rm(thumbnailPath(dir, record.id), { force: true })));
}

export function noFaces(): ImportFaceCounts {
  return { added: 0, unchanged: 0, kept: 0, overwritten: 0 };
}

/** A cancelled import: nothing was written to the project. */
function cancelledOutcome(): LibraryJobOutcome {
  return {
    added: 0,
    duplicates: 0,
    labelled: 0,
    faces: noFaces(),
    flagged: 0,
    failed: [],
    cancelled: true,
  };
}

/**
 * Copies the new images into the project; null when cancelled (the copies made are removed by
 * copyImagesIn, the thumbnails by the caller).
 */
async function placeCopies(
  records: ImageRecord[],
  projectDir: string,
  options: LibraryJobControl,
): Promise<ImageRecord[] | null> {
  const rate = rateOf(options.onProgress, 'copying');
  const placed = await copyImagesIn(records, {
    projectDir,
    onProgress: (done, total) => rate(done, total, false),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (placed.cancelled) return null;
  // The throttle may have held back the last count: the stage ends at every image.
  rate(records.length, records.length, true);
  return placed.records;
}

export interface ConsolidateOutcome {
  /** Images copied into the project by this call. */
  copied: number;
  /** Referenced images whose file is gone: they stay as they were (paths as recorded). */
  missing: string[];
  cancelled: boolean;
}

/**
 * Copies every image the project references in place into its `images/` folder, so it no longer
 * depends on those folders. Images whose file is already gone are left referenced and listed.
 * Cancelled or failed: no copy is left and the index is unchanged.
 */
export async function consolidateProject(
  store: ProjectStore,
  options: LibraryJobControl = {},
): Promise<ConsolidateOutcome> {
  const referenced = store.listImages().filter((record) => isAbsolute(record.path));
  const { missing } = await checkImageFiles(store);
  const present = referenced.filter((record) => !missing.has(record.id));
  const lost = referenced.filter((record) => missing.has(record.id)).map((record) => record.path);
  const rate = rateOf(options.onProgress, 'copying');
  const placed = await copyImagesIn(present, {
    projectDir: store.dir,
    onProgress: (done, total) => rate(done, total, false),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (placed.cancelled) return { copied: 0, missing: lost, cancelled: true };
  if (placed.records.length > 0) await store.putImages(placed.records);
  return { copied: placed.records.length, missing: lost, cancelled: false };
}

/** Face detection and near-duplicate flagging on every image that has no face record yet. */
export async function curateProject(
  store: ProjectStore,
  options: LibraryJobControl & { loadDetector?: () => Promise<FaceDetector> },
): Promise<LibraryJobOutcome> {
  const pending = store.listImages().filter((image) => image.face === undefined);
  const curated = await curateRecords(store, pending, options);
  if (curated.changed.length > 0) {
    stageReporter(options.onProgress)('writing');
    await store.putImages(curated.changed);
  }
  return {
    added: 0,
    duplicates: 0,
    labelled: 0,
    faces: noFaces(),
    flagged: curated.flagged,
    curated: curated.changed.length,
    failed: curated.failed,
    cancelled: curated.cancelled,
  };
}

/**
 * Detects faces on the given records and flags near-duplicates, in memory: `changed` holds the
 * records to write (the caller writes them, or drops them when the import was cancelled).
 */
async function curateRecords(
  store: ProjectStore,
  records: readonly ImageRecord[],
  options: LibraryJobControl & { loadDetector?: () => Promise<FaceDetector> },
): Promise<{
  records: ImageRecord[];
  changed: ImageRecord[];
  flagged: number;
  failed: LibraryJobOutcome['failed'];
  cancelled: boolean;
}> {
  if (records.length === 0) {
    return { records: [], changed: [], flagged: 0, failed: [], cancelled: false };
  }
  const rate = rateOf(options.onProgress, 'detecting');
  rate(0, records.length, true);
  const detector = await (options.loadDetector ?? sharedFaceDetector)();
  const result = await curateImages(records, {
    detector,
    projectDir: store.dir,
    onProgress: ({ done, total }) => rate(done, total, false),
    onNearDuplicates: () => {
      rate(records.length, records.length, true);
      stageReporter(options.onProgress)('near-duplicates');
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const changed = result.records.filter((record, i) => record !== records[i]);
  return {
    records: result.records,
    changed,
    flagged: changed.filter((record) => (record.flags?.length ?? 0) > 0).length,
    failed: result.failed.map(describeFailure),
    cancelled: result.cancelled,
  };
}

let detectorLoad: Promise<FaceDetector> | null = null;

/** The face detector, loaded once per process (its weights load into the one TF.js engine). */
export function sharedFaceDetector(): Promise<FaceDetector> {
  detectorLoad ??= import('./face-detect').then(({ FaceDetector }) => FaceDetector.load());
  detectorLoad.catch(() => (detectorLoad = null));
  return detectorLoad;
}

/** Puts the given images into one split; returns how many changed. */
export async function setSplit(
  store: ProjectStore,
  imageIds: readonly string[],
  split: Split,
): Promise<number> {
  const changed: ImageRecord[] = [];
  for (const id of new Set(imageIds)) {
    const record = store.getImage(id);
    if (record && record.split !== split) changed.push({ ...record, split });
  }
  if (changed.length > 0) await store.putImages(changed);
  return changed.length;
}

/**
 * Seeded random splits over the whole library; images of one subject stay together. The subject
 * is the pattern's first group on the file name when a pattern is given, else the stored one.
 */
export async function assignProjectSplits(
  store: ProjectStore,
  options: {
    fractions: SplitFractions;
    seed: number | string;
    subjectPattern?: RegExp;
    /** The images to assign (default all); the others keep their split. */
    only?: (image: ImageRecord) => boolean;
  },
): Promise<LibraryStats> {
  const subjectOf = options.subjectPattern ? subjectFromFileName(options.subjectPattern) : null;
  const only = options.only;
  const images = only ? store.listImages().filter((image) => only(image)) : store.listImages();
  const items = images.map((image) => ({
    id: image.id,
    // A copy is named by its hash; the subject is in the name it was imported under.
    subject: subjectOf ? (subjectOf(image.source ?? image.path) ?? image.subject) : image.subject,
  }));
  const splits = assignSplits(items, { fractions: options.fractions, seed: options.seed });
  const changed: ImageRecord[] = [];
  for (const item of items) {
    const record = store.getImage(item.id);
    const split = splits.get(item.id);
    if (!record || split === undefined) continue;
    if (record.split !== split || record.subject !== item.subject) {
      changed.push({
        ...record,
        split,
        ...(item.subject !== undefined ? { subject: item.subject } : {}),
      });
    }
  }
  if (changed.length > 0) await store.putImages(changed);
  return libraryStats(store);
}

/**
 * The library's header: counts kept up to date by the store (library-index.ts), with missing
 * files counted from the last check of the files (null until one has run).
 */
export function libraryStats(store: ProjectStore): LibraryStats {
  return store.library.stats(knownMissingImages(store));
}

function describeFailure(failure: ImportFailure): { file: string; reason: string } {
  return { file: failure.path, reason: failure.message };
}

function reportAs(onProgress: (progress: LibraryJobProgress) => void): (p: ImportProgress) => void {
  return (p) =>
    onProgress({
      stage: 'importing',
      done: p.done,
      total: p.total,
      rate: p.imagesPerSecond,
      etaSeconds: p.etaSeconds,
    });
}

/** Reports the start of a stage whose size is not known yet (total 0). */
function stageReporter(
  onProgress: ((progress: LibraryJobProgress) => void) | undefined,
): (stage: ImportStage) => void {
  return (stage) => onProgress?.({ stage, done: 0, total: 0, rate: 0, etaSeconds: null });
}

/** Turns done/total calls into a stage's progress through rateMeter (its throttle and ETA). */
function rateOf(
  onProgress: ((progress: LibraryJobProgress) => void) | undefined,
  stage: ImportStage,
): (done: number, total: number, force: boolean) => void {
  return rateMeter(
    onProgress &&
      ((reading) =>
        onProgress({
          stage,
          done: reading.done,
          total: reading.total,
          rate: reading.rate,
          etaSeconds: reading.etaSeconds,
        })),
  );
}
