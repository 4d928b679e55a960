/**
 * The Library section's store against a scripted studio: how many requests a filter change, a
 * scroll or a burst of label saves costs, that an answer for an older filter is dropped, and
 * that a job's events are not lost when they outrun the answer that names the job.
 */
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventPayload } from '$shared/ipc-contract';
import type { LibraryItem } from '$shared/library';
import type { ImportRequest } from '../../../src-renderer/src/features/library/import-form';
import { deferred, settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import { libraryStats } from '../support/library-stats';

const STATS = libraryStats({
  total: 450,
  splits: { pool: 450, train: 0, val: 0, test: 0 },
  labelled: 10,
});

function item(n: number): LibraryItem {
  return {
    id: n.toString(16).padStart(64, '0'),
    path: `images/${n}.jpg`,
    width: 100,
    height: 100,
    split: 'pool',
    position: n,
    labelled: false,
    needsReview: false,
    expression: null,
  };
}

/** 450 images; a `labelled` filter keeps the first ten. */
function serveLibrary(): void {
  studio.handle('library:list', ({ offset, limit, filter }) => {
    const total = filter.labelled ? 10 : 450;
    const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) =>
      item(offset + i),
    );
    return { total, items };
  });
  studio.handle('library:stats', () => STATS);
  studio.handle('library:checkFiles', () => ({
    total: 450,
    missing: 0,
    examples: [],
    folders: [],
  }));
}

/** A fresh store (the module holds a singleton), started, with its first page in. */
async function started() {
  vi.resetModules();
  const { library, PAGE_SIZE } =
    await import('../../../src-renderer/src/features/library/library.svelte');
  serveLibrary();
  const stop = library.start();
  await settle();
  studio.calls.length = 0;
  return { library, PAGE_SIZE, stop };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('library store: filter and pages', () => {
  it('loads the first page, the stats and then the file check when it starts', async () => {
    vi.resetModules();
    const { library } = await import('../../../src-renderer/src/features/library/library.svelte');
    serveLibrary();
    library.start();
    await settle();
    expect(studio.channels()).toEqual(['library:list', 'library:stats', 'library:checkFiles']);
    expect(library.total).toBe(450);
    expect(library.itemAt(0)?.path).toBe('images/0.jpg');
    expect(library.stats).toEqual(STATS);
  });

  it('asks for one page (not the stats) per filter change, and clears the selection', async () => {
    const { library } = await started();
    library.click(3, library.itemAt(3)!, { shift: false, toggle: false });
    expect(library.selection.ids.size).toBe(1);
    library.setFilter({ labelled: true });
    await settle();
    expect(studio.requests('library:list')).toEqual([
      { offset: 0, limit: 200, filter: { labelled: true } },
    ]);
    // The stats count the whole library: a filter does not change them.
    expect(studio.requests('library:stats')).toHaveLength(0);
    expect(library.total).toBe(10);
    expect(library.selection.ids.size).toBe(0);
  });

  it("shows the old filter's tiles until the new first page answers, then only the new", async () => {
    const { library, PAGE_SIZE } = await started();
    library.ensureRange(0, 450);
    await settle();
    expect(library.itemAt(PAGE_SIZE)?.path).toBe(`images/${PAGE_SIZE}.jpg`);
    const slow = deferred<{ total: number; items: LibraryItem[] }>();
    // The first page answers when told; the others never do.
    studio.handle('library:list', ({ offset }) =>
      offset === 0 ? slow.promise : new Promise(() => undefined),
    );
    library.setFilter({ labelled: true });
    // No frame of placeholders: the grid keeps what it shows until there is something new.
    expect(library.itemAt(0)?.path).toBe('images/0.jpg');
    expect(library.total).toBe(450);
    // The grid asking for the pages it shows is not told they are loaded: they are the old ones.
    library.ensureRange(0, 450);
    expect(library.pagesLoading()).toEqual([0, 1, 2]);
    slow.resolve({ total: 10, items: [item(7)] });
    await settle();
    expect(library.total).toBe(10);
    expect(library.itemAt(0)?.path).toBe('images/7.jpg');
    expect(library.itemAt(PAGE_SIZE)).toBeUndefined();
  });

  it('asks for the stats beside the first page on a refresh, not after it', async () => {
    const { library } = await started();
    const slow = deferred<{ total: number; items: LibraryItem[] }>();
    studio.handle('library:list', () => slow.promise);
    const refreshed = library.refresh();
    await settle();
    expect(studio.channels()).toEqual(['library:list', 'library:stats']);
    slow.resolve({ total: 450, items: [item(0)] });
    await refreshed;
    expect(library.error).toBeNull();
  });

  it('drops an answer for a filter that was changed before it came', async () => {
    const { library } = await started();
    const slow = deferred<{ total: number; items: LibraryItem[] }>();
    studio.handle('library:list', () => slow.promise);
    library.setFilter({ labelled: true });
    serveLibrary(); // the next filter's answer comes at once
    library.setFilter({});
    await settle();
    slow.resolve({ total: 10, items: [item(7)] });
    await settle();
    expect(library.total).toBe(450);
    expect(library.itemAt(0)?.path).toBe('images/0.jpg');
  });

  it('costs one list request per filter change when an effect starts it', async () => {
    vi.resetModules();
    const { library } = await import('../../../src-renderer/src/features/library/library.svelte');
    serveLibrary();
    // As LibraryView starts it: reading the filter inside start() must not tie the effect to it.
    const stopRoot = $effect.root(() => {
      $effect(() => library.start());
    });
    flushSync();
    await settle();
    studio.calls.length = 0;
    library.setFilter({ labelled: true });
    flushSync();
    // The grid, asking for the first page while it is on its way, joins that request.
    library.ensureRange(0, 60);
    await settle();
    expect(studio.channels()).toEqual(['library:list']);
    expect(library.total).toBe(10);
    stopRoot();
  });

  it('drops the request for a page the grid scrolled past, and asks again on return', async () => {
    const { library, PAGE_SIZE } = await started();
    const passed = deferred<{ total: number; items: LibraryItem[] }>();
    studio.handle('library:list', () => passed.promise);
    library.ensureRange(PAGE_SIZE, 2 * PAGE_SIZE);
    expect(library.pagesLoading()).toEqual([1]);
    serveLibrary();
    library.ensureRange(2 * PAGE_SIZE, 450);
    expect(library.pagesLoading()).toEqual([2]);
    await settle();
    // The passed page's late answer changes nothing and is no error.
    passed.resolve({ total: 450, items: [item(PAGE_SIZE)] });
    await settle();
    expect(library.itemAt(PAGE_SIZE)).toBeUndefined();
    expect(library.itemAt(449)?.path).toBe('images/449.jpg');
    expect(library.error).toBeNull();
    library.ensureRange(PAGE_SIZE, 2 * PAGE_SIZE);
    await settle();
    expect(studio.requests('library:list').map((r) => r.offset)).toEqual([
      PAGE_SIZE,
      2 * PAGE_SIZE,
      PAGE_SIZE,
    ]);
    expect(library.itemAt(PAGE_SIZE)?.path).toBe(`images/${PAGE_SIZE}.jpg`);
  });

  it('leaves only the pages on screen waiting after a fast scroll through 100,000 images', async () => {
    const { library, PAGE_SIZE } = await started();
    // Answers never come during the scroll: every request stays on its way unless dropped.
    studio.handle('library:list', () => new Promise(() => undefined));
    const total = 100_000;
    const onScreen = 110; // ~11 rows of 10 tiles with the overscan
    const frames = 240; // 4 s at 60 frames per second
    let mostWaiting = 0;
    for (let frame = 1; frame <= frames; frame += 1) {
      const first = Math.floor((frame / frames) * (total - onScreen));
      library.ensureRange(first, first + onScreen);
      mostWaiting = Math.max(mostWaiting, library.pagesLoading().length);
    }
    // At no moment more than the pages on screen (110 tiles span two pages at most) wait.
    expect(mostWaiting).toBe(2);
    const last = total - onScreen;
    expect(library.pagesLoading()).toEqual(
      [Math.floor(last / PAGE_SIZE), Math.floor((total - 1) / PAGE_SIZE)].filter(
        (page, i, pages) => pages.indexOf(page) === i,
      ),
    );
  });

  it('drops the pages and stats of a refresh a filter change replaced', async () => {
    const { library } = await started();
    const slowStats = deferred<typeof STATS>();
    const slowPage = deferred<{ total: number; items: LibraryItem[] }>();
    studio.handle('library:list', () => slowPage.promise);
    studio.handle('library:stats', () => slowStats.promise);
    void library.refresh();
    library.ensureRange(0, 450);
    expect(library.pagesLoading()).toEqual([0, 1, 2]);
    serveLibrary();
    library.setFilter({ labelled: true });
    expect(library.pagesLoading()).toEqual([0]);
    await settle();
    slowPage.resolve({ total: 450, items: [item(7)] });
    slowStats.resolve({ ...STATS, labelled: 99 });
    await settle();
    expect(library.total).toBe(10);
    expect(library.stats?.labelled).toBe(10);
    expect(library.error).toBeNull();
  });

  it('loads each page a scroll reaches once, even when asked again while it loads', async () => {
    const { library, PAGE_SIZE } = await started();
    library.ensureRange(150, 420);
    library.ensureRange(180, 420);
    await settle();
    expect(studio.requests('library:list').map((r) => r.offset)).toEqual([
      PAGE_SIZE,
      2 * PAGE_SIZE,
    ]);
    expect(library.itemAt(449)?.path).toBe('images/449.jpg');
    library.ensureRange(0, 450);
    await settle();
    expect(studio.requests('library:list')).toHaveLength(2);
  });
});

describe('library store: label saves elsewhere', () => {
  it('reads the stats once after a burst of saved faces', async () => {
    const { library } = await started();
    for (let i = 0; i < 5; i += 1) {
      studio.emit('labels:changed', { faces: [{ imageId: item(i).id, revision: 1 }] });
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(studio.requests('library:stats')).toHaveLength(0);
    studio.handle('library:stats', () => ({ ...STATS, labelled: 15 }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(studio.requests('library:stats')).toHaveLength(1);
    expect(library.stats?.labelled).toBe(15);
  });
});

describe('library store: jobs', () => {
  const REQUEST: ImportRequest = {
    dir: '/data/faces',
    format: 'images',
    curate: false,
    placement: 'copy',
  };
  const DONE: EventPayload<'library:importDone'> = {
    jobId: 'import-1',
    added: 0,
    duplicates: 0,
    labelled: 0,
    flagged: 0,
    faces: { added: 0, unchanged: 0, kept: 0, overwritten: 0 },
    failed: [],
    cancelled: false,
  };

  it('keeps an end that arrives before the answer naming its job', async () => {
    const { library } = await started();
    const answer = deferred<{ jobId: string }>();
    studio.handle('library:importFolder', () => answer.promise);
    const starting = library.startImport(REQUEST);
    studio.emit('library:importDone', DONE);
    answer.resolve({ jobId: 'import-1' });
    await starting;
    expect(library.job?.jobId).toBe('import-1');
    expect(library.job?.done).toMatchObject({ jobId: 'import-1' });
  });

  it('sends a cancel pressed before the job had an id once the id is known', async () => {
    const { library } = await started();
    const answer = deferred<{ jobId: string }>();
    studio.handle('library:importFolder', () => answer.promise);
    studio.handle('library:cancelImport', () => ({ cancelled: true }));
    const starting = library.startImport(REQUEST);
    await library.cancelJob();
    expect(studio.requests('library:cancelImport')).toEqual([]);
    answer.resolve({ jobId: 'import-2' });
    await starting;
    expect(studio.requests('library:cancelImport')).toEqual([{ jobId: 'import-2' }]);
  });

  it('forgets an ended job as a dialog opens, and keeps a running one', async () => {
    const { library } = await started();
    studio.handle('library:importFolder', () => ({ jobId: 'import-1' }));
    await library.startImport(REQUEST);
    library.forgetFinishedJob();
    expect(library.job?.jobId).toBe('import-1');
    studio.emit('library:importDone', DONE);
    await settle();
    library.forgetFinishedJob();
    expect(library.job).toBeNull();
  });
});

describe('library store: the grid follows the project and opens faces', () => {
  it('reloads the grid when the project count moves, not when it stays', async () => {
    const { library } = await started();
    const summary = {
      dir: '/p',
      meta: {
        schemaVersion: 1,
        id: 'p',
        name: 'Faces',
        createdAt: '2026-12-03T10:00:00.000Z',
        landmarkSchema: 'ibug68',
        attributeSchema: null,
      },
      imageCount: 450,
      labelledCount: 10,
      needsReviewCount: 0,
    };
    studio.emit('project:changed', summary);
    await settle();
    expect(studio.channels()).toEqual([]);
    studio.emit('project:changed', { ...summary, imageCount: 490 });
    await settle();
    expect(studio.channels()).toEqual(['library:list', 'library:stats']);
    expect(library.total).toBe(450);
  });

  it('opens a tile of a filtered grid at its place in the whole library, asking nothing', async () => {
    const { library } = await started();
    const { studio: app } = await import('../../../src-renderer/src/lib/app.svelte');
    const asked = studio.channels().length;
    // Grid index 3 under a filter is library image 203 (the item says so).
    library.openInLabel(3, item(203));
    expect(app.section).toBe('label');
    expect(app.takeLabelTarget()).toEqual({ imageId: item(203).id, position: 203 });
    expect(app.takeLabelTarget()).toBeNull();
    expect([...library.selection.ids]).toEqual([item(203).id]);
    expect(studio.channels()).toHaveLength(asked);
  });

  it('keeps flagged faces and reloads the grid', async () => {
    const { library } = await started();
    studio.handle('library:keepFaces', () => ({ updated: 1 }));
    await library.keepFaces([item(1).id]);
    expect(studio.requests('library:keepFaces')).toEqual([{ imageIds: [item(1).id] }]);
    expect(studio.channels()).toEqual(['library:keepFaces', 'library:list', 'library:stats']);
  });
});
