/**
 * Which images of a project have lost their file: a referenced folder moved or deleted, a copy
 * removed by hand. The check is one stat per image, a bounded number in flight and a turn of the
 * event loop between batches, so a 100k-image project never holds main up (and opening a project
 * never waits for it). Between two batches it also waits until the page has asked for no image
 * or thumbnail for a quiet spell (media.ts): the library asks for a check right after its first
 * page, and at 100,000 images its ~3 s of stats on the main thread otherwise slowed every
 * thumbnail of the first screen; that check (`inBackground`) waits for one before it starts,
 * too. The last result is remembered per open store, for the library's stats, its
 * `missing` filter and the grid's badge, until the next check.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ProjectStore } from '../project-store';
import { imageFileIn } from './image-home';
import { MEDIA_QUIET_MS, whenMediaQuiet } from './media-quiet';

export interface MissingImages {
  /** Images looked at. */
  total: number;
  /** Ids of the images whose file was not found. */
  missing: ReadonlySet<string>;
  /** Up to 5 missing files, as the project records them. */
  examples: string[];
  /** Up to 5 folders the missing files were in (absolute), most missing first. */
  folders: string[];
}

export interface FindMissingOptions {
  /** Stats in flight at once; default 32. */
  concurrency?: number;
  /** Images per batch between two turns of the event loop; default 512. */
  batchSize?: number;
  /** The quiet spell without media requests awaited between batches; default MEDIA_QUIET_MS. */
  quietMs?: number;
  /**
   * Wait for a quiet spell before the first batch too (and before the ids are copied): for a
   * check nobody waits on, such as the library's right after its first page. At 100,000 images
   * copying the ids holds main ~60 ms and the first batch's stats fill the thread pool, just as the
   * first screen's thumbnails are asked for (bench:scroll's open). A filter on missing files
   * starts at once: the person waits for it.
   */
  inBackground?: boolean;
}

const SHOWN = 5;

/** Stats every image's file now. */
export async function findMissingImages(
  store: ProjectStore,
  options: FindMissingOptions = {},
): Promise<MissingImages> {
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const batchSize = Math.max(1, options.batchSize ?? 512);
  const quietMs = options.quietMs ?? MEDIA_QUIET_MS;
  if (options.inBackground) await whenMediaQuiet(quietMs);
  // The ids now, each batch's records when it comes: at 100,000 images parsing every record in
  // one piece (listImages) held the main thread ~0.5 s just as the first screen was asked for.
  const ids = [...store.imageIds()];
  const missing = new Set<string>();
  const examples: string[] = [];
  const perFolder = new Map<string, number>();
  for (let start = 0; start < ids.length; start += batchSize) {
    if (start > 0) await whenMediaQuiet(quietMs);
    // An image removed meanwhile is not looked at.
    const batch = ids.slice(start, start + batchSize).flatMap((id) => store.getImage(id) ?? []);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const image = batch[next++]!;
        const file = imageFileIn(store.dir, image);
        const info = await stat(file).catch(() => null);
        if (info?.isFile()) continue;
        missing.add(image.id);
        if (examples.length < SHOWN) examples.push(image.path);
        perFolder.set(dirname(file), (perFolder.get(dirname(file)) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
    await nextTurn();
  }
  const folders = [...perFolder]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, SHOWN)
    .map(([folder]) => folder);
  return { total: ids.length, missing, examples, folders };
}

const lastCheck = new WeakMap<ProjectStore, MissingImages>();
const running = new WeakMap<ProjectStore, Promise<MissingImages>>();

/** Runs a check (or joins the one running) and remembers its result for this store. */
export function checkImageFiles(
  store: ProjectStore,
  options: FindMissingOptions = {},
): Promise<MissingImages> {
  const current = running.get(store);
  if (current) return current;
  const check = findMissingImages(store, options)
    .then((result) => {
      lastCheck.set(store, result);
      return result;
    })
    .finally(() => running.delete(store));
  running.set(store, check);
  return check;
}

/** The last check's missing ids for this store, or null when none has run. */
export function knownMissingImages(store: ProjectStore): ReadonlySet<string> | null {
  return lastCheck.get(store)?.missing ?? null;
}
