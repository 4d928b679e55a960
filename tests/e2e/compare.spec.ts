/**
 * Compare backbones end to end in Chromium: a project of labelled 300w-helen faces is made from
 * Node; in the Models view the comparison runs through the real training process, shows its
 * progress and a side-by-side table (FaceMesh best, licences shown, the mean shape beside them),
 * survives a reload as the project's last comparison, and one-click's defaults take its winner.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Split } from '../../src-main/shared/domain';
import { addHelenFace, HELEN, helenNames } from './helen-face';
import { api, collectPageErrors, env, openSection, startAtHome } from './studio';

const SPLITS: [Split, number][] = [
  ['train', 12],
  ['val', 4],
  ['test', 4],
];
const COMPARE_TIMEOUT_MS = 240_000;

/** Copies HELEN test images into a fresh project, labelled from their .pts files. */
async function makeProject(): Promise<string> {
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), `compare-${Date.now()}`);
  const store = await ProjectStore.create(dir, {
    name: 'Compare',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  const names = await helenNames(HELEN);
  const plan = SPLITS.flatMap(([split, n]) => Array<Split>(n).fill(split));
  for (const [i, split] of plan.entries())
    await addHelenFace(store, dir, HELEN, names[i]!, split, true);
  await store.close();
  return dir;
}

test('compare backbones from the Models view; one-click takes the winner', async ({ page }) => {
  test.setTimeout(COMPARE_TIMEOUT_MS + 60_000);
  const errors = collectPageErrors(page);
  await startAtHome(page.request);
  const dir = await makeProject();
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();
  await openSection(page, 'Models');

  const panel = page.getByTestId('compare-backbones');
  await expect(panel.getByTestId('compare-empty')).toBeVisible();
  await expect(panel.getByTestId('compare-task')).toHaveValue('landmarks');
  await panel.getByTestId('compare-run').click();
  await expect(panel.getByTestId('compare-progress')).toBeVisible();
  await expect(panel.getByTestId('compare-cancel')).toBeVisible();

  const table = panel.getByTestId('compare-table');
  await expect(table).toBeVisible({ timeout: COMPARE_TIMEOUT_MS });
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await expect(table).toContainText('12 train, 4 val, 4 test faces');
  for (const id of ['facemesh', 'mini-xception', 'random'])
    await expect(table.locator(`tr[data-backbone="${id}"]`)).toBeVisible();
  const best = table.locator('tr[aria-current="true"]');
  await expect(best).toHaveAttribute('data-backbone', 'facemesh');
  await expect(best).toContainText('Apache-2.0');
  await expect(table.locator('tr[data-backbone="mini-xception"]')).toContainText('MIT');
  await expect(table.locator('tr[data-backbone="baseline"]')).toContainText('mean shape');
  await expect(panel).toContainText('Octavio Arriaga');

  // The project keeps it: a reload shows the last comparison.
  await page.reload();
  await openSection(page, 'Models');
  await expect(
    page.getByTestId('compare-table').locator('tr[aria-current="true"]'),
  ).toHaveAttribute('data-backbone', 'facemesh');

  // One-click starts from the winner.
  const schema = await api(page.request, 'training:configSchema', {
    kind: 'finetune',
    task: 'landmarks',
  });
  expect(schema.defaults.faceBackbones).toEqual(['facemesh']);
  expect(errors).toEqual([]);
});
