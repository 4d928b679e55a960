/**
 * The Library at 100,000 images (issue 21): a project written directly by the benchmarks' builder
 * (100,000 records, a labelled 68-point face on every 20th; each record a hard link to a HELEN
 * photo, so it costs a directory entry, not a copy), a fast scroll from top to bottom, and Label
 * opened on a face at once. What the user sees is asserted: the face's image and its 68 points,
 * not "Loading…". How long it takes is not a bound here (a loaded machine would make it flaky): it
 * is printed as an annotation, and `npm run bench:scroll` reports it.
 */
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { buildBenchProject, linkHelenImages } from '../../bench/bench-project';
import { imageId, imageRecord } from '../support/project-data';
import { api, env, startAtHome } from './studio';

const IMAGES = 100_000;
/** Every 20th image labelled: the last rows of the grid always hold one. */
const FACES = 5_000;
const POINTS = 68;
/** The scroll from top to bottom: a few hundred grid pages passed in one fling. */
const SCROLL_MS = 2_000;
/** Hang guard for the face to show: far above the second, far below the test's time. */
const SHOWN_WITHIN_MS = 60_000;

/** The DOM the in-page scroll uses (this file compiles without the DOM lib). */
interface PageGrid {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
}
declare const document: { querySelector(selector: string): PageGrid | null };
declare function requestAnimationFrame(callback: () => void): number;

/**
 * Scrolls the grid from its top to its bottom in `ms`, one step a frame, as a fling does. The grid
 * hears of the last step in the frame after (a scroll event), so it may still show the step
 * before's rows when this returns.
 */
function flingToBottom(page: Page, ms: number): Promise<void> {
  return page.evaluate(async (duration) => {
    const grid = document.querySelector('[data-testid="thumbnail-grid"]')!;
    const start = performance.now();
    for (;;) {
      await new Promise<void>((resolve) => requestAnimationFrame(resolve));
      const t = Math.min(1, (performance.now() - start) / duration);
      grid.scrollTop = t * (grid.scrollHeight - grid.clientHeight);
      if (t >= 1) break;
    }
  }, ms);
}

/** The image's number in the builder's file name, `images/batch-K/face-N.jpg`. */
function imageNumber(file: string): number {
  return Number(/face-(\d+)\.jpg$/.exec(file)?.[1]);
}

test('after a fast scroll through 100,000 images, Label shows the face opened at once', async ({
  page,
}) => {
  // Building the project (~1 min on a loaded machine) and opening it (~15 s) dominate.
  test.setTimeout(600_000);
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), 'library-100k');
  await buildBenchProject(dir, { images: IMAGES, faces: FACES, points: POINTS });
  const records = (function* () {
    for (let n = 0; n < IMAGES; n += 1) yield imageRecord(n);
  })();
  expect(await linkHelenImages(dir, records)).toBe(IMAGES);

  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();
  await expect(page.getByTestId('library-count')).toHaveText(`${IMAGES} images`, {
    timeout: 120_000,
  });
  const grid = page.getByTestId('thumbnail-grid');
  await expect(grid.getByTestId('tile').first()).toBeVisible();

  const aborted: string[] = [];
  page.on('requestfailed', (request) => {
    if (request.url().endsWith('/api/invoke')) aborted.push(request.url());
  });
  await flingToBottom(page, SCROLL_MS);

  // The grid comes to show the last rows: the last labelled tile is among the last 100 images,
  // by the number in its file's name. Polled: right after the fling the grid may still show the
  // rows of its step before (CI once read 99,580), and a tile shows its badge once its page is
  // answered.
  const labelled = grid
    .getByTestId('tile')
    .filter({ has: page.getByTestId('label-badge').filter({ hasText: /^Labelled$/ }) })
    .last();
  let file = '';
  await expect
    .poll(
      async () => {
        file = (await labelled.getAttribute('title', { timeout: SHOWN_WITHIN_MS })) ?? '';
        return imageNumber(file);
      },
      { message: 'the last labelled tile shown', timeout: SHOWN_WITHIN_MS },
    )
    .toBeGreaterThan(IMAGES - 100);
  const n = imageNumber(file);
  const tile = grid.locator(`[data-testid="tile"][title="${file}"]`);
  const opened = Date.now();
  await tile.dblclick();

  const stage = page.getByTestId('labelling-stage');
  await expect(stage).toHaveAttribute('data-image-id', imageId(n), { timeout: SHOWN_WITHIN_MS });
  await expect(stage).toHaveAttribute('data-image-ready', 'true', { timeout: SHOWN_WITHIN_MS });
  await expect(stage).toHaveAttribute('data-labelled', String(POINTS), {
    timeout: SHOWN_WITHIN_MS,
  });
  await expect(page.getByText('Loading…')).toHaveCount(0);
  await expect(page.getByTestId('image-position')).toHaveText(
    new RegExp(`^\\s*${n + 1} / ${IMAGES}\\s*$`),
  );
  const shown = `${Date.now() - opened} ms (the issue asks for 1 s; bench:scroll measures it)`;
  test.info().annotations.push({ type: 'Label shown after the scroll', description: shown });
  console.log(`100k library: Label shown after the scroll in ${shown}`);
  // The fling passed hundreds of grid pages: those it left behind were dropped, not answered.
  expect(aborted.length).toBeGreaterThan(0);
});
