/**
 * importImages without thumbnails: hashes each file and reads its size from the header, nothing
 * more, for labelled sets of tens of thousands of images where thumbnails can wait until the grid
 * shows them (media.ts makes a missing one on first request). Same options and result as
 * importImages, so the library service picks either.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import type { ImageRecord } from '../../shared/domain';
import { outsideMessage } from '../real-path';
import { formatFromExtension } from './image-formats';
import { ImageRejected } from './image-rejected';
import { openImage, rejectionFromSharp } from './image-source';
import type { ImportFailure, ImportImagesOptions, ImportResult } from './import-images';
import { imageIdOf } from './image-id';
import { progressReporter } from './import-progress';
import { countImageFiles, scanImageFiles } from './scan';

export async function indexImageFiles(options: ImportImagesOptions): Promise<ImportResult> {
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const total = await countImageFiles(options.roots);
  const added: (ImageRecord & { seq: number })[] = [];
  const duplicates: ImportResult['duplicates'] = [];
  const failed: ImportFailure[] = [];
  const claimed = new Map<string, string>();
  let done = 0;
  const report = progressReporter(
    options.onProgress,
    options.progressIntervalMs ?? 250,
    total,
    () => ({ done, added: added.length, duplicates: duplicates.length, failed: failed.length }),
    elapsed,
  );

  const indexOne = async (seq: number, path: string): Promise<void> => {
    try {
      const id = await imageIdOf(path);
      const earlier = claimed.get(id);
      if (options.existingIds?.has(id) || earlier !== undefined) {
        duplicates.push({ path, id, duplicateOf: earlier ?? null });
        return;
      }
      claimed.set(id, path);
      const image = await openImage(
        path,
        options.pixelLimit ? { pixelLimit: options.pixelLimit } : {},
      );
      const subject = options.subjectOf?.(path);
      added.push({
        seq,
        id,
        path: storedPath(path, options.projectDir),
        width: image.width,
        height: image.height,
        split: 'pool',
        ...(subject !== undefined ? { subject } : {}),
      });
    } catch (error) {
      const rejection =
        error instanceof ImageRejected
          ? error
          : rejectionFromSharp(path, formatFromExtension(path) ?? 'jpeg', error);
      failed.push({ path, reason: rejection.reason, message: rejection.message });
    } finally {
      done += 1;
      report(false);
    }
  };

  const files = scanImageFiles(options.roots, {
    ...(options.signal ? { signal: options.signal } : {}),
    onOutside: (path, real) => {
      const rejection = new ImageRejected(path, 'outside-folder', outsideMessage(real));
      failed.push({ path, reason: rejection.reason, message: rejection.message });
    },
  });
  let nextSeq = 0;
  const worker = async (): Promise<void> => {
    while (!options.signal?.aborted) {
      const next = await files.next();
      if (next.done) return;
      await indexOne(nextSeq++, next.value);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? Math.max(2, availableParallelism()));
  await Promise.all(Array.from({ length: concurrency }, worker));
  await files.return(undefined);
  report(true);
  added.sort((a, b) => a.seq - b.seq);
  return {
    added: added.map(({ seq: _seq, ...record }) => record),
    duplicates,
    failed,
    cancelled: options.signal?.aborted ?? false,
    elapsedSeconds: elapsed(),
  };
}

function storedPath(path: string, projectDir: string | undefined): string {
  if (!projectDir) return path;
  const inside = relative(projectDir, path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}
