/**
 * The Library section's state: the filter, the pages of `library:list` loaded so far (fetched as
 * the grid scrolls), the stats header, the selection, and the running import or curation job.
 * Components read these fields and call the actions; only the actions talk to `api.ts`.
 *
 * One request per change: a filter change asks for its first page once (the stats count the whole
 * library, not the filter, so they are not asked again), and the grid asking for the same page
 * meanwhile joins that request. The tiles of the old filter stay until that page answers, then
 * the grid is redrawn once with the new items (no frame of empty placeholders, no tile rebuilt
 * twice). A page the grid has scrolled past and every request of a replaced filter are aborted
 * (docs/ARCHITECTURE.md, "Data flows"), so after a fast scroll the pages on screen, the
 * thumbnails and a save do not wait behind stale requests.
 */
import { untrack } from 'svelte';
import type { Split } from '$shared/domain';
import type { EventPayload, ResponseOf } from '$shared/ipc-contract';
import type { LibraryFilter, LibraryItem, LibraryStats, SplitFractions } from '$shared/library';
import { attempt, describeError, invoke, isAbort, on } from '../../lib/api';
import { studio } from '../../lib/app.svelte';
import { pagesCovering } from './grid-window';
import type { ImportRequest } from './import-form';
import { clickSelect, EMPTY_SELECTION, type ClickModifiers, type Selection } from './selection';

export const PAGE_SIZE = 200;
/** Labels are saved in bursts while a face is edited elsewhere; one stats read per quiet spell. */
const STATS_DEBOUNCE_MS = 300;

export type { ImportRequest } from './import-form';

export interface JobState {
  jobId: string | null;
  kind: 'import' | 'curate';
  /** The import's request, to run it again skipping the bad images when the user says so. */
  request: ImportRequest | null;
  progress: EventPayload<'library:importProgress'> | null;
  done: EventPayload<'library:importDone'> | null;
  /** A refusal before the job started (bad folder, another job running). */
  error: string | null;
  /** Cancel was pressed (if before the job's id came back, it is sent once the id is known). */
  cancelRequested: boolean;
}

/** Whether a job is still going: neither finished nor failed to start. */
export function jobRunning(job: JobState | null): job is JobState {
  return job !== null && job.done === null && job.error === null;
}

type JobEvents = {
  progress?: EventPayload<'library:importProgress'>;
  done?: EventPayload<'library:importDone'>;
};

/** Events kept for job ids not known yet: a few are plenty, one job runs at a time. */
const EARLY_EVENTS_KEPT = 8;

class LibraryState {
  filter = $state<LibraryFilter>({});
  total = $state(0);
  /**
   * Loaded pages by page number; replaced whole so the grid re-reads it. After a refresh, those
   * of the filter before until the first page of the new one answers (see `stale`).
   */
  pages = $state.raw<ReadonlyMap<number, readonly LibraryItem[]>>(new Map());
  stats = $state<LibraryStats | null>(null);
  selection = $state.raw<Selection>(EMPTY_SELECTION);
  job = $state<JobState | null>(null);
  error = $state<string | null>(null);
  /** The last check of the image files (`library:checkFiles`); null until one has answered. */
  files = $state<ResponseOf<'library:checkFiles'> | null>(null);
  checkingFiles = $state(false);

  /**
   * Events of jobs whose id this page has not heard back yet. A job's events travel apart from
   * the answer that carries its id (over the bridge, a WebSocket beside an HTTP response), so a
   * job that ends at once (a folder with nothing to import) can report its end first; dropping
   * that report left the dialog on "0 / … images" for good.
   */
  private early = new Map<string, JobEvents>();
  /** Pages of the current filter on their way, each with the controller that drops it. */
  private loading = new Map<number, AbortController>();
  /** The pages shown are an older filter's (or from before a refresh): none counts as loaded. */
  private stale = false;
  /** The stats request of the last refresh; a newer refresh drops it. */
  private statsRequest: AbortController | null = null;
  private unsubscribe: (() => void)[] = [];
  private statsTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Subscribes to the studio's pushes and loads the grid. Untracked: a component starts it from
   * an `$effect`, which must not re-run (and reload everything) each time the filter it reads
   * changes.
   */
  start(): () => void {
    return untrack(() => this.startUntracked());
  }

  private startUntracked(): () => void {
    this.unsubscribe = [
      on('library:importProgress', (progress) => {
        if (this.job && this.job.jobId === progress.jobId) this.job.progress = progress;
        else this.keepEarly(progress.jobId, { progress });
      }),
      on('library:importDone', (done) => {
        if (this.job && this.job.jobId === done.jobId) this.job.done = done;
        else this.keepEarly(done.jobId, { done });
        void this.refresh();
      }),
      // Faces saved in another window, an import or pre-labelling: the labelled count follows.
      on('labels:changed', () => this.scheduleStats()),
      // The header's count changed (an import wrote its images): the grid shows them now, not
      // only when the job's end is reported.
      on('project:changed', (summary) => {
        if (summary && this.stats && summary.imageCount !== this.stats.total) void this.refresh();
      }),
    ];
    // Files are looked for in the background, after the first page, never in its way.
    this.files = null;
    void this.refresh().then(() => this.checkFiles());
    return () => {
      this.unsubscribe.forEach((stop) => stop());
      this.dropRequests();
    };
  }

  /** The selected images among the pages loaded. */
  selectedItems(): LibraryItem[] {
    const ids = this.selection.ids;
    if (ids.size === 0) return [];
    return [...this.pages.values()].flat().filter((item) => ids.has(item.id));
  }

  itemAt(index: number): LibraryItem | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /**
   * Loads the pages holding items [first, end) that are not loaded or loading, and drops the
   * requests for pages outside it: the grid has scrolled past them. An empty range (the grid
   * before its first answer) drops nothing.
   */
  ensureRange(first: number, end: number): void {
    const wanted = pagesCovering(first, end, PAGE_SIZE);
    if (wanted.length === 0) return;
    for (const [page, request] of this.loading) {
      if (wanted.includes(page)) continue;
      request.abort();
      this.loading.delete(page);
    }
    for (const page of wanted) {
      if ((!this.stale && this.pages.has(page)) || this.loading.has(page)) continue;
      this.loadPage(page).catch((error: unknown) => (this.error = describeError(error)));
    }
  }

  /** The pages being fetched now (requested, not answered, not dropped), in ascending order. */
  pagesLoading(): number[] {
    return [...this.loading.keys()].sort((a, b) => a - b);
  }

  /** Shows the images matching `filter`: its first page (the stats do not depend on it). */
  setFilter(filter: LibraryFilter): void {
    this.filter = filter;
    this.selection = EMPTY_SELECTION;
    void this.reload(false);
  }

  /** Reloads the count, the first page and the stats (after an import or a split change). */
  refresh(): Promise<void> {
    return this.reload(true);
  }

  /** Drops every request on its way and asks for the first page, and the stats beside it. */
  private async reload(withStats: boolean): Promise<void> {
    this.dropRequests();
    this.stale = true;
    const first = this.loadPage(0);
    let stats: Promise<void> = Promise.resolve();
    if (withStats) {
      const request = new AbortController();
      this.statsRequest = request;
      stats = invoke('library:stats', {}, { signal: request.signal }).then((answer) => {
        this.stats = answer;
      });
    }
    await this.guard(async () => {
      // Both asked at once; each shows when it comes, and the first error is the one shown.
      await Promise.all([first, stats]);
    });
  }

  /** Aborts every page and stats request on its way: their answers are for an older grid. */
  private dropRequests(): void {
    for (const request of this.loading.values()) request.abort();
    this.loading.clear();
    this.statsRequest?.abort();
    this.statsRequest = null;
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
    await this.startJob('import', request, () => invoke('library:importFolder', request));
  }

  /** After an `images` import was refused for files it cannot decode: import the rest. */
  async importSkippingBad(): Promise<void> {
    const request = this.job?.request;
    if (request) await this.startImport({ ...request, skipBad: true });
  }

  async startCuration(): Promise<void> {
    await this.startJob('curate', null, () => invoke('library:curate', {}));
  }

  /** Stops the running job; pressed before its id is known, it is sent as soon as it is. */
  async cancelJob(): Promise<void> {
    const job = this.job;
    if (!job || !jobRunning(job)) return;
    job.cancelRequested = true;
    if (job.jobId !== null) await this.sendCancel(job.jobId);
  }

  /**
   * Called as a job's dialog opens and closes: a job that has ended is forgotten, so no dialog
   * opens on an old result; a running one stays, to be followed.
   */
  forgetFinishedJob(): void {
    if (this.job && !jobRunning(this.job)) this.job = null;
  }

  /** A person says these flagged images show a face (see `library:keepFaces`). */
  async keepFaces(imageIds: readonly string[]): Promise<void> {
    if (imageIds.length === 0) return;
    await this.guard(async () => {
      await invoke('library:keepFaces', { imageIds: [...imageIds] });
      await this.refresh();
    });
  }

  /**
   * Opens the image at grid index `index` in the Label section, at its place in the unfiltered
   * library (the order the labeller steps through; the item carries it).
   */
  openInLabel(index: number, item: LibraryItem): void {
    this.selection = { ids: new Set([item.id]), anchor: index };
    studio.openInLabel({ imageId: item.id, position: item.position });
  }

  private scheduleStats(): void {
    if (this.statsTimer !== null) clearTimeout(this.statsTimer);
    this.statsTimer = setTimeout(async () => {
      this.statsTimer = null;
      try {
        this.stats = await invoke('library:stats', {});
      } catch {
        // The next change asks again; a refresh shows its own errors.
      }
    }, STATS_DEBOUNCE_MS);
  }

  private async startJob(
    kind: JobState['kind'],
    request: ImportRequest | null,
    start: () => Promise<{ jobId: string }>,
  ): Promise<void> {
    this.job = {
      jobId: null,
      kind,
      request,
      progress: null,
      done: null,
      error: null,
      cancelRequested: false,
    };
    const job = this.job;
    let jobId: string;
    try {
      jobId = (await start()).jobId;
    } catch (error) {
      job.error = describeError(error);
      return;
    }
    job.jobId = jobId;
    const early = this.early.get(jobId);
    this.early.delete(jobId);
    if (early?.progress && !job.progress) job.progress = early.progress;
    if (early?.done) job.done = early.done;
    if (job.cancelRequested && !job.done) await this.sendCancel(jobId);
  }

  private async sendCancel(jobId: string): Promise<void> {
    await this.guard(async () => void (await invoke('library:cancelImport', { jobId })));
  }

  private keepEarly(jobId: string, events: JobEvents): void {
    this.early.set(jobId, { ...this.early.get(jobId), ...events });
    while (this.early.size > EARLY_EVENTS_KEPT) {
      const oldest = this.early.keys().next().value;
      if (oldest === undefined) break;
      this.early.delete(oldest);
    }
  }

  /** Fetches one page of the current filter; dropped (aborted) on the way, it changes nothing. */
  private async loadPage(page: number): Promise<void> {
    const request = new AbortController();
    this.loading.set(page, request);
    let answer: ResponseOf<'library:list'>;
    try {
      answer = await invoke(
        'library:list',
        { offset: page * PAGE_SIZE, limit: PAGE_SIZE, filter: $state.snapshot(this.filter) },
        { signal: request.signal },
      );
    } catch (error) {
      if (isAbort(error)) return;
      throw error;
    } finally {
      if (this.loading.get(page) === request) this.loading.delete(page);
    }
    if (request.signal.aborted) return;
    this.total = answer.total;
    // A plain Map replaced whole ($state.raw), not a SvelteMap: the grid re-reads on replacement.
    // The first answer after a refresh replaces the older filter's pages in the same update.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const pages = new Map(this.stale ? [] : this.pages);
    this.stale = false;
    pages.set(page, answer.items);
    this.pages = pages;
  }

  private guard(action: () => Promise<void>): Promise<boolean> {
    return attempt(action, (message) => (this.error = message));
  }
}

export const library = new LibraryState();
