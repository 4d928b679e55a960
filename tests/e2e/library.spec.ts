/**
 * The Library in a real browser: create a project, import CK+ (copied inside the projects root,
 * since browser mode confines imports to it) as expression class folders through the import
 * dialog, see all 981 images in the virtualised grid with their thumbnails, and filter by class.
 * Detect faces in its own dialog; a flagged image says why on its tile and is kept in one click;
 * each tile says in words whether it is labelled; double-click or Enter opens a face in Label.
 */
import { copyFile, cp, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { HELEN, helenNames } from './helen-face';
import { env, openSection, startAtHome } from './studio';

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
  // The dialog copies by default: every image now lives inside the project.
  const copies = path.join(env('STUDIO_PROJECTS_ROOT'), 'ck-project', 'images');
  expect((await readdir(copies)).length).toBe(total);
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

test('flags images referenced in place once their folder loses them', async ({ page }) => {
  const source = path.join(env('STUDIO_PROJECTS_ROOT'), 'moving');
  await mkdir(source, { recursive: true });
  const names = (await readdir(path.join(CK48, 'happy'))).slice(0, 4);
  for (const name of names) await copyFile(path.join(CK48, 'happy', name), path.join(source, name));

  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await page.getByLabel('Project name').fill('Moving');
  await page.getByLabel('Project folder', { exact: true }).fill('moving-project');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByLabel('Copy into the project')).toBeChecked();
  await dialog.getByLabel('Folder to import').fill('moving');
  await dialog.getByLabel('Reference in place — for large sets').check();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'import-placement.png') });
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByText('Import finished: 4 added')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('library-count')).toHaveText('4 images');

  await rm(path.join(source, names[0]!));
  await rm(path.join(source, names[1]!));
  await page.reload();
  const notice = page.getByTestId('missing-files');
  await expect(notice).toContainText('2 of 4 images cannot be found');
  await expect(notice).toContainText(await realpath(source));
  await expect(page.getByLabel('Library statistics')).toContainText('Missing file 2');
  await notice.getByRole('button', { name: 'Show them' }).click();
  await expect(page.getByTestId('library-count')).toHaveText('2 images');
  await expect(page.getByTestId('thumbnail-grid').locator('.missing')).toHaveCount(2);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'library-missing.png') });
});

test('detects faces on its own, says why an image is flagged, keeps it in one click, and opens a face', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const source = path.join(env('STUDIO_PROJECTS_ROOT'), 'faces-and-a-ramp');
  await mkdir(source, { recursive: true });
  for (const name of (await helenNames(HELEN)).slice(0, 3)) {
    await copyFile(path.join(HELEN, `${name}.jpg`), path.join(source, `${name}.jpg`));
  }
  // A colour ramp: no face in it.
  const size = 128;
  const ramp = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    ramp[3 * i] = i % size;
    ramp[3 * i + 1] = Math.floor(i / size);
    ramp[3 * i + 2] = 200;
  }
  await sharp(ramp, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path.join(source, 'zz-ramp.png'));

  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await page.getByLabel('Project name').fill('Flags');
  await page.getByLabel('Project folder', { exact: true }).fill('flags-project');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('button', { name: 'Import…' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import images' });
  await importDialog.getByLabel('Folder to import').fill('faces-and-a-ramp');
  await importDialog.getByRole('button', { name: 'Start import' }).click();
  await expect(importDialog.getByText('Import finished: 4 added')).toBeVisible();
  await importDialog.getByRole('button', { name: 'Close' }).click();

  // Detect faces: its own dialog, its own stages and result, no import message.
  await page.getByRole('button', { name: 'Detect faces' }).click();
  const detect = page.getByRole('dialog', { name: 'Detect faces' });
  await expect(detect.getByTestId('detect-summary')).toHaveText(
    /Face detection finished: 4 images looked at, 1\s+flagged/,
    { timeout: 90_000 },
  );
  await expect(detect.getByText('Import finished')).toHaveCount(0);
  await detect.getByRole('button', { name: 'Close' }).click();

  const grid = page.getByTestId('thumbnail-grid');
  const tiles = grid.getByTestId('tile');
  await expect(tiles).toHaveCount(4);
  await expect(grid.getByTestId('label-badge')).toHaveText(Array(4).fill('Unlabelled'));
  const flagged = grid.locator('li').filter({ hasText: 'zz-ramp.png' });
  await expect(flagged.getByTestId('flag-reason')).toHaveText(/No face found/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'library-flags.png') });
  await expect(page.getByLabel('Library statistics')).toContainText('No face 1');
  await flagged.getByRole('button', { name: /it is a face/ }).click();
  await expect(flagged.getByTestId('flag-reason')).toHaveCount(0);
  await expect(page.getByLabel('Library statistics')).toContainText('No face 0');
  await expect(page.getByLabel('Library statistics')).toContainText('Flagged 0');

  // Double-click opens a face in Label; Enter on a tile does too.
  await tiles.nth(2).dblclick();
  await expect(page.getByTestId('image-position')).toHaveText(/^\s*3 \/ 4\s*$/);
  await openSection(page, 'Library');
  await grid.getByTestId('tile').nth(1).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('image-position')).toHaveText(/^\s*2 \/ 4\s*$/);
});

test('a filter change asks for its first page once, not the stats, and thumbnails still load', async ({
  page,
}) => {
  const source = path.join(env('STUDIO_PROJECTS_ROOT'), 'one-request');
  await mkdir(source, { recursive: true });
  for (const name of (await readdir(path.join(CK48, 'sadness'))).slice(0, 5)) {
    await copyFile(path.join(CK48, 'sadness', name), path.join(source, name));
  }
  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await page.getByLabel('Project name').fill('One request');
  await page.getByLabel('Project folder', { exact: true }).fill('one-request-project');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await dialog.getByLabel('Folder to import').fill('one-request');
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByText('Import finished: 5 added')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('library-count')).toHaveText('5 images');
  const firstThumb = page.getByTestId('thumbnail-grid').locator('img').first();
  await expect
    .poll(() => firstThumb.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);

  // Every request the page sends from here, by channel.
  const channels: string[] = [];
  page.on('request', (request) => {
    if (!request.url().endsWith('/api/invoke')) return;
    channels.push((request.postDataJSON() as { channel: string }).channel);
  });
  const filters = page.getByRole('form', { name: 'Filters' });
  await filters.getByLabel('Split').selectOption('train');
  await expect(page.getByTestId('library-count')).toHaveText('0 images');
  await filters.getByLabel('Split').selectOption('pool');
  await expect(page.getByTestId('library-count')).toHaveText('5 images');
  // The new tiles' thumbnails load after their page answered: a second load of the page would
  // have been sent by then.
  await expect
    .poll(() => firstThumb.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
    .toBeGreaterThan(0);
  // One page per change; no stats, which count the whole library and a filter leaves as it is.
  expect(channels).toEqual(['library:list', 'library:list']);
});
