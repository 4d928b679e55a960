/**
 * Thumbnails made ahead, in the background, for the images of an open project that have none
 * (a lazy import, `face-studio import --lazy-thumbnails`, indexes 100,000 files without decoding
 * them): so the grid shows thumbnails at once instead of making each on its first request
 * (docs/ARCHITECTURE.md, "Data flows").
 *
 * Low priority: one thumbnail at a time, in import order; before each it lets pending I/O run
 * (a save's fsync, a request) and waits until no media request has been answered for
 * `MEDIA_QUIET_MS`, so the thumbnails the page asks for are made by the media resolver at once,
 * never behind this queue nor beside it on the same cores. A thumbnail
 * that cannot be made (file moved, not decodable) is skipped: the grid shows such an image empty
 * and the media resolver tries again when it is asked.
 */
import { readdir } from 'node:fs/promises';
import type { ImageRecord } from '../../shared/domain';
import type { ProjectStore } from '../project-store';
import { realPathOrNull } from '../real-path';
import { openImage } from './image-source';
import { imageFileOf, thumbnailDirOf } from './library-service';
import { whenMediaQuiet } from './media';
import { writeThumbnail } from './thumbnails';

/**
 * How long the page must have asked for no image or thumbnail before a background one is made:
 * longer than the gap between two thumbnails the page loads in a row (a few ms), short enough
 * that the work resumes soon after the user stops.
 */
export const MEDIA_QUIET_MS = 500;

export class ThumbnailsAhead {
  private readonly store: ProjectStore;
  private running: Promise<void> | null = null;
  private lookAgain = false;
  private stopped = false;
  /** Thumbnails this worker made, for tests and the log. */
  made = 0;

  constructor(store: ProjectStore) {
    this.store = store;
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
    return this.idle();
  }

  private async pass(): Promise<void> {
    const folder = thumbnailDirOf(this.store);
    const made = new Set(await readdir(folder).catch(() => [] as string[]));
    // The ids alone (no record parsed for an image that has its thumbnail), copied: an import
    // appending meanwhile is looked at by the pass its poke starts.
    for (const id of [...this.store.imageIds()]) {
      if (made.has(`${id}.webp`)) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      await whenMediaQuiet(MEDIA_QUIET_MS);
      if (this.stopped || this.store.closed) return;
      // Removed meanwhile: nothing to make.
      const record = this.store.getImage(id);
      if (record !== null && (await this.make(record, folder))) this.made += 1;
    }
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
