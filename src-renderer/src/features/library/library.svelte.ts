/**
 * The Library section's state: the filter, the pages of `library:list` loaded so far (fetched as
 * the grid scrolls), the stats header, the selection, and the running import or curation job.
 * Components read these fields and call the actions; only the actions talk to `api.ts`.
 */
import type { Split } from '../../../../src-main/shared/domain';
import type {
  EventPayload,
  LibraryFilter,
  LibraryItem,
  LibraryStats,
  ResponseOf,
  SplitFractions,
} from '../../../../src-main/shared/ipc-contract';
import { invoke, on, StudioRequestError } from '../../lib/api';
import { pagesCovering } from './grid-window';
import type { ImportRequest } from './import-form';
import { clickSelect, EMPTY_SELECTION, type ClickModifiers, type Selection } from './selection';

export const PAGE_SIZE = 200;

export type { ImportRequest } from './import-form';

export interface JobState {
  jobId: string | null;
  kind: 'import' | 'curate';
  progress: EventPayload<'library:importProgress'> | null;
  done: EventPayload<'library:importDone'> | null;
  /** A refusal before the job started (bad folder, another job running). */
  error: string | null;
}

class LibraryState {
  filter = $state<LibraryFilter>({});
  total = $state(0);
  /** Loaded pages by page number; replaced whole so the grid re-reads it. */
  pages = $state.raw<ReadonlyMap<number, readonly LibraryItem[]>>(new Map());
  stats = $state<LibraryStats | null>(null);
  selection = $state.raw<Selection>(EMPTY_SELECTION);
  job = $state<JobState | null>(null);
  error = $state<string | null>(null);
  /** The last check of the image files (`library:checkFiles`); null until one has answered. */
  files = $state<ResponseOf<'library:checkFiles'> | null>(null);
  checkingFiles = $state(false);

  /** Bumped on every filter change, so an answer for an older filter is dropped. */
  private generation = 0;
  private loading = new Set<string>();
  private unsubscribe: (() => void)[] = [];

  start(): () => void {
    this.unsubscribe = [
      on('library:importProgress', (progress) => {
        if (this.job && this.job.jobId === progress.jobId) this.job.progress = progress;
      }),
      on('library:importDone', (done) => {
        if (this.job && this.job.jobId === done.jobId) this.job.done = done;
        void this.refresh();
      }),
    ];
    // Files are looked for in the background, after the first page, never in its way.
    this.files = null;
    void this.refresh().then(() => this.checkFiles());
    return () => this.unsubscribe.forEach((stop) => stop());
  }

  itemAt(index: number): LibraryItem | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Loads the pages holding items [first, end) that are not loaded or loading. */
  ensureRange(first: number, end: number): void {
    for (const page of pagesCovering(first, end, PAGE_SIZE)) {
      const key = `${this.generation}:${page}`;
      if (this.pages.has(page) || this.loading.has(key)) continue;
      this.loading.add(key);
      void this.loadPage(page, this.generation).finally(() => this.loading.delete(key));
    }
  }

  setFilter(filter: LibraryFilter): void {
    this.filter = filter;
    this.selection = EMPTY_SELECTION;
    void this.refresh();
  }

  /** Reloads the count, the first page and the stats (after an import or a split change). */
  async refresh(): Promise<void> {
    this.generation += 1;
    this.pages = new Map();
    await this.guard(async () => {
      await this.loadPage(0, this.generation);
      this.stats = await invoke('library:stats', {});
    });
  }

  /** Looks for every image's file; reloads the grid when some are missing (for the badges). */
  async checkFiles(): Promise<void> {
    if (this.checkingFiles) return;
    this.checkingFiles = true;
    try {
      await this.guard(async () => {
        const before = this.files?.missing ?? 0;
        this.files = await invoke('library:checkFiles', {});
        if (this.files.missing > 0 || before > 0) await this.refresh();
      });
    } finally {
      this.checkingFiles = false;
    }
  }

  click(index: number, item: LibraryItem, modifiers: ClickModifiers): void {
    this.selection = clickSelect(
      this.selection,
      index,
      item.id,
      modifiers,
      (i) => this.itemAt(i)?.id,
    );
  }

  clearSelection(): void {
    this.selection = EMPTY_SELECTION;
  }

  async setSplit(split: Split): Promise<void> {
    const imageIds = [...this.selection.ids];
    if (imageIds.length === 0) return;
    await this.guard(async () => {
      await invoke('library:setSplit', { imageIds, split });
      await this.refresh();
    });
  }

  async assignSplits(request: {
    fractions: SplitFractions;
    seed: number | string;
    subjectPattern?: string;
  }): Promise<boolean> {
    return this.guard(async () => {
      this.stats = await invoke('library:assignSplits', request);
      await this.refresh();
    });
  }

  async startImport(request: ImportRequest): Promise<void> {
    this.job = { jobId: null, kind: 'import', progress: null, done: null, error: null };
    try {
      const { jobId } = await invoke('library:importFolder', request);
      this.job.jobId = jobId;
    } catch (error) {
      this.job.error = describe(error);
    }
  }

  async startCuration(): Promise<void> {
    this.job = { jobId: null, kind: 'curate', progress: null, done: null, error: null };
    try {
      this.job.jobId = (await invoke('library:curate', {})).jobId;
    } catch (error) {
      this.job.error = describe(error);
    }
  }

  async cancelJob(): Promise<void> {
    const jobId = this.job?.jobId;
    if (jobId) await this.guard(async () => void (await invoke('library:cancelImport', { jobId })));
  }

  dismissJob(): void {
    this.job = null;
  }

  private async loadPage(page: number, generation: number): Promise<void> {
    const answer = await invoke('library:list', {
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
      filter: $state.snapshot(this.filter),
    });
    if (generation !== this.generation) return;
    this.total = answer.total;
    // A plain Map replaced whole ($state.raw), not a SvelteMap: the grid re-reads on replacement.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const pages = new Map(this.pages);
    pages.set(page, answer.items);
    this.pages = pages;
  }

  private async guard(action: () => Promise<void>): Promise<boolean> {
    this.error = null;
    try {
      await action();
      return true;
    } catch (error) {
      this.error = describe(error);
      return false;
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof StudioRequestError) return error.message;
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

export const library = new LibraryState();
