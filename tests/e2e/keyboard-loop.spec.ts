/**
 * The whole loop by keyboard alone: Tab and Shift+Tab to a control, typing into the field that
 * has the focus, Enter and Space to press, the arrows, and the labeller's keys. No mouse, no
 * `click()`, no `fill()`: a control the Tab key cannot reach, or one that shows no focus ring
 * when it gets there, fails the test.
 *
 * Create a project, import a folder of faces with face detection, assign them to the train split,
 * import a labelled test set, place every point of three faces with the keyboard cursor (Enter at
 * the template's guess, nudged with the arrows), move on with U, one-click fine-tune, and open the
 * model card.
 */
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { HELEN_ROOT, helenImportFolder, helenNames } from './helen-face';
import { collectPageErrors, env, RUN_TIMEOUT_MS, startAtHome, waitForRunDone } from './studio';

const FACES = 3;
const TEST_FACES = 3;
const POINTS = 68;
/** Tab presses before a control counts as unreachable. */
const MAX_TABS = 120;

/**
 * Presses Tab (Shift+Tab when `backwards`) until `target` has the focus, then checks the focus
 * shows: an outline drawn around the control.
 */
async function tabTo(page: Page, target: Locator, backwards = false): Promise<void> {
  await expect(target).toBeVisible();
  const focused = target.and(page.locator(':focus'));
  for (let presses = 0; presses <= MAX_TABS; presses += 1) {
    if ((await focused.count()) === 1) {
      // Every focus style of the studio is an outline (base.css, the canvas's own).
      await expect(target, `${target.toString()} shows that it has the focus`).not.toHaveCSS(
        'outline-style',
        'none',
      );
      return;
    }
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  const at = await page
    .locator(':focus')
    .evaluate((element) => (element as { outerHTML: string }).outerHTML.slice(0, 160))
    .catch(() => 'nothing');
  throw new Error(`${MAX_TABS} Tab presses did not reach ${target.toString()}; focus: ${at}`);
}

/** Replaces what the focused field holds with `text`. */
async function typeInto(page: Page, field: Locator, text: string): Promise<void> {
  await tabTo(page, field);
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(text);
  await expect(field).toHaveValue(text);
}

async function importFolder(
  page: Page,
  folder: string,
  formatSteps: number,
  detect: boolean,
): Promise<Locator> {
  await tabTo(page, page.getByRole('button', { name: 'Import…' }));
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  // The modal takes the focus: its first field, not the page behind it.
  await expect(dialog.getByLabel('Folder to import')).toBeFocused();
  await typeInto(page, dialog.getByLabel('Folder to import'), folder);
  await tabTo(page, dialog.getByLabel('Format'));
  for (let i = 0; i < formatSteps; i += 1) await page.keyboard.press('ArrowDown');
  if (detect) {
    const box = dialog.getByRole('checkbox', { name: /Detect faces/ });
    await tabTo(page, box);
    await page.keyboard.press('Space');
    await expect(box).toBeChecked();
  }
  await tabTo(page, dialog.getByRole('button', { name: 'Start import' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText(/^Import finished/)).toBeVisible({ timeout: 90_000 });
  return dialog;
}

test('create, import, label, one-click and the model card by keyboard alone', async ({ page }) => {
  test.setTimeout(RUN_TIMEOUT_MS + 180_000);
  const errors = collectPageErrors(page);
  const stamp = Date.now();
  const trainNames = (await helenNames(path.join(HELEN_ROOT, 'train'))).slice(-FACES);
  const testNames = (await helenNames(path.join(HELEN_ROOT, 'test'))).slice(0, TEST_FACES);
  await helenImportFolder(`kb-faces-${stamp}`, trainNames, {
    from: path.join(HELEN_ROOT, 'train'),
    labelled: false,
  });
  await helenImportFolder(`kb-test-${stamp}`, testNames, {
    from: path.join(HELEN_ROOT, 'test'),
    subfolder: 'test',
    labelled: true,
  });

  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await typeInto(page, page.getByLabel('Project name'), 'Keyboard only');
  await typeInto(page, page.getByLabel('Project folder', { exact: true }), `kb-project-${stamp}`);
  await tabTo(page, page.getByRole('button', { name: 'Create project' }));
  await page.keyboard.press('Enter');
  const count = page.getByTestId('library-count');
  await expect(count).toHaveText('0 images');

  // The faces, with detection; then every one of them to the train split.
  let dialog = await importFolder(page, `kb-faces-${stamp}`, 0, true);
  await expect(dialog.getByText(`Import finished: ${FACES} added`)).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
  // Tab goes round inside the dialog: from Close (its last control) back to its first field.
  await page.keyboard.press('Tab');
  await expect(dialog.getByLabel('Folder to import')).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  // …and gives the focus back to the button that opened it.
  await expect(page.getByRole('button', { name: 'Import…' })).toBeFocused();
  await expect(count).toHaveText(`${FACES} images`);

  await tabTo(page, page.getByRole('button', { name: 'Assign splits…' }));
  await page.keyboard.press('Enter');
  const splits = page.getByRole('dialog', { name: 'Assign splits' });
  await expect(splits.getByLabel('Train')).toBeFocused();
  await typeInto(page, splits.getByLabel('Train'), '1');
  await typeInto(page, splits.getByLabel('Validation'), '0');
  await typeInto(page, splits.getByLabel('Test'), '0');
  await tabTo(page, splits.getByRole('button', { name: 'Assign' }));
  await page.keyboard.press('Enter');
  await expect(splits).toBeHidden();

  // A labelled test set in 300-W .pts (the third format): its test/ folder sets the split.
  dialog = await importFolder(page, `kb-test-${stamp}`, 2, false);
  await expect(dialog.getByLabel('Format')).toHaveValue('pts');
  await expect(dialog.getByTestId('import-faces')).toContainText(`${TEST_FACES} added`);
  await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
  await page.keyboard.press('Enter');
  await expect(count).toHaveText(`${FACES + TEST_FACES} images`);

  // Label: Tab to the canvas, P, then Enter for each point at the cursor, a few nudged first.
  const sections = page.getByRole('navigation', { name: 'Project sections' });
  await tabTo(page, sections.getByRole('button', { name: 'Label', exact: true }));
  await page.keyboard.press('Enter');
  const stage = page.getByTestId('labelling-stage');
  await tabTo(page, stage);
  const labelled = new Set<string>();
  for (let face = 0; face < FACES; face += 1) {
    await expect(stage).toHaveAttribute('data-image-ready', 'true');
    await expect(stage).toHaveAttribute('data-labelled', '0');
    const imageId = (await stage.getAttribute('data-image-id'))!;
    expect(labelled.has(imageId)).toBe(false);
    labelled.add(imageId);
    await page.keyboard.press('p');
    await expect(stage).toHaveAttribute('data-mode', 'place');
    await expect(page.getByTestId('place-cursor')).toBeVisible();
    const before = Number(await stage.getAttribute('data-cursor-x'));
    await page.keyboard.press('Shift+ArrowRight');
    await expect
      .poll(async () => Number(await stage.getAttribute('data-cursor-x')))
      .toBeGreaterThan(before);
    for (let i = 0; i < POINTS; i += 1) {
      if (i % 17 === 0) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
    }
    await expect(stage).toHaveAttribute('data-labelled', String(POINTS));
    await expect(page.getByTestId('place-cursor')).toHaveCount(0);
    // U: the next unlabelled face (the last one has none left to go to).
    if (face < FACES - 1) await page.keyboard.press('u');
  }
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');

  // Back up to the sections with Shift+Tab; one click of the defaults.
  await tabTo(page, sections.getByRole('button', { name: 'Train', exact: true }), true);
  await page.keyboard.press('Enter');
  const data = page.getByTestId('data-summary');
  await expect(data).toContainText(`train ${FACES} labelled faces`);
  await expect(data).toContainText(`test ${TEST_FACES} labelled faces`);
  await tabTo(page, page.getByTestId('start-run'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', /.+/);
  await waitForRunDone(page);
  const modelId = (await page.getByTestId('run-model').textContent())!;
  expect(modelId).toBeTruthy();

  await tabTo(page, sections.getByRole('button', { name: 'Models', exact: true }), true);
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByTestId('model-shelf').locator(`[data-model-id="${modelId}"]`));
  await page.keyboard.press('Enter');
  const card = page.getByTestId('model-card');
  await expect(card).toHaveAttribute('data-model-id', modelId);
  await expect(card.getByTestId('model-quality-summary')).toContainText(
    `NME on ${TEST_FACES} test faces`,
  );
  expect(errors).toEqual([]);
});
