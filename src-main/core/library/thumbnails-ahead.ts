/**
 * Thumbnails made ahead, in the background, for the images of an open project that have none
 * (a lazy import, `face-studio import --lazy-thumbnails`, indexes 100,000 files without decoding
 * them): so the grid shows thumbnails at once instead of making each on its first request
 * (docs/ARCHITECTURE.md, "Data flows").
 *
 * Low priority: one thumbnail at a time, in import order; before each it lets pending I/O run
 * (a save's fsync, a request) and waits until no media request has been answered for
 * `MEDIA_QUIET_MS`, so the thumbnails the page asks for are made by the media resolver at once,
 * never behind this queue nor beside it on the same cores. The look for what is missing (a
 * folder of up to a million names against every record) waits the same spell from the
 * project's opening, so the page's first screen (its first page, stats and thumbnails) is served
 * first, and it yields every `SCAN_CHUNK` records: at 100,000 images, all made already, it was
 * ~0.5 s of one core in one piece just as the first screen was being asked for. A thumbnail
 * that cannot be made (file moved, not decodable) is skipped: the grid shows such an image empty
 * and the media resolver tries again when it is asked.
 */
import { readdir } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ImageRecord } from '../../shared/domain';
import type { ProjectStore } from '../project-store';
import { realPathOrNull } from '../real-path';
import { openImage } from './image-source';
import { imageFileOf, thumbnailDirOf } from './library-service';
import { MEDIA_QUIET_MS, whenMediaQuiet } from './media-quiet';
import { writeThumbnail } from './thumbnails';

/** Records looked at between two turns of the event loop while looking for missing thumbnails. */
export const SCAN_CHUNK = 5000;

export interface ThumbnailsAheadOptions {
  /** The quiet spell (default `MEDIA_QUIET_MS`). */
  quietMs?: number;
}

export class ThumbnailsAhead {
  private readonly store: ProjectStore;
  private running: Promise<void> | null = null;
  private lookAgain = false;
  private stopped = false;
  /** Resolved by `stop()`, so a pass waiting for a quiet spell ends at once. */
  private readonly stopping: Promise<void>;
  private wake: () => void = () => undefined;
  private readonly quietMs: number;
  /** When the project was opened (performance.now()): the quiet spell counts from it too. */
  private readonly openedAt = performance.now();
  /** Thumbnails this worker made, for tests and the log. */
  made = 0;

  constructor(store: ProjectStore, options: ThumbnailsAheadOptions = {}) {
    this.store = store;
    this.quietMs = options.quietMs ?? MEDIA_QUIET_MS;
    this.stopping = new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Looks for images without a thumbnail and makes them; called while it runs, it looks again. */
  poke(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.lookAgain = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.lookAgain) {
        this.lookAgain = false;
        this.poke();
      }
    });
  }

  /** Resolves once no pass runs or is due. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Stops after the thumbnail being made; resolves once it is written. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    return this.idle();
  }

  private async pass(): Promise<void> {
    await this.quiet();
    if (this.over()) return;
    const folder = thumbnailDirOf(this.store);
    const names = await readdir(folder).catch(() => [] as string[]);
    // The ids alone (no record parsed for an image that has its thumbnail), copied: an import
    // appending meanwhile is looked at by the pass its poke starts. Both copies a chunk at a time:
    // at 100,000 images each was ~50 ms of the event loop in one piece. A removal between chunks
    // may shift the ids the rest of the copy reads; an image this pass misses so gets its
    // thumbnail made when the grid asks for it, as any image without one does.
    const made = new Set<string>();
    for (let i = 0; i < names.length; i += SCAN_CHUNK) {
      for (const name of names.slice(i, i + SCAN_CHUNK)) made.add(name);
      if (!(await this.turn())) return;
    }
    const ids: string[] = [];
    for (const id of this.store.imageIds()) {
      ids.push(id);
      if (ids.length % SCAN_CHUNK === 0 && !(await this.turn())) return;
    }
    for (const [i, id] of ids.entries()) {
      if (i > 0 && i % SCAN_CHUNK === 0 && !(await this.turn())) return;
      if (made.has(`${id}.webp`)) continue;
      if (!(await this.turn())) return;
      // Removed meanwhile: nothing to make.
      const record = this.store.getImage(id);
      if (record !== null && (await this.make(record, folder))) this.made += 1;
    }
  }

  /** Lets other work run and the page be quiet again; false when the pass must end. */
  private async turn(): Promise<boolean> {
    await nextTurn();
    await this.quiet();
    return !this.over();
  }

  /**
   * Until the page has asked for no image for the quiet spell, nor opened the project within it
   * (or until `stop()`).
   */
  private quiet(): Promise<void> {
    return Promise.race([whenMediaQuiet(this.quietMs, this.openedAt), this.stopping]);
  }

  private over(): boolean {
    return this.stopped || this.store.closed;
  }

  private async make(record: ImageRecord, folder: string): Promise<boolean> {
    const source = await realPathOrNull(imageFileOf(this.store, record));
    if (source === null) return false;
    try {
      await writeThumbnail((await openImage(source)).pipeline(), folder, record.id);
      return true;
    } catch {
      return false;
    }
  }
}
