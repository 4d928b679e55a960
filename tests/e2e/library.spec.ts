/**
 * The Library in a real browser: create a project, import CK+ (copied inside the projects root,
 * since browser mode confines imports to it) as expression class folders through the import
 * dialog, see all 981 images in the virtualised grid with their thumbnails, and filter by class.
 */
import { cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { env, startAtHome } from './studio';

const CK48 = fileURLToPath(new URL('../../../shared/data/ck48', import.meta.url));
const SCREENSHOTS = path.join('tests', 'e2e', 'screenshots');

test('imports CK+ class folders through the UI and filters the grid by expression', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await mkdir(SCREENSHOTS, { recursive: true });
  await cp(CK48, path.join(env('STUDIO_PROJECTS_ROOT'), 'ck48'), { recursive: true });
  const happy = (await readdir(path.join(CK48, 'happy'))).length;
  let total = 0;
  for (const name of await readdir(CK48)) total += (await readdir(path.join(CK48, name))).length;

  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await page.getByLabel('Project name').fill('CK expressions');
  await page.getByLabel('Project folder', { exact: true }).fill('ck-project');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Library' })).toBeVisible();
  await expect(page.getByTestId('library-count')).toHaveText('0 images');

  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await dialog.getByLabel('Folder to import').fill('ck48');
  await dialog.getByLabel('Format').selectOption('class-folders');
  await dialog.getByLabel('Subject pattern').fill('^(S\\d{3})_');
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByText(`Import finished: ${total} added`)).toBeVisible({
    timeout: 150_000,
  });
  await dialog.getByRole('button', { name: 'Close' }).click();

  await expect(page.getByTestId('library-count')).toHaveText(`${total} images`);
  expect(total).toBe(981);
  const grid = page.getByTestId('thumbnail-grid');
  // Virtualised: far fewer cells than images, and the first thumbnails really load.
  const cells = grid.locator('li');
  expect(await cells.count()).toBeLessThan(total / 4);
  const firstThumb = grid.locator('img').first();
  await expect(firstThumb).toBeVisible();
  await expect
    .poll(() => firstThumb.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);

  await page.getByRole('form', { name: 'Filters' }).getByLabel('Expression').selectOption('happy');
  await expect(page.getByTestId('library-count')).toHaveText(`${happy} images`);
  expect(happy).toBe(207);
  await expect(grid.locator('.expression').first()).toHaveText('happy');

  // Selecting two cells and moving them to the test split updates the header.
  await grid.locator('button.cell').nth(0).click();
  await grid
    .locator('button.cell')
    .nth(2)
    .click({ modifiers: ['Shift'] });
  await expect(page.getByText('3 selected')).toBeVisible();
  await page.getByRole('button', { name: 'test', exact: true }).click();
  await expect(page.getByLabel('Library statistics')).toContainText('test 3');

  await page.screenshot({ path: path.join(SCREENSHOTS, 'library.png') });
});
