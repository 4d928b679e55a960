/**
 * The library's operations on an open project, shared by the app's handlers, the CLI and the
 * tests: import a folder of images or a labelled set, curate, assign splits, count, and (in
 * library-export.ts) export. Each long operation takes `{onProgress, signal}` and keeps its
 * per-image work async and bounded (importImages, curateImages), so main's event loop stays free.
 *
 * A labelled import reads and checks the whole input first (labelled-input.ts); if anything is
 * wrong nothing is written to the project. Then the images go in (thumbnails, content ids), then
 * one face per image into labels.json.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { FaceAnnotation, ImageRecord, Split } from '../../shared/domain';
import type { ImportFormat, LibraryStats, SplitFractions } from '../../shared/ipc-contract';
import { builtinAttributeSchema, builtinLandmarkSchema } from '../schemas/builtin';
import type { ProjectStore } from '../project-store';
import { humanPoint } from '../../shared/point-provenance';
import { toLandmark, type LabelledFace } from '../formats/model';
import { curateImages } from './curate';
import type { FaceDetector } from './face-detect';
import { importImages } from './import-images';
import type { ImportFailure, ImportProgress } from './import-images';
import { indexImageFiles } from './index-image-files';
import { readLabelledInput } from './labelled-input';
import type { SourceImage } from './labelled-input';
import { isLabelled, needsReview } from './library-query';
import { assignSplits, subjectFromFileName } from './splits';

export interface JobProgress {
  done: number;
  total: number;
  /** Images per second. */
  rate: number;
  etaSeconds: number | null;
}

export interface JobControl {
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}

export interface LibraryJobOutcome {
  added: number;
  duplicates: number;
  /** Faces written to labels.json. */
  labelled: number;
  /** Images curation flagged (no face, tiny face, near-duplicate). */
  flagged: number;
  failed: { file: string; reason: string }[];
  cancelled: boolean;
}

export interface ImportIntoProjectOptions extends JobControl {
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
}

export function thumbnailDirOf(store: ProjectStore): string {
  return join(store.dir, 'cache', 'thumbs');
}

/** The absolute path of an image of the project. */
export function imageFileOf(store: ProjectStore, record: Pick<ImageRecord, 'path'>): string {
  return isAbsolute(record.path) ? record.path : resolve(store.dir, record.path);
}

export async function importIntoProject(
  store: ProjectStore,
  options: ImportIntoProjectOptions,
): Promise<LibraryJobOutcome> {
  const landmarks = builtinLandmarkSchema(store.meta.landmarkSchema);
  const source =
    options.format === 'images'
      ? null
      : await readLabelledInput(resolve(options.dir), options.format, {
          landmarks,
          attributes:
            store.meta.attributeSchema === null
              ? null
              : builtinAttributeSchema(store.meta.attributeSchema),
          ...(options.subjectPattern ? { subjectPattern: options.subjectPattern } : {}),
        });
  // Validation is over: from here on the project changes.
  const sources = new Map<string, SourceImage>();
  for (const image of source?.images ?? []) sources.set(join(source!.root, image.file), image);
  const importer = options.thumbnails === 'lazy' ? indexImageFiles : importImages;
  const result = await importer({
    roots: source ? [...sources.keys()] : [resolve(options.dir)],
    thumbnailDir: thumbnailDirOf(store),
    projectDir: store.dir,
    existingIds: new Set(store.listImages().map((image) => image.id)),
    ...(options.subjectPattern && !source
      ? { subjectOf: subjectFromFileName(options.subjectPattern) }
      : {}),
    ...(options.onProgress ? { onProgress: reportAs(options.onProgress) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });

  let records = result.added.map((record) => {
    const image = sources.get(imageFileOf(store, record));
    if (!image) return record;
    return {
      ...record,
      split: image.split ?? record.split,
      ...(image.subject !== undefined ? { subject: image.subject } : {}),
    };
  });
  if (records.length > 0) await store.putImages(records);

  let labelled = 0;
  if (source) {
    const idOf = new Map<string, string>();
    for (const record of records) idOf.set(imageFileOf(store, record), record.id);
    for (const duplicate of result.duplicates) idOf.set(duplicate.path, duplicate.id);
    const updatedAt = new Date().toISOString();
    const saves: Promise<void>[] = [];
    for (const [file, image] of sources) {
      const imageId = idOf.get(file);
      const face = image.faces[0];
      if (imageId === undefined || face === undefined) continue;
      saves.push(store.saveFace(toAnnotation(imageId, face, landmarks.points.length, updatedAt)));
    }
    await Promise.all(saves);
    labelled = saves.length;
  }

  const failed = result.failed.map(describeFailure);
  let flagged = 0;
  let cancelled = result.cancelled;
  if (options.curate && !cancelled && records.length > 0) {
    const curated = await curateRecords(store, records, options);
    records = curated.records;
    flagged = curated.flagged;
    failed.push(...curated.failed);
    cancelled = curated.cancelled;
  }
  return {
    added: records.length,
    duplicates: result.duplicates.length,
    labelled,
    flagged,
    failed,
    cancelled,
  };
}

/** Face detection and near-duplicate flagging on every image that has no face record yet. */
export async function curateProject(
  store: ProjectStore,
  options: JobControl & { loadDetector?: () => Promise<FaceDetector> },
): Promise<LibraryJobOutcome> {
  const pending = store.listImages().filter((image) => image.face === undefined);
  const curated = await curateRecords(store, pending, options);
  return {
    added: 0,
    duplicates: 0,
    labelled: 0,
    flagged: curated.flagged,
    failed: curated.failed,
    cancelled: curated.cancelled,
  };
}

async function curateRecords(
  store: ProjectStore,
  records: readonly ImageRecord[],
  options: JobControl & { loadDetector?: () => Promise<FaceDetector> },
): Promise<{
  records: ImageRecord[];
  flagged: number;
  failed: LibraryJobOutcome['failed'];
  cancelled: boolean;
}> {
  if (records.length === 0) return { records: [], flagged: 0, failed: [], cancelled: false };
  const detector = await (options.loadDetector ?? sharedFaceDetector)();
  const rate = rateOf(options.onProgress);
  const result = await curateImages(records, {
    detector,
    projectDir: store.dir,
    onProgress: ({ done, total }) => rate(done, total, false),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  rate(records.length, records.length, true);
  const changed = result.records.filter((record, i) => record !== records[i]);
  if (changed.length > 0) await store.putImages(changed);
  return {
    records: result.records,
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
  options: { fractions: SplitFractions; seed: number | string; subjectPattern?: RegExp },
): Promise<LibraryStats> {
  const subjectOf = options.subjectPattern ? subjectFromFileName(options.subjectPattern) : null;
  const items = store.listImages().map((image) => ({
    id: image.id,
    subject: subjectOf ? (subjectOf(image.path) ?? image.subject) : image.subject,
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

export function libraryStats(store: ProjectStore): LibraryStats {
  const stats: LibraryStats = {
    total: 0,
    splits: { pool: 0, train: 0, val: 0, test: 0 },
    labelled: 0,
    needsReview: 0,
    flagged: 0,
    noFace: 0,
    curated: 0,
    expressions: {},
  };
  for (const image of store.listImages()) {
    stats.total += 1;
    stats.splits[image.split] += 1;
    if ((image.flags?.length ?? 0) > 0) stats.flagged += 1;
    if (image.face !== undefined) stats.curated += 1;
    if (image.face === null || image.flags?.includes('no-face')) stats.noFace += 1;
    const face = store.getFace(image.id);
    if (isLabelled(face)) stats.labelled += 1;
    if (needsReview(face)) stats.needsReview += 1;
    if (face?.expression) {
      stats.expressions[face.expression] = (stats.expressions[face.expression] ?? 0) + 1;
    }
  }
  return stats;
}

function toAnnotation(
  imageId: string,
  face: LabelledFace,
  pointCount: number,
  updatedAt: string,
): z.input<typeof FaceAnnotation> {
  // A set without points (class folders, CelebA) still gets the schema's points, not placed yet.
  const points =
    face.points.length === pointCount
      ? face.points.map(toLandmark)
      : Array.from({ length: pointCount }, () => humanPoint(0, 0, 0));
  return {
    imageId,
    points,
    ...(face.box ? { box: face.box } : {}),
    attributes: face.attributes ?? {},
    ...(face.classes && Object.keys(face.classes).length > 0 ? { classes: face.classes } : {}),
    expression: face.expression ?? null,
    updatedAt,
  };
}

function describeFailure(failure: ImportFailure): { file: string; reason: string } {
  return { file: failure.path, reason: failure.message };
}

function reportAs(onProgress: (progress: JobProgress) => void): (p: ImportProgress) => void {
  return (p) =>
    onProgress({ done: p.done, total: p.total, rate: p.imagesPerSecond, etaSeconds: p.etaSeconds });
}

/** Turns done/total calls into progress with a rate, at most every 250 ms (and at the end). */
function rateOf(
  onProgress: ((progress: JobProgress) => void) | undefined,
): (done: number, total: number, force: boolean) => void {
  const started = performance.now();
  let last = -Infinity;
  return (done, total, force) => {
    const now = performance.now();
    if (!onProgress || (!force && now - last < 250)) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    onProgress({ done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : null });
  };
}
