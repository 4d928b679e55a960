/**
 * The one project the app has open. Opening or creating another flushes the current one first,
 * switches only once the new one opened, then closes the old one; if the new one fails, the
 * current project stays open. Calls run one at a time so two quick opens cannot cross.
 */
import type { ProjectSummary } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { ProjectStore } from './project-store';
import type { NewProject, ProjectStoreOptions } from './project-store';

export class ProjectSession {
  private store: ProjectStore | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly options: ProjectStoreOptions;

  constructor(options: ProjectStoreOptions = {}) {
    this.options = options;
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
      await this.store.close();
      this.store = null;
      return true;
    });
  }

  summary(): ProjectSummary | null {
    return this.store?.summary() ?? null;
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
    this.store = next;
    if (previous !== null) await previous.close();
    return next.summary();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
