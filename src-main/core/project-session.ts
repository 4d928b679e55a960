/**
 * The one project the app has open. Opening or creating another flushes the current one first,
 * switches only once the new one opened, then closes the old one; if the new one fails, the
 * current project stays open. Calls run one at a time so two quick opens cannot cross.
 *
 * While a project is open, its missing thumbnails are made in the background
 * (library/thumbnails-ahead.ts), so a project imported with lazy thumbnails browses at once.
 */
import type { ProjectSummary } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { MEDIA_QUIET_MS, whenMediaQuiet } from './library/media-quiet';
import { ThumbnailsAhead } from './library/thumbnails-ahead';
import { ProjectStore } from './project-store';
import type { NewProject, ProjectStoreOptions } from './project-store';

export class ProjectSession {
  private store: ProjectStore | null = null;
  private thumbnails: ThumbnailsAhead | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly options: ProjectStoreOptions;

  constructor(options: ProjectStoreOptions = {}) {
    // labels.json's background read waits, like the thumbnails made ahead, for a spell without
    // image requests: the page's first screen comes first.
    this.options = {
      beforeLabelsPreload: () => whenMediaQuiet(MEDIA_QUIET_MS),
      ...options,
    };
  }

  create(dir: string, init: NewProject): Promise<ProjectSummary> {
    return this.exclusive(() => this.switchTo(() => ProjectStore.create(dir, init, this.options)));
  }

  open(dir: string): Promise<ProjectSummary> {
    return this.exclusive(() => this.switchTo(() => ProjectStore.open(dir, this.options)));
  }

  /** Flushes and closes the open project; false when none was open. */
  close(): Promise<boolean> {
    return this.exclusive(async () => {
      if (this.store === null) return false;
      await this.thumbnails?.stop();
      this.thumbnails = null;
      await this.store.close();
      this.store = null;
      return true;
    });
  }

  summary(): ProjectSummary | null {
    return this.store?.summary() ?? null;
  }

  /**
   * Looks again for images without a thumbnail (after an import) and makes them in the
   * background; resolves once every image of the open project that can have one has one.
   */
  makeThumbnailsAhead(): Promise<void> {
    this.thumbnails?.poke();
    return this.thumbnails?.idle() ?? Promise.resolve();
  }

  /** The open project's store, for handlers that need one. */
  require(): ProjectStore {
    if (this.store === null) throw new StudioError('not-found', 'No project is open');
    return this.store;
  }

  private async switchTo(load: () => Promise<ProjectStore>): Promise<ProjectSummary> {
    const previous = this.store;
    // Flushed first, so reopening the same folder reads every edit made so far.
    if (previous !== null) await previous.flush();
    const next = await load();
    await this.thumbnails?.stop();
    this.store = next;
    this.thumbnails = new ThumbnailsAhead(next);
    this.thumbnails.poke();
    if (previous !== null) await previous.close();
    return next.summary();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
