/**
 * Where a project's images live. An import either references each file where it is (the record
 * keeps its absolute path, and the project loses the image if that folder moves) or copies it into
 * the project's `images/` folder, named by its content hash and its original extension: one
 * content is one file, and two sources with the same name never clash.
 *
 * Copies are made once the whole import has been read and checked. Each is written to a temp file,
 * its bytes are hashed on the way and must match the id the import computed (a file changed in
 * between is refused, not copied under the wrong id), then it is renamed into place. When the
 * import is cancelled or one copy fails, every file this call created is removed again, so the
 * project folder holds no image its index does not list.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageRecord } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import {
  describeWriteError,
  errorCode,
  removeAbandonedTempFiles,
  syncFolder,
  tempPathFor,
} from '../atomic-write';

/** The folder inside a project that holds copied images. */
export const IMAGES_FOLDER = 'images';

export function imagesDirOf(projectDir: string): string {
  return join(projectDir, IMAGES_FOLDER);
}

/** The absolute path of an image of the project in `projectDir`. */
export function imageFileIn(projectDir: string, record: Pick<ImageRecord, 'path'>): string {
  return isAbsolute(record.path) ? record.path : resolve(projectDir, record.path);
}

/** `<sha256><.ext>`, the extension lower-cased; an odd or missing extension is left off. */
export function copiedImageName(imageId: string, sourcePath: string): string {
  const ext = extname(sourcePath).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? `${imageId}${ext}` : imageId;
}

export interface CopyImagesOptions {
  projectDir: string;
  signal?: AbortSignal;
  /** Files copied so far, of those to copy. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Copies in flight at once; default 8. Each copy ends in an fsync, which is what bounds the
   * rate: 330 HELEN images (9.6 MB) took 6.4 s one at a time, 2.8 s four at a time, 2.4 s at 16.
   */
  concurrency?: number;
}

export interface CopyImagesResult {
  /** The records with their new paths (`images/…`) and `source`; empty when cancelled. */
  records: ImageRecord[];
  cancelled: boolean;
}

/**
 * Copies every image whose path lies outside the project (an absolute path) into `images/` and
 * returns the records pointing at the copies. Records already inside the project are returned as
 * they are. Cancelled: nothing is left behind and `cancelled` is true. A failed copy throws a
 * StudioError naming the file, after removing the copies made so far.
 */
export async function copyImagesIn(
  records: readonly ImageRecord[],
  options: CopyImagesOptions,
): Promise<CopyImagesResult> {
  const imagesDir = imagesDirOf(options.projectDir);
  const pending = records.filter((record) => isAbsolute(record.path));
  if (options.signal?.aborted) return { records: [], cancelled: true };
  if (pending.length === 0) return { records: [...records], cancelled: false };
  const hadFolder = await lstat(imagesDir).then(
    () => true,
    () => false,
  );
  try {
    await mkdir(imagesDir, { recursive: true });
  } catch (error) {
    throw describeWriteError(imagesDir, error);
  }
  await removeAbandonedTempFiles(imagesDir);

  const created: string[] = [];
  const placed = new Map<string, ImageRecord>();
  let done = 0;
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < pending.length && failure === null && !options.signal?.aborted) {
      const record = pending[next++]!;
      const name = copiedImageName(record.id, record.path);
      const target = join(imagesDir, name);
      try {
        if (await copyChecked(record.path, target, record.id, options.signal)) created.push(target);
      } catch (error) {
        // A stream stopped by the signal is a cancel, not a failure.
        if (!options.signal?.aborted) failure ??= error;
        return;
      }
      placed.set(record.id, { ...record, path: `${IMAGES_FOLDER}/${name}`, source: record.path });
      done += 1;
      options.onProgress?.(done, pending.length);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? 8);
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));

  if (failure !== null || options.signal?.aborted) {
    await Promise.all(created.map((file) => unlink(file).catch(() => undefined)));
    // Made for this import only: goes with it (rmdir leaves a folder that holds anything).
    if (!hadFolder) await rmdir(imagesDir).catch(() => undefined);
    if (failure !== null) throw failure;
    return { records: [], cancelled: true };
  }
  // The renames must be durable before the index that names the copies is written.
  await syncFolder(imagesDir);
  return { records: records.map((record) => placed.get(record.id) ?? record), cancelled: false };
}

/**
 * Copies `source` to `target` through a temp file, checking its sha256 on the way; true when
 * `target` did not exist before (so the caller may remove it again).
 */
async function copyChecked(
  source: string,
  target: string,
  imageId: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  // atomic-write's temp name, so an abandoned one is removed by a later open of the project.
  const temp = tempPathFor(target);
  const existed = await lstat(target).then(
    () => true,
    () => false,
  );
  const hash = createHash('sha256');
  try {
    try {
      await pipeline(
        createReadStream(source),
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            callback(null, chunk);
          },
        }),
        createWriteStream(temp, { flags: 'wx', mode: 0o644 }),
        signal ? { signal } : {},
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new StudioError('io', `Cannot copy ${source} into the project: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    if (hash.digest('hex') !== imageId) {
      throw new StudioError(
        'conflict',
        `${source} changed while it was being imported (its bytes no longer match what was read); import it again`,
      );
    }
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof StudioError || signal?.aborted) throw error;
    throw describeWriteError(target, error);
  }
  return !existed;
}

function reasonOf(error: unknown): string {
  const code = errorCode(error);
  if (code === 'ENOENT') return 'the file is gone';
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the disk is full (${code})`;
  return error instanceof Error ? error.message : String(error);
}
