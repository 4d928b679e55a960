/**
 * The recently opened projects, most recent first, one entry per folder (compared after
 * path.resolve), at most MAX_RECENT. Stored as JSON through the same atomic writes as projects.
 *
 * A corrupt or invalid file is not user data worth stopping for: it is renamed aside to
 * `<file>.corrupt-<timestamp>` (kept, so nothing is destroyed), reported through `onProblem`, and
 * the list starts empty.
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import { RecentProject } from '../shared/domain';
import { StudioError } from '../shared/errors';
import { AtomicJsonFile } from './atomic-json-file';

export const MAX_RECENT = 20;

const RecentFile = z.object({ projects: z.array(RecentProject) });
type RecentFile = z.infer<typeof RecentFile>;

export interface RecentProjectsOptions {
  /** Told when the file was corrupt and set aside; defaults to console.warn. */
  onProblem?: (message: string) => void;
}

export class RecentProjects {
  readonly file: string;
  private readonly db: Low<RecentFile>;
  private readonly onProblem: (message: string) => void;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(file: string, options: RecentProjectsOptions = {}) {
    this.file = path.resolve(file);
    this.db = new Low(new AtomicJsonFile(this.file, RecentFile), { projects: [] });
    this.onProblem = options.onProblem ?? ((message) => console.warn(message));
  }

  list(): Promise<RecentProject[]> {
    return this.exclusive(async () => (await this.load()).slice());
  }

  /** Puts `dir` first (now), dropping any older entry for the same folder. */
  add(dir: string, name: string): Promise<void> {
    return this.exclusive(async () => {
      const resolved = path.resolve(dir);
      const others = (await this.load()).filter((entry) => path.resolve(entry.dir) !== resolved);
      const entry = { dir: resolved, name, openedAt: new Date().toISOString() };
      this.db.data = { projects: [entry, ...others].slice(0, MAX_RECENT) };
      await this.db.write();
    });
  }

  /** Drops `dir` from the list and returns what is left. */
  forget(dir: string): Promise<RecentProject[]> {
    return this.exclusive(async () => {
      const resolved = path.resolve(dir);
      const kept = (await this.load()).filter((entry) => path.resolve(entry.dir) !== resolved);
      this.db.data = { projects: kept };
      await this.db.write();
      return kept.slice();
    });
  }

  /** Reads the file each time, so two app windows (or the CLI) see each other's changes. */
  private async load(): Promise<RecentProject[]> {
    try {
      this.db.data = { projects: [] };
      await this.db.read();
    } catch (error) {
      if (!(error instanceof StudioError)) throw error;
      const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        await rename(this.file, aside);
        this.onProblem(`${error.message}. It was kept as ${aside}; the recent list starts empty.`);
      } catch {
        // Cannot move it (read-only folder): keep it untouched and show an empty list.
        this.onProblem(`${error.message}. The recent list is shown empty.`);
      }
      this.db.data = { projects: [] };
    }
    return this.db.data.projects;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
