/**
 * The import dialog when an import cannot go ahead or is stopped: an empty folder is refused at
 * once and the dialog closes; a job that fails at once is shown even when its end reaches the
 * page before the answer that names the job (it used to stay on "0 / … images" for good); a
 * folder with an image that cannot be decoded lists it and asks before importing the rest; and
 * Cancel stops an import, also when pressed before the job's id came back, with nothing imported.
 * An import that detects faces names each of its stages with the stage's own count.
 */
import { copyFile, cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page, type Route } from '@playwright/test';
import sharp from 'sharp';
import { stagesOf, type JobPlan } from '../../src-main/shared/library';
import { HELEN, helenNames } from './helen-face';
import { env, startAtHome } from './studio';

const BAD_IMAGES = fileURLToPath(new URL('../fixtures/bad-input/images', import.meta.url));
/** The import of the stages test: images, faces detected, copied into the project. */
const DETECT_AND_COPY: JobPlan = { kind: 'import', labelled: false, curate: true, copy: true };
const CK48 = fileURLToPath(new URL('../../../shared/data/ck48', import.meta.url));

/** A fresh project (named after the test, so a retried worker makes no clash), dialog shown. */
async function openImportDialog(page: Page): Promise<ReturnType<Page['getByRole']>> {
  const name = `import-flow-${test.info().testId}`;
  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await page.getByLabel('Project name').fill(name);
  await page.getByLabel('Project folder', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByTestId('library-count')).toHaveText('0 images');
  await page.getByRole('button', { name: 'Import…' }).click();
  return page.getByRole('dialog', { name: 'Import images' });
}

/** A folder inside the projects root (browser mode confines imports to it). */
async function folder(name: string): Promise<string> {
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function writeJpegs(dir: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await sharp({
      create: { width: 32, height: 40, channels: 3, background: { r: 60 * i, g: 120, b: 30 } },
    })
      .jpeg()
      .toFile(path.join(dir, `small-${i}.jpg`));
  }
}

/** Holds the page's `library:importFolder` request until `release` is called. */
function holdImportRequest(page: Page): Promise<{ route: Route; release: () => Promise<void> }> {
  return new Promise((resolve) => {
    void page.route('**/api/invoke', async (route) => {
      const body = route.request().postDataJSON() as { channel?: string };
      if (body.channel !== 'library:importFolder') return route.continue();
      resolve({ route, release: () => route.continue() });
    });
  });
}

test('an empty folder is refused at once and the dialog closes', async ({ page }) => {
  await folder('empty-folder');
  const dialog = await openImportDialog(page);
  await dialog.getByLabel('Folder to import').fill('empty-folder');
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByRole('alert')).toContainText('empty-folder is empty: nothing to import');
  await expect(dialog.getByRole('button', { name: 'Start import' })).toBeEnabled();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('library-count')).toHaveText('0 images');
});

test('a job that fails before its id reaches the page still shows its error', async ({ page }) => {
  // Images only, imported as .pts: the folder is not empty, so the job starts, then fails.
  await writeJpegs(await folder('not-pts'), 2);
  const doneEvents: string[] = [];
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      if (String(payload).includes('library:importDone')) doneEvents.push(String(payload));
    }),
  );
  // The answer naming the job is held back until the job's end has reached the page.
  await page.route('**/api/invoke', async (route) => {
    const body = route.request().postDataJSON() as { channel?: string };
    if (body.channel !== 'library:importFolder') return route.continue();
    const response = await route.fetch();
    await expect.poll(() => doneEvents.length).toBeGreaterThan(0);
    await route.fulfill({ response });
  });
  const dialog = await openImportDialog(page);
  await dialog.getByLabel('Folder to import').fill('not-pts');
  await dialog.getByLabel('Format').selectOption('pts');
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Import failed:');
  await expect(dialog.locator('.problems')).toContainText('no .pts files found');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('a folder with an image that cannot be decoded lists it and asks', async ({ page }) => {
  const dir = await folder('one-bad-image');
  await writeJpegs(dir, 2);
  await copyFile(path.join(BAD_IMAGES, 'truncated.png'), path.join(dir, 'broken.png'));
  const dialog = await openImportDialog(page);
  await dialog.getByLabel('Folder to import').fill('one-bad-image');
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByRole('alert')).toContainText(
    '1 file cannot be decoded; nothing was imported',
  );
  const failed = dialog.getByRole('table', { name: 'Files that cannot be decoded' });
  await expect(failed).toContainText('broken.png');
  await expect(dialog.getByText('Import the 2 good images and skip these?')).toBeVisible();
  await expect(page.getByTestId('library-count')).toHaveText('0 images');
  await dialog.getByRole('button', { name: 'Import 2 good images' }).click();
  await expect(dialog.getByText('Import finished: 2 added')).toBeVisible();
  await expect(dialog.getByRole('table', { name: 'Files that were not imported' })).toContainText(
    'broken.png',
  );
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('library-count')).toHaveText('2 images');
});

/**
 * Page script: keeps each new text of the running stage's line in `window.stageLines`, and the
 * stage list's stages (their `data-stage`, in order) the first time the list is drawn in
 * `window.stageList`.
 */
const STAGE_RECORDER = `{
  const seen = (window.stageLines = []);
  window.stageList = [];
  new MutationObserver(() => {
    const line = document.querySelector('[data-testid="job-stage"]')?.textContent?.trim();
    if (line && line !== seen.at(-1)) seen.push(line);
    const items = [...document.querySelectorAll('[data-stage]')].map((li) => li.dataset.stage);
    if (window.stageList.length === 0 && items.length > 0) window.stageList = items;
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}`;

test('an import that detects faces names each stage with its own count', async ({ page }) => {
  test.setTimeout(120_000);
  const dir = await folder('stages');
  for (const name of (await helenNames(HELEN)).slice(0, 4)) {
    await copyFile(path.join(HELEN, `${name}.jpg`), path.join(dir, `${name}.jpg`));
  }
  const dialog = await openImportDialog(page);
  // The box sits left of its words, on their line.
  const curate = dialog.getByLabel('Detect faces and flag near-duplicates after the import');
  const words = dialog.getByText('Detect faces and flag near-duplicates after the import');
  const [box, text] = [await curate.boundingBox(), await words.boundingBox()];
  expect(box!.x).toBeLessThan(text!.x + 4);
  expect(Math.abs(box!.y + box!.height / 2 - (text!.y + text!.height / 2))).toBeLessThan(6);
  await expect(dialog.getByLabel('Folder to import')).not.toHaveAttribute(
    'placeholder',
    /projects folder/,
  );
  // Every line the running stage shows, as the page draws it (a script: no DOM types here).
  await page.evaluate(STAGE_RECORDER);
  await dialog.getByLabel('Folder to import').fill('stages');
  await curate.check();
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await page.screenshot({ path: path.join('tests', 'e2e', 'screenshots', 'import-stages.png') });
  await expect(dialog.getByText('Import finished: 4 added')).toBeVisible({ timeout: 90_000 });
  // The list named every stage of this import, in order, whatever the page had time to draw.
  expect(await page.evaluate('window.stageList')).toEqual(stagesOf(DETECT_AND_COPY));
  // Each line the running stage showed is a stage's name with its own count (or, before its size
  // is known, its name alone). A 4-image stage can be over before the page draws it, so which
  // stages got a line is not asserted; that at least one counted is.
  const lines = (await page.evaluate('window.stageLines')) as string[];
  const stageLine =
    /^(Looking at the folder|Reading images and making thumbnails|Detecting faces|Checking near-duplicates|Copying into the project|Writing the project)( \d\/4 · .+|…)$/;
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line).toMatch(stageLine);
  expect(lines.some((l) => / \d\/4 · /.test(l))).toBe(true);
  // Behind the dialog, the grid already shows what the header counts.
  await expect(page.getByTestId('library-count')).toHaveText('4 images');
  await expect(page.getByTestId('tile')).toHaveCount(4);
  await dialog.getByRole('button', { name: 'Close' }).click();
  // Opened again, the dialog does not show the old result.
  await page.getByRole('button', { name: 'Import…' }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('Import finished')).toHaveCount(0);
});

test.describe('Cancel', () => {
  test.beforeAll(async () => {
    await cp(CK48, path.join(env('STUDIO_PROJECTS_ROOT'), 'ck48-cancel'), { recursive: true });
  });

  test('stops an import running, with nothing imported', async ({ page }) => {
    test.setTimeout(120_000);
    const dialog = await openImportDialog(page);
    await dialog.getByLabel('Folder to import').fill('ck48-cancel');
    await dialog.getByLabel('Format').selectOption('class-folders');
    await dialog.getByRole('button', { name: 'Start import' }).click();
    await expect(
      dialog.getByText(/Reading images and making thumbnails \d+\/981 · .* images\/s · ETA/),
    ).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel import' }).click();
    await expect(dialog.getByText('Import cancelled: nothing was imported.')).toBeVisible();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByTestId('library-count')).toHaveText('0 images');
  });

  test('works when pressed before the import has answered', async ({ page }) => {
    test.setTimeout(120_000);
    const held = holdImportRequest(page);
    const dialog = await openImportDialog(page);
    await dialog.getByLabel('Folder to import').fill('ck48-cancel');
    await dialog.getByLabel('Format').selectOption('class-folders');
    await dialog.getByRole('button', { name: 'Start import' }).click();
    const { release } = await held;
    await dialog.getByRole('button', { name: 'Cancel import' }).click();
    await expect(dialog.getByText('Cancelling…')).toBeVisible();
    await release();
    await expect(dialog.getByText('Import cancelled: nothing was imported.')).toBeVisible();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByTestId('library-count')).toHaveText('0 images');
  });
});
