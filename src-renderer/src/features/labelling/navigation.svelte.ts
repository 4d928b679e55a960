/**
 * Which image the labeller shows, and stepping through the library: next, previous, next
 * unlabelled, or a position. Every step first lets the labeller leave the face shown (it saves;
 * an image whose save failed, or that was reloaded after a conflict, stays on screen), then asks
 * it to show the one found. The list queries are ./image-navigation.ts's.
 */
import type { LibraryItem } from '$shared/library';
import { mediaUrl } from '../../lib/api';
import { imageAt, nextUnlabelled, type ImageAt, type ListImages } from './image-navigation';

export interface NavigationHooks {
  list: ListImages;
  /** Saves the face shown; false when it must stay on screen. */
  leave(): Promise<boolean>;
  /** Loads and shows an image (it calls `shown` once it is on screen). */
  show(target: ImageAt): Promise<void>;
  notify(text: string): void;
  fail(text: string): void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Navigation {
  image = $state.raw<LibraryItem | null>(null);
  imageUrl = $state<string | null>(null);
  /** The image's index in the unfiltered library order, and the library's size. */
  position = $state(0);
  total = $state(0);

  readonly #hooks: NavigationHooks;

  constructor(hooks: NavigationHooks) {
    this.#hooks = hooks;
  }

  /** The image shown, where it is, and the library size; null before one is. */
  get current(): ImageAt | null {
    return this.image ? { item: this.image, position: this.position, total: this.total } : null;
  }

  /** Shows the first unlabelled image, else the first; errors go to the caller. */
  /** The first unlabelled image, else the first image; null in an empty library. */
  async findFirst(): Promise<ImageAt | null> {
    const list = this.#hooks.list;
    return (await nextUnlabelled(list, -1)) ?? (await imageAt(list, 0));
  }

  /** Shows the first unlabelled image, else the first (`found`: a `findFirst()` already asked). */
  async first(found: Promise<ImageAt | null> = this.findFirst()): Promise<void> {
    const first = await found;
    if (first) await this.#hooks.show(first);
  }

  async next(): Promise<void> {
    await this.goTo(this.position + 1, 'This is the last image');
  }

  async previous(): Promise<void> {
    await this.goTo(this.position - 1, 'This is the first image');
  }

  async nextUnlabelled(): Promise<void> {
    await this.#step(
      () => nextUnlabelled(this.#hooks.list, this.position),
      'Every image is labelled',
    );
  }

  /** Shows the image at a library position; `none` is said when there is none. */
  async goTo(position: number, none = 'That image is gone'): Promise<void> {
    await this.#step(() => imageAt(this.#hooks.list, position), none);
  }

  /** Records the image now on screen. */
  shown(target: ImageAt): void {
    this.image = target.item;
    this.imageUrl = mediaUrl('image', target.item.id);
    this.position = target.position;
    this.total = target.total;
  }

  /** The image's labelled / needs-review flags changed (its face was saved). */
  update(imageId: string, flags: Pick<LibraryItem, 'labelled' | 'needsReview'>): void {
    if (this.image?.id === imageId) this.image = { ...this.image, ...flags };
  }

  async #step(find: () => Promise<ImageAt | null>, none: string): Promise<void> {
    if (!(await this.#hooks.leave())) return;
    try {
      const target = await find();
      if (target) await this.#hooks.show(target);
      else this.#hooks.notify(none);
    } catch (error) {
      this.#hooks.fail(message(error));
    }
  }
}
