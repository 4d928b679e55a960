/**
 * Every view of the studio checked with axe-core against the WCAG 2 A and AA rules: Home, the
 * Library with images and its dialogs, the labeller with a face and its shortcut overlay, the
 * Train setup, a run's dashboard, and the Models view with a model card. None may have a serious
 * or critical violation; a failure lists each rule with the elements that break it.
 *
 * The project comes from Node (5 labelled 300w-helen train faces, 3 labelled test faces, one
 * unlabelled face) so the run is the one-click default on a handful of faces.
 */
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { ProjectStore } from '../../src-main/core/project-store';
import { addHelenFace, HELEN_ROOT, helenNames } from './helen-face';
import {
  api,
  collectPageErrors,
  env,
  openRunModelCard,
  openSection,
  RUN_TIMEOUT_MS,
  startAtHome,
  waitForRunDone,
} from './studio';

const WCAG_A_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const TRAIN_FACES = 5;
const TEST_FACES = 3;

/** The serious and critical violations on the page now, one line per rule and element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_A_AA).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map((node) => `${v.id} (${v.impact}): ${v.help} — ${node.target.join(' ')}`),
    );
}

/** Soft: one run lists the violations of every view, not only the first view's. */
async function expectAccessible(page: Page, view: string): Promise<void> {
  expect
    .soft(await seriousViolations(page), `serious or critical violations in ${view}`)
    .toEqual([]);
}

async function makeProject(): Promise<string> {
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), `a11y-${Date.now()}`);
  const store = await ProjectStore.create(dir, {
    name: 'Accessible',
    landmarkSchema: 'ibug68',
    attributeSchema: 'mtfl',
  });
  const trainNames = await helenNames(path.join(HELEN_ROOT, 'train'));
  const testNames = await helenNames(path.join(HELEN_ROOT, 'test'));
  // The unlabelled face first: the labeller opens on it.
  await addHelenFace(store, dir, path.join(HELEN_ROOT, 'test'), testNames.at(-1)!, 'pool', false);
  for (const name of trainNames.slice(0, TRAIN_FACES)) {
    await addHelenFace(store, dir, path.join(HELEN_ROOT, 'train'), name, 'train', true);
  }
  for (const name of testNames.slice(0, TEST_FACES)) {
    await addHelenFace(store, dir, path.join(HELEN_ROOT, 'test'), name, 'test', true);
  }
  await store.close();
  return dir;
}

test('every view has no serious or critical WCAG 2 A/AA violation', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT_MS + 120_000);
  const errors = collectPageErrors(page);
  await startAtHome(page.request);
  const dir = await makeProject();
  await page.goto(env('STUDIO_URL'));
  await expect(page.getByRole('heading', { level: 1, name: 'Face Studio' })).toBeVisible();
  await expectAccessible(page, 'Home');

  await api(page.request, 'project:open', { dir });
  await page.reload();
  await expect(page.getByTestId('library-count')).toHaveText(
    `${1 + TRAIN_FACES + TEST_FACES} images`,
  );
  await expect(page.getByTestId('thumbnail-grid').locator('img').first()).toBeVisible();
  await expectAccessible(page, 'Library');

  await page.getByRole('button', { name: 'Import…' }).click();
  await expect(page.getByRole('dialog', { name: 'Import images' })).toBeVisible();
  await expectAccessible(page, 'the import dialog');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Assign splits…' }).click();
  await expect(page.getByRole('dialog', { name: 'Assign splits' })).toBeVisible();
  await expectAccessible(page, 'the splits dialog');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

  await openSection(page, 'Label');
  const stage = page.getByTestId('labelling-stage');
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  await page.keyboard.press('t');
  await expect(stage).toHaveAttribute('data-labelled', '68');
  await expectAccessible(page, 'the labeller with a face');
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await expectAccessible(page, 'the shortcut overlay');
  await page.keyboard.press('Escape');

  await openSection(page, 'Train');
  await expect(page.getByTestId('data-summary')).toContainText(
    `train ${TRAIN_FACES} labelled faces`,
  );
  await expectAccessible(page, 'the Train setup');
  await page.getByTestId('toggle-advanced').click();
  await expect(page.getByTestId('advanced-form')).toBeVisible();
  await expectAccessible(page, 'the Advanced form');
  await page.getByTestId('toggle-advanced').click();

  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', /.+/);
  await expectAccessible(page, 'a running run');
  await waitForRunDone(page);
  await expectAccessible(page, 'a finished run');
  await openRunModelCard(page);
  await expectAccessible(page, 'the Models view with a model card');

  await page.getByRole('button', { name: 'Close project' }).click();
  await expect(page.getByRole('list', { name: 'Recent projects' })).toBeVisible();
  await expectAccessible(page, 'Home with recent projects');
  expect(errors).toEqual([]);
});
