/**
 * Imports folders of images into the library: finds image files (streamed, see scan.ts), gives
 * each its content hash as id, skips files whose id is already known, reads the upright size,
 * writes a thumbnail (indexImageFiles leaves that for later), and returns ImageRecords for the
 * project store to persist. Bad files are collected with their reason, never thrown one by one,
 * so the caller learns of every bad file in one pass (the library service then refuses the
 * import, or skips them when asked to). Work runs with bounded concurrency, reports progress, and
 * stops early when the signal aborts (what was done is returned with `cancelled: true`; the
 * library service writes none of it).
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { ImageRecord } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { outsideMessage, relativeInside } from '../real-path';
import { formatFromExtension } from './image-formats';
import { ImageRejected, type RejectReason } from './image-rejected';
import { openImage, rejectionFromSharp } from './image-source';
import { imageIdOf } from './image-id';
import { progressReporter, type ImportProgress } from './import-progress';
import { countImageFiles, scanImageFiles } from './scan';
import { writeThumbnail } from './thumbnails';

export interface ImportImagesOptions {
  /** Folders (walked recursively) or single files. */
  roots: readonly string[];
  /** Where thumbnails go, e.g. `<project>/cache/thumbs`; never scanned itself. */
  thumbnailDir: string;
  /** The project folder: paths inside it are stored relative to it, others absolute. */
  projectDir?: string;
  /** Ids already in the project: such files are reported as duplicates, not added again. */
  existingIds?: ReadonlySet<string>;
  /** Files worked on at once; default: the number of CPU cores, at least 2. */
  concurrency?: number;
  /** Largest pixel count accepted (decompression-bomb guard); default 100 MP. */
  pixelLimit?: number;
  /** Subject key for an image (see splits.ts `subjectFromFileName`), stored on the record. */
  subjectOf?: (path: string) => string | undefined;
  onProgress?: (progress: ImportProgress) => void;
  /** Least time between two progress reports, ms; default 250. The last report always comes. */
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

export interface DuplicateFile {
  path: string;
  id: string;
  /** The path kept for this content in this import, or null when the project already had it. */
  duplicateOf: string | null;
}

export interface ImportFailure {
  path: string;
  reason: RejectReason;
  /** Starts with the path; says what is wrong. */
  message: string;
}

export interface ImportResult {
  /** New records, in scan order, split `pool`. */
  added: ImageRecord[];
  duplicates: DuplicateFile[];
  failed: ImportFailure[];
  cancelled: boolean;
  elapsedSeconds: number;
}

/** An imported file before it becomes a record; `path` is absolute. */
interface Added {
  seq: number;
  path: string;
  id: string;
  width: number;
  height: number;
}

interface Claim {
  seq: number;
  path: string;
}

export function importImages(options: ImportImagesOptions): Promise<ImportResult> {
  return importImageFiles(options, true);
}

/**
 * importImages without thumbnails: hashes each file and reads its size from the header, nothing
 * more, for labelled sets of tens of thousands of images where thumbnails can wait until the grid
 * shows them (media.ts makes a missing one on first request). Same options and result, so the
 * library service picks either.
 */
export function indexImageFiles(options: ImportImagesOptions): Promise<ImportResult> {
  return importImageFiles(options, false);
}

async function importImageFiles(
  options: ImportImagesOptions,
  writeThumbnails: boolean,
): Promise<ImportResult> {
  const { roots, thumbnailDir, signal } = options;
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  if (writeThumbnails) {
    try {
      await mkdir(thumbnailDir, { recursive: true });
    } catch (error) {
      throw new StudioError('io', `Cannot create the thumbnail folder ${thumbnailDir}`, {
        cause: error,
      });
    }
  }

  const failed: ImportFailure[] = [];
  const failedSeq = new Map<ImportFailure, number>();
  const noteFailure = (seq: number, path: string, error: ImageRejected): void => {
    const failure = { path, reason: error.reason, message: error.message };
    failed.push(failure);
    failedSeq.set(failure, seq);
  };
  const scanOptions = {
    exclude: [thumbnailDir],
    ...(signal ? { signal } : {}),
    onUnreadable: (path: string, error: unknown) =>
      noteFailure(
        -1,
        path,
        new ImageRejected(path, 'unreadable', `cannot be listed (${String(error)})`),
      ),
    onOutside: (path: string, real: string) =>
      noteFailure(-1, path, new ImageRejected(path, 'outside-folder', outsideMessage(real))),
  };
  const total = await countImageFiles(roots, {
    ...scanOptions,
    onUnreadable: undefined,
    onOutside: undefined,
  });

  const added: Added[] = [];
  const duplicates: (DuplicateFile & { seq: number })[] = [];
  const claims = new Map<string, Claim>();
  let done = 0;
  const report = progressReporter(
    options.onProgress,
    options.progressIntervalMs ?? 250,
    total,
    () => ({ done, added: added.length, duplicates: duplicates.length, failed: failed.length }),
    elapsed,
  );

  const importOne = async (seq: number, path: string): Promise<void> => {
    const format = formatFromExtension(path) ?? 'jpeg';
    try {
      const id = await imageIdOf(path);
      if (options.existingIds?.has(id)) {
        duplicates.push({ seq, path, id, duplicateOf: null });
        return;
      }
      const claim = claims.get(id);
      if (claim) {
        duplicates.push({ seq, path, id, duplicateOf: claim.path });
        return;
      }
      claims.set(id, { seq, path });
      const image = await openImage(
        path,
        options.pixelLimit ? { pixelLimit: options.pixelLimit } : {},
      );
      if (writeThumbnails) {
        try {
          await writeThumbnail(image.pipeline(), thumbnailDir, id);
        } catch (error) {
          throw rejectionFromSharp(path, image.format, error);
        }
      }
      added.push({ seq, path, id, width: image.width, height: image.height });
    } catch (error) {
      const rejection =
        error instanceof ImageRejected ? error : rejectionFromSharp(path, format, error);
      noteFailure(seq, path, rejection);
    } finally {
      done++;
      report(false);
    }
  };

  const files = scanImageFiles(roots, scanOptions);
  let nextSeq = 0;
  const worker = async (): Promise<void> => {
    while (!signal?.aborted) {
      const next = await files.next();
      if (next.done) return;
      await importOne(nextSeq++, next.value);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? Math.max(2, availableParallelism()));
  await Promise.all(Array.from({ length: concurrency }, worker));
  await files.return(undefined);
  report(true);

  keepFirstPathOfEachDuplicate(added, duplicates);
  added.sort((a, b) => a.seq - b.seq);
  duplicates.sort((a, b) => a.seq - b.seq);
  failed.sort((a, b) => (failedSeq.get(a) ?? 0) - (failedSeq.get(b) ?? 0));
  return {
    added: added.map((a) => toRecord(a, options)),
    duplicates: duplicates.map(({ seq: _seq, ...d }) => d),
    failed,
    cancelled: signal?.aborted ?? false,
    elapsedSeconds: elapsed(),
  };
}

/**
 * Workers race, so of two identical files the later one in scan order may have been hashed first.
 * Keep the first path in scan order for each content, so an import is repeatable.
 */
function keepFirstPathOfEachDuplicate(
  added: Added[],
  duplicates: (DuplicateFile & { seq: number })[],
): void {
  const byId = new Map(added.map((a) => [a.id, a]));
  for (const duplicate of duplicates) {
    const kept = byId.get(duplicate.id);
    if (!kept || duplicate.duplicateOf === null || duplicate.seq > kept.seq) continue;
    const { seq, path } = duplicate;
    duplicate.seq = kept.seq;
    duplicate.path = kept.path;
    kept.seq = seq;
    kept.path = path;
  }
  for (const duplicate of duplicates) {
    const kept = byId.get(duplicate.id);
    if (kept && duplicate.duplicateOf !== null) duplicate.duplicateOf = kept.path;
  }
}

function toRecord(added: Added, options: ImportImagesOptions): ImageRecord {
  const subject = options.subjectOf?.(added.path);
  return {
    id: added.id,
    path: storedPath(added.path, options.projectDir),
    width: added.width,
    height: added.height,
    split: 'pool',
    ...(subject !== undefined ? { subject } : {}),
  };
}

function storedPath(path: string, projectDir: string | undefined): string {
  if (!projectDir) return path;
  // The project folder itself ('') is no image's path.
  return relativeInside(projectDir, path) || path;
}
