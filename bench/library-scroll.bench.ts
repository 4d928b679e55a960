/**
 * Library in a browser at 100,000 images (`npm run bench:scroll`): the issue-21 scenario. Builds a
 * project of 100,000 records and 10,000 98-point faces (bench-project.ts; every record a HELEN
 * photo hard-linked under its path, no thumbnail made yet), starts `face-studio serve` on it
 * (the built renderer: run `npm run build:renderer` first) and drives Debian's Chromium at
 * 1440×900:
 * - project open → first thumbnail shown;
 * - a filter change: the list and stats requests it sends, the time to the new count and grid, and
 *   to every visible thumbnail;
 * - a fast scroll from top to bottom in 4 s (a scrollTop step per frame): the list and thumbnail
 *   requests sent and aborted, and the time from the scroll's end until every tile on screen
 *   shows its thumbnail;
 * - Label opened right after (double-click on the last labelled tile) → its image shown, then its
 *   points.
 * Times are wall clock on whatever machine runs it; the server's CPU time (its /proc stat) is
 * printed beside them. Pass a folder to keep the built project there and reuse it next time, and
 * `--images=1000000` for the 1M figures.
 *
 * Thumbnails: by default (`--thumbnails=cold`) every run starts with none made, so the first
 * screen makes its own. `--thumbnails=ahead` is a project reopened after its thumbnails were made
 * ahead in the background (core/library/thumbnails-ahead.ts): every record gets the thumbnail of
 * the HELEN photo its file is linked to, made once per photo through the same pipeline and
 * hard-linked under each image's id, so it is there in minutes rather than the hours 100,000
 * makes would take on a small machine.
 */
import { access, link, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page, type Request } from 'playwright-core';
import { openImage } from '../src-main/core/library/image-source';
import { thumbnailPath, writeThumbnail } from '../src-main/core/library/thumbnails';
import { imageId, imageRecord } from '../tests/support/project-data';
import { startServe } from '../tests/support/serve-process';
import { buildBenchProject, HELEN_TRAIN, linkHelenImages } from './bench-project';

/** The DOM names the functions run in the page use (this file compiles without the DOM lib). */
interface Box {
  top: number;
  bottom: number;
}
interface PageImage {
  complete: boolean;
  naturalWidth: number;
  getBoundingClientRect(): Box;
}
interface PageGrid {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  getBoundingClientRect(): Box;
  querySelectorAll(selector: 'img'): Iterable<PageImage>;
}
declare const document: { querySelector(selector: string): PageGrid | null };
declare function requestAnimationFrame(callback: () => void): number;

const args = process.argv.slice(2);
/** `--images=N` (default 100,000; 1,000,000 works: build once into a kept folder). */
const IMAGES = Number(args.find((arg) => arg.startsWith('--images='))?.slice(9) ?? 100_000);
const FACES = 10_000;
const POINTS = 98;
const SCROLL_MS = 4_000;
/** Filter changes timed (split val, then any, …). */
const FILTER_RUNS = 6;
/** `--thumbnails=ahead`: every thumbnail made before the run; `cold` (default): none. */
const THUMBNAILS = args.find((arg) => arg.startsWith('--thumbnails='))?.slice(13) ?? 'cold';
if (THUMBNAILS !== 'cold' && THUMBNAILS !== 'ahead') {
  throw new Error(`--thumbnails=${THUMBNAILS}: expected cold or ahead`);
}

const keep = args.find((arg) => !arg.startsWith('--'));
const root = keep ? path.resolve(keep) : await mkdtemp(path.join(os.tmpdir(), 'fs-scroll-bench-'));
const dir = path.join(root, 'project');
const dataDir = path.join(root, 'data');

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

if (!(await exists(path.join(dir, 'project.json')))) {
  const started = performance.now();
  await buildBenchProject(dir, { images: IMAGES, faces: FACES, points: POINTS });
  await linkHelenImages(
    dir,
    (function* () {
      for (let n = 0; n < IMAGES; n += 1) yield imageRecord(n);
    })(),
  );
  console.log(`built ${IMAGES} images in ${Math.round(performance.now() - started)} ms`);
}

const thumbsDir = path.join(dir, 'cache', 'thumbs');

/**
 * Every image's thumbnail, as thumbnails-ahead.ts leaves them: image n's file is a link to HELEN
 * photo n mod photos (linkHelenImages), so its thumbnail is that photo's, made once per photo.
 */
async function makeThumbnailsAhead(): Promise<void> {
  const started = performance.now();
  const photos = (await readdir(HELEN_TRAIN)).filter((name) => name.endsWith('.jpg')).sort();
  const perPhoto = path.join(root, 'photo-thumbs');
  for (const [i, photo] of photos.entries()) {
    await writeThumbnail(
      (await openImage(path.join(HELEN_TRAIN, photo))).pipeline(),
      perPhoto,
      String(i),
    );
  }
  await mkdir(thumbsDir, { recursive: true });
  const made = new Set(await readdir(thumbsDir));
  const pending: Promise<void>[] = [];
  for (let n = 0; n < IMAGES; n += 1) {
    const id = imageId(n);
    if (made.has(`${id}.webp`)) continue;
    const photoThumb = thumbnailPath(perPhoto, String(n % photos.length));
    pending.push(link(photoThumb, thumbnailPath(thumbsDir, id)));
    if (pending.length >= 256) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  console.log(
    `thumbnails made ahead: ${IMAGES - made.size} linked in ${Math.round(performance.now() - started)} ms`,
  );
}

if (THUMBNAILS === 'ahead') await makeThumbnailsAhead();
// Cold: every run starts with no thumbnail made (a kept project keeps those of the last run).
else await rm(thumbsDir, { recursive: true, force: true });

// The project is opened by the page, not at start: a minute is room enough on a busy machine.
const { server, url } = await startServe(dataDir, root, 60_000);
/** The server's user + system CPU so far, ms (Linux /proc; clock ticks of 10 ms). */
async function serverCpuMs(): Promise<number> {
  const stat = (await readFile(`/proc/${server.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) * 10;
}
/** Thumbnails in the project's cache so far. */
async function countThumbnails(): Promise<number> {
  return (await readdir(thumbsDir).catch(() => [])).length;
}
/** Every tile on screen shows a loaded thumbnail. */
function visibleThumbnailsShown(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const grid = document.querySelector('[data-testid="thumbnail-grid"]')!;
    const box = grid.getBoundingClientRect();
    const images = [...grid.querySelectorAll('img')].filter((img) => {
      const r = img.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });
    return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
  });
}

/**
 * A script for the page that times the next click (Open) in the page itself: from it until the
 * count reads `count` images and every thumbnail in view has loaded (checked each frame), with
 * the requests sent from the click (resource timing), into `window.open_`.
 */
function measureOpen(count: number): string {
  return `(() => {
    window.open_ = null;
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(10000);
    const shown = () => {
      const counter = document.querySelector('[data-testid="library-count"]');
      const grid = document.querySelector('[data-testid="thumbnail-grid"]');
      if (!counter || !grid || counter.textContent.trim() !== '${count} images') return false;
      const box = grid.getBoundingClientRect();
      const images = [...grid.querySelectorAll('img')].filter((img) => {
        const r = img.getBoundingClientRect();
        return r.bottom > box.top && r.top < box.bottom;
      });
      return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
    };
    document.addEventListener('click', () => {
      const t0 = performance.now();
      const frame = () => {
        if (!shown()) return void requestAnimationFrame(frame);
        window.open_ = {
          shown: performance.now() - t0,
          steps: performance
            .getEntriesByType('resource')
            .filter((e) => e.startTime >= t0)
            .map((e) => [new URL(e.name).pathname.split('/').slice(0, 3).join('/'), Math.round(e.startTime - t0), Math.round(e.responseEnd - t0)]),
        };
      };
      requestAnimationFrame(frame);
    }, { capture: true, once: true });
  })()`;
}

/** `[name, sent, answered]` steps as one line, runs of the same name (thumbnails) summed up. */
function stepLine(steps: [string, number, number][]): string {
  const parts: string[] = [];
  for (let i = 0; i < steps.length;) {
    const [name, sent, answered] = steps[i]!;
    let j = i + 1;
    let last = answered;
    while (j < steps.length && steps[j]![0] === name && name !== '/api/invoke') {
      last = Math.max(last, steps[j]![2]);
      j += 1;
    }
    parts.push(j - i > 1 ? `${name} ×${j - i} ${sent}→${last}` : `${name} ${sent}→${answered}`);
    i = j;
  }
  return parts.join(', ');
}

function percentileOf(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * A script for the page that times the next filter change: from its change event until the count
 * reads `count` images and the second tile shows `secondPath` with no placeholder in view (shown),
 * then the frame after (painted), into `window.filterChange_`. A string: the page has none of the
 * helpers tsx might wrap a function with.
 */
function measureFilterChange(count: number, secondPath: string): string {
  return `(() => {
    window.filterChange_ = null;
    const section = document.querySelector('.library');
    const grid = document.querySelector('[data-testid="thumbnail-grid"]');
    const counter = document.querySelector('[data-testid="library-count"]');
    let t0 = null;
    const shown = () => {
      if (counter.textContent.trim() !== '${count} images') return false;
      const second = grid.querySelectorAll('li')[1];
      const tile = second && second.querySelector('[data-testid="tile"]');
      if (!tile || tile.getAttribute('title') !== ${JSON.stringify(secondPath)}) return false;
      const box = grid.getBoundingClientRect();
      return [...grid.querySelectorAll('li')].every((li) => {
        const r = li.getBoundingClientRect();
        return r.bottom <= box.top || r.top >= box.bottom || li.querySelector('[data-testid="tile"]');
      });
    };
    const observer = new MutationObserver(() => {
      if (t0 === null || !shown()) return;
      observer.disconnect();
      const result = { shown: performance.now() - t0 };
      requestAnimationFrame(() => setTimeout(() => {
        result.painted = performance.now() - t0;
        window.filterChange_ = result;
      }, 0));
    });
    observer.observe(section, { subtree: true, childList: true, characterData: true, attributes: true });
    section.addEventListener('change', () => (t0 = performance.now()), { capture: true, once: true });
  })()`;
}

/**
 * The views timed, each with what shows it is open: the labeller's image (with the first image's
 * face on it), Train's run list answered, Models' shelf answered (the bench project has neither
 * runs nor models).
 */
const VIEWS: [string, string][] = [
  ['Label', `document.querySelector('[data-testid="labelling-stage"][data-image-ready="true"]')`],
  ['Train', `document.body.textContent.includes('No run yet')`],
  ['Models', `document.body.textContent.includes('No models yet')`],
];

/**
 * A script for the page that times the next click: from it until `condition` (a JS expression)
 * holds after a DOM change (shown), then the frame after (painted), into `window.until_`.
 */
function measureUntil(condition: string): string {
  return `(() => {
    window.until_ = null;
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(10000);
    let t0 = null;
    const observer = new MutationObserver(() => {
      if (t0 === null || !(${condition})) return;
      observer.disconnect();
      const result = { shown: performance.now() - t0, steps: performance
        .getEntriesByType('resource')
        .filter((e) => e.startTime >= t0)
        .map((e) => [new URL(e.name).pathname, Math.round(e.startTime - t0), Math.round(e.responseEnd - t0)]) };
      requestAnimationFrame(() => setTimeout(() => {
        result.painted = performance.now() - t0;
        window.until_ = result;
      }, 0));
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    document.addEventListener('click', () => (t0 = performance.now()), { capture: true, once: true });
  })()`;
}

/**
 * Polls `expression` in the page until it is not null (a string evaluated through the debugging
 * protocol: the page's CSP allows no eval, which waitForFunction's polling needs).
 */
async function pageValue(page: Page, expression: string, limitMs: number): Promise<unknown> {
  let value: unknown = null;
  const found = await until(
    async () => (value = await page.evaluate(expression)) !== null,
    limitMs,
  );
  if (found === null) throw new Error(`${expression} still null after ${limitMs} ms`);
  return value;
}

async function until(check: () => Promise<boolean>, limitMs: number): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await check()) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const requests = { list: 0, stats: 0, thumbs: 0, aborted: 0, thumbsAborted: 0 };
  page.on('request', (request) => {
    if (request.url().includes('/media/thumb/')) requests.thumbs += 1;
    if (!request.url().endsWith('/api/invoke')) return;
    const channel = (request.postDataJSON() as { channel: string }).channel;
    if (channel === 'library:list') requests.list += 1;
    if (channel === 'library:stats') requests.stats += 1;
  });
  /** Node-side times (performance.now) of the requests after the scroll, for the breakdown. */
  const after = {
    from: Infinity,
    listDone: [] as number[],
    thumbSent: [] as number[],
    thumbDone: [] as number[],
  };
  page.on('request', (request) => {
    const now = performance.now();
    if (now >= after.from && request.url().includes('/media/thumb/')) after.thumbSent.push(now);
  });
  page.on('requestfinished', (request) => {
    const now = performance.now();
    if (now < after.from) return;
    if (request.url().includes('/media/thumb/')) after.thumbDone.push(now);
    else if (request.url().endsWith('/api/invoke')) {
      const channel = (request.postDataJSON() as { channel: string }).channel;
      if (channel === 'library:list') after.listDone.push(now);
    }
  });
  page.on('requestfailed', (request) => {
    if (request.url().endsWith('/api/invoke')) requests.aborted += 1;
    if (request.url().includes('/media/thumb/')) requests.thumbsAborted += 1;
  });
  const reset = () => Object.keys(requests).forEach((k) => (requests[k as 'list'] = 0));

  // The click on Open with the project's folder typed in (the home page is loaded already).
  await page.goto(url);
  await page.getByLabel('Project folder to open').fill(dir);
  await page.evaluate(measureOpen(IMAGES));
  const cpu0 = await serverCpuMs();
  const openStart = performance.now();
  const opened = page.waitForResponse(
    (response) =>
      response.url().endsWith('/api/invoke') &&
      (response.request().postDataJSON() as { channel: string }).channel === 'project:open',
    { timeout: 120_000 },
  );
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await opened;
  const openApiMs = performance.now() - openStart;
  await page
    .getByTestId('library-count')
    .filter({ hasText: `${IMAGES} images` })
    .waitFor({ timeout: 120_000 });
  const thumbsMs = await until(() => visibleThumbnailsShown(page), 120_000);
  const openMs = performance.now() - openStart;
  console.log(
    `open: project:open ${Math.round(openApiMs)} ms, → every visible thumbnail ` +
      `${thumbsMs === null ? '> 120 s' : `${Math.round(openMs)} ms`} ` +
      `(server CPU ${(await serverCpuMs()) - cpu0} ms)`,
  );
  const inPage = (await pageValue(page, 'window.open_', 120_000)) as {
    shown: number;
    steps: [string, number, number][];
  };
  console.log(
    `  in the page, click → every visible thumbnail ${Math.round(inPage.shown)} ms; ` +
      `requests (sent→answered, ms): ${stepLine(inPage.steps)}`,
  );

  // Filter changes, split val ↔ any: the time Playwright's selectOption + waitFor take, and in
  // the page from the change event to the count and the grid's tiles showing the new filter
  // (a MutationObserver), and to the next frame after that (painted).
  const filterRuns: { driven: number; shown: number; painted: number; thumbs: number }[] = [];
  reset();
  const filterCpu0 = await serverCpuMs();
  for (let run = 0; run < FILTER_RUNS; run += 1) {
    const val = run % 2 === 0;
    const expectedCount = val ? IMAGES / 10 : IMAGES;
    // The second image of the filter: image 10 (val holds every tenth), or image 1.
    const expectedSecond = imageRecord(val ? 10 : 1).path;
    await page.evaluate(measureFilterChange(expectedCount, expectedSecond));
    const filterStart = performance.now();
    await page
      .getByRole('form', { name: 'Filters' })
      .getByLabel('Split')
      .selectOption(val ? 'val' : '');
    await page
      .getByTestId('library-count')
      .filter({ hasText: `${expectedCount} images` })
      .waitFor();
    const driven = performance.now() - filterStart;
    const inPage = (await pageValue(page, 'window.filterChange_', 60_000)) as {
      shown: number;
      painted: number;
    };
    await until(() => visibleThumbnailsShown(page), 60_000);
    filterRuns.push({ driven, ...inPage, thumbs: performance.now() - filterStart });
  }
  // Room for a request sent late (a stats or a second list) to be counted.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const median = (pick: (run: (typeof filterRuns)[number]) => number) =>
    Math.round(percentileOf(filterRuns.map(pick), 50));
  console.log(
    `filter change (${FILTER_RUNS}, split val ↔ any), medians: in the page, change → count and ` +
      `grid shown ${median((r) => r.shown)} ms, painted ${median((r) => r.painted)} ms; driven ` +
      `(selectOption → count seen) ${median((r) => r.driven)} ms; → every visible thumbnail ` +
      `${median((r) => r.thumbs)} ms; ${requests.list} list and ${requests.stats} stats requests ` +
      `in all; server CPU ${(await serverCpuMs()) - filterCpu0} ms`,
  );
  console.log(
    `  each (shown/painted/driven ms): ` +
      filterRuns
        .map((r) => [r.shown, r.painted, r.driven].map((x) => Math.round(x)).join('/'))
        .join(', '),
  );
  if (FILTER_RUNS % 2 === 1) {
    await page.getByRole('form', { name: 'Filters' }).getByLabel('Split').selectOption('');
    await page
      .getByTestId('library-count')
      .filter({ hasText: `${IMAGES} images` })
      .waitFor();
  }
  await until(() => visibleThumbnailsShown(page), 60_000);

  // Label, Train and Models opened from the Library (each, then back): in the page, from the
  // click to the view's content shown (its requests answered) and painted.
  const sections = page.getByRole('navigation', { name: 'Project sections' });
  const viewTimes: string[] = [];
  for (const [name, ready] of VIEWS) {
    await page.evaluate(measureUntil(ready));
    const channels: string[] = [];
    const record = (request: Request) => {
      if (request.url().endsWith('/api/invoke'))
        channels.push((request.postDataJSON() as { channel: string }).channel);
    };
    page.on('request', record);
    await sections.getByRole('button', { name, exact: true }).click();
    const shown = (await pageValue(page, 'window.until_', 120_000)) as {
      shown: number;
      painted: number;
      steps: [string, number, number][];
    };
    page.off('request', record);
    viewTimes.push(`${name} ${Math.round(shown.shown)}/${Math.round(shown.painted)}`);
    // The page's own times of its requests from the click (the invoke channels in sending order).
    let invoked = 0;
    const steps = shown.steps.map(
      ([pathname, start, end]) =>
        `${pathname === '/api/invoke' ? (channels[invoked++] ?? 'invoke') : pathname.split('/').slice(0, 3).join('/')} ${start}→${end}`,
    );
    console.log(`  ${name}'s requests from the click (sent→answered, ms): ${steps.join(', ')}`);
    await sections.getByRole('button', { name: 'Library', exact: true }).click();
    await page
      .getByTestId('library-count')
      .filter({ hasText: `${IMAGES} images` })
      .waitFor();
    await until(() => visibleThumbnailsShown(page), 60_000);
  }
  console.log(`views opened, click → shown/painted ms: ${viewTimes.join(', ')}`);

  reset();
  const cpu1 = await serverCpuMs();
  await page.evaluate(async (ms) => {
    const grid = document.querySelector('[data-testid="thumbnail-grid"]')!;
    const start = performance.now();
    for (;;) {
      await new Promise<void>((resolve) => requestAnimationFrame(resolve));
      const t = Math.min(1, (performance.now() - start) / ms);
      grid.scrollTop = t * (grid.scrollHeight - grid.clientHeight);
      if (t >= 1) break;
    }
  }, SCROLL_MS);
  const scrolled = { ...requests };
  const scrollEnd = performance.now();
  after.from = scrollEnd;
  const thumbsBefore = await countThumbnails();
  const cpuScrolled = await serverCpuMs();
  const bottomMs = await until(() => visibleThumbnailsShown(page), 300_000);
  const cpuBottom = (await serverCpuMs()) - cpuScrolled;
  const since = (times: number[], pick: 'first' | 'last') =>
    times.length === 0
      ? '–'
      : `${Math.round((pick === 'first' ? Math.min(...times) : Math.max(...times)) - scrollEnd)} ms`;
  console.log(
    `  after the scroll: last list answer ${since(after.listDone, 'last')}, ` +
      `${after.thumbSent.length} thumbnails asked (first ${since(after.thumbSent, 'first')}), ` +
      `${after.thumbDone.length} answered (last ${since(after.thumbDone, 'last')}); ` +
      `${(await countThumbnails()) - thumbsBefore} thumbnails written meanwhile; ` +
      `server CPU ${cpuBottom} ms from the scroll's end to the last thumbnail on screen`,
  );
  console.log(
    `fast scroll (${SCROLL_MS} ms): ${scrolled.list} list requests (${scrolled.aborted} aborted), ` +
      `${scrolled.thumbs} thumbnail requests (${scrolled.thumbsAborted} aborted); ` +
      `bottom thumbnails ${bottomMs === null ? '> 300 s' : `${Math.round(bottomMs)} ms`} after ` +
      `the scroll ended (server CPU ${(await serverCpuMs()) - cpu1} ms)`,
  );

  // The last labelled tile on screen (a face on every IMAGES / FACES-th image), opened at once; at
  // 1M none may be on screen, then the last tile (an image without a face).
  const labelledTiles = page
    .getByTestId('tile')
    .filter({ has: page.getByTestId('label-badge').filter({ hasText: /^Labelled$/ }) });
  const labelled = (await labelledTiles.count()) > 0;
  const file =
    (await (labelled ? labelledTiles : page.getByTestId('tile')).last().getAttribute('title')) ??
    '';
  // Every request from the double-click on, with when it was sent and answered.
  const steps: string[] = [];
  const sent = new Map<object, number>();
  let labelStart = Number.POSITIVE_INFINITY;
  const stepName = (url: string, body: unknown) =>
    url.endsWith('/api/invoke')
      ? (body as { channel: string }).channel
      : (/\/media\/(\w+)\//.exec(url)?.[1] ?? 'other');
  page.on('request', (request) => sent.set(request, performance.now()));
  const answered = (request: Request, failed: boolean) => {
    const start = sent.get(request);
    if (start === undefined || start < labelStart) return;
    const name = stepName(request.url(), request.postDataJSON());
    steps.push(
      `${name} ${Math.round(start - labelStart)}→${Math.round(performance.now() - labelStart)}` +
        (failed ? ' (dropped)' : ''),
    );
  };
  page.on('requestfinished', (request) => answered(request, false));
  page.on('requestfailed', (request) => answered(request, true));
  labelStart = performance.now();
  await page.locator(`[data-testid="tile"][title="${file}"]`).dblclick();
  const stage = page.locator('[data-testid="labelling-stage"][data-image-ready="true"]');
  await stage.waitFor({ timeout: 120_000 });
  const imageMs = performance.now() - labelStart;
  if (labelled) {
    await page
      .locator(`[data-testid="labelling-stage"][data-labelled="${POINTS}"]`)
      .waitFor({ timeout: 120_000 });
  }
  console.log(
    `Label after the scroll (${file}): image shown ${Math.round(imageMs)} ms` +
      (labelled
        ? `, its ${POINTS} points ${Math.round(performance.now() - labelStart)} ms`
        : ' (no face)'),
  );
  console.log(`  requests after the double-click (sent→answered, ms): ${steps.join(', ')}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  if (!keep) await rm(root, { recursive: true, force: true });
}
