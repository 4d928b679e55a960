/**
 * Walks folders for image files, one directory at a time, so a folder tree of 100,000 images is
 * streamed rather than listed up front. Candidates are picked by extension; their content is
 * checked later by `openImage`. Hidden entries (dot names) and symlinked folders are skipped: the
 * first holds caches and tool state, the second can loop. A linked file is judged by where it
 * really is: it is yielded only when its real path lies inside the real path of the folder being
 * walked, else reported through `onOutside` and left out. Entries are sorted by name within each
 * folder so an import visits files in the same order every time.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { liesInside, realPathOrNull } from '../real-path';
import { formatFromExtension } from './image-formats';

export interface ScanOptions {
  /** Folders not to enter, such as the project's own thumbnail cache. */
  exclude?: readonly string[];
  signal?: AbortSignal;
  /** Called for a folder that cannot be listed; the walk goes on without it. */
  onUnreadable?: (path: string, error: unknown) => void;
  /** Called for a linked image file whose real path (`real`) lies outside the walked folder. */
  onOutside?: (path: string, real: string) => void;
}

/** Yields the absolute path of each file with an image extension under `roots`. */
export async function* scanImageFiles(
  roots: readonly string[],
  options: ScanOptions = {},
): AsyncGenerator<string> {
  const excluded = new Set((options.exclude ?? []).map((p) => resolve(p)));
  for (const root of roots) {
    const absolute = resolve(root);
    const info = await stat(absolute).catch((error: unknown) => {
      options.onUnreadable?.(absolute, error);
      return null;
    });
    if (info?.isFile()) {
      if (formatFromExtension(absolute)) yield absolute;
    } else if (info?.isDirectory()) {
      yield* walk(absolute, await realpath(absolute), excluded, options);
    }
  }
}

/** Counts what `scanImageFiles` would yield, holding no paths; used for progress totals. */
export async function countImageFiles(
  roots: readonly string[],
  options: ScanOptions = {},
): Promise<number> {
  let count = 0;
  for await (const _ of scanImageFiles(roots, options)) count++;
  return count;
}

async function* walk(
  dir: string,
  realRoot: string,
  excluded: ReadonlySet<string>,
  options: ScanOptions,
): AsyncGenerator<string> {
  if (excluded.has(dir) || options.signal?.aborted) return;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    options.onUnreadable?.(dir, error);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (options.signal?.aborted) return;
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walk(path, realRoot, excluded, options);
    } else if (formatFromExtension(entry.name)) {
      if (entry.isFile()) yield path;
      else if (entry.isSymbolicLink() && (await isFileLinkInside(path, realRoot, options))) {
        yield path;
      }
    }
  }
}

async function isFileLinkInside(
  path: string,
  realRoot: string,
  options: ScanOptions,
): Promise<boolean> {
  const real = await realPathOrNull(path);
  if (real === null || !(await stat(real).catch(() => null))?.isFile()) return false;
  if (liesInside(realRoot, real)) return true;
  options.onOutside?.(path, real);
  return false;
}
