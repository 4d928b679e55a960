/**
 * The loop as a newcomer walks it, with the mouse: create a project, import a folder of faces
 * with face detection (every stage the studio reports is named in the dialog's progress), put
 * them in the train split, label five by clicking their points and moving on to the next
 * unlabelled face, import a labelled test set, one-click fine-tune, read the model card, and
 * pre-label the face left with the new model.
 *
 * Each stage is photographed at 1440×900 and 1280×720 into tests/e2e/screenshots/newcomer/
 * (untracked; rewritten by every run) for a person to look at: cut-off buttons, overlapping text.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { stagesOf, type ImportStage } from '../../src-main/shared/library';
import { clickPoints, HELEN_ROOT, helenImportFolder, helenNames } from './helen-face';
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

const SCREENSHOTS = path.join('tests', 'e2e', 'screenshots', 'newcomer');
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];
/** Five faces to label and one left for the model to pre-label. */
const LABELLED = 5;
const FACES = LABELLED + 1;
const TEST_FACES = 4;

/**
 * What the import dialog says for each stage the studio reports (`library:importProgress`).
 * Typed by `ImportStage`, so a new stage cannot go unnamed here.
 */
const STAGE_LABELS: Record<ImportStage, RegExp> = {
  scanning: /^Looking at the folder…$/,
  validating: /^Checking the labels/,
  importing: /^Reading images and making thumbnails( \d+\/\d+ · |…$)/,
  detecting: /^Detecting faces( \d+\/\d+ · |…$)/,
  'near-duplicates': /^Checking near-duplicates/,
  copying: /^Copying into the project( \d+\/\d+ · |…$)/,
  writing: /^Writing the project/,
};
/** The stages an `images` import with face detection, copying the images, goes through. */
const IMAGE_IMPORT_STAGES = stagesOf({ kind: 'import', labelled: false, curate: true, copy: true });

/** Photographs the page at each size, then goes back to the first. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.screenshot({
      path: path.join(SCREENSHOTS, `${name}-${size.width}x${size.height}.png`),
    });
  }
  await page.setViewportSize(SIZES[0]!);
}

/** What the progress watcher uses of the page (the Node tsconfig has no DOM types). */
interface PageGlobals {
  document: {
    body: unknown;
    querySelector(selector: string): { textContent: string | null } | null;
  };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: Record<string, boolean>): void;
  };
  importTexts?: string[];
}

/**
 * Starts recording every text the import dialog's progress shows (a MutationObserver, so a stage
 * that shows for a moment is caught), and every stage the studio reports over the events socket.
 */
function watchImport(page: Page): {
  reported: ImportStage[];
  shown: () => Promise<string[]>;
  start: () => Promise<void>;
} {
  const reported: ImportStage[] = [];
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      const message = JSON.parse(String(payload)) as {
        event: string;
        payload: { stage?: ImportStage };
      };
      const stage = message.payload.stage;
      if (message.event === 'library:importProgress' && stage && reported.at(-1) !== stage) {
        reported.push(stage);
      }
    }),
  );
  return {
    reported,
    start: () =>
      page.evaluate(() => {
        const scope = globalThis as unknown as PageGlobals;
        const seen: string[] = [];
        scope.importTexts = seen;
        const read = () => {
          const text = scope.document
            .querySelector('[role="dialog"] .status .counts')
            ?.textContent?.trim();
          if (text && seen.at(-1) !== text) seen.push(text);
        };
        new scope.MutationObserver(read).observe(scope.document.body, {
          subtree: true,
          childList: true,
          characterData: true,
        });
      }),
    shown: () => page.evaluate(() => (globalThis as unknown as PageGlobals).importTexts ?? []),
  };
}

test.beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
});

test('a newcomer creates, imports, labels five faces, fine-tunes, reads the card and pre-labels', async ({
  page,
}) => {
  test.setTimeout(RUN_TIMEOUT_MS + 240_000);
  const errors = collectPageErrors(page);
  const stamp = Date.now();
  const trainNames = (await helenNames(path.join(HELEN_ROOT, 'train'))).slice(0, FACES);
  const testNames = (await helenNames(path.join(HELEN_ROOT, 'test'))).slice(-TEST_FACES);
  const truths = await helenImportFolder(`newcomer-faces-${stamp}`, trainNames, {
    from: path.join(HELEN_ROOT, 'train'),
    labelled: false,
  });
  await helenImportFolder(`newcomer-test-${stamp}`, testNames, {
    from: path.join(HELEN_ROOT, 'test'),
    subfolder: 'test',
    labelled: true,
  });
  await page.setViewportSize(SIZES[0]!);
  // Before the page opens its events socket.
  const progress = watchImport(page);
  await startAtHome(page.request);
  await page.goto(env('STUDIO_URL'));
  await expect(page.getByRole('heading', { level: 1, name: 'Face Studio' })).toBeVisible();
  await shoot(page, '01-home');

  // Create.
  await page.getByLabel('Project name').fill('My first faces');
  await page.getByLabel('Project folder', { exact: true }).fill(`newcomer-${stamp}`);
  await page.getByRole('button', { name: 'Create project' }).click();
  const count = page.getByTestId('library-count');
  await expect(count).toHaveText('0 images');
  await shoot(page, '02-library-empty');

  // Import with face detection: every stage reported is named in the progress.
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await dialog.getByLabel('Folder to import').fill(`newcomer-faces-${stamp}`);
  await dialog.getByRole('checkbox', { name: /Detect faces/ }).check();
  await shoot(page, '03-import-dialog');
  await progress.start();
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByText(`Import finished: ${FACES} added`)).toBeVisible({
    timeout: 90_000,
  });
  await shoot(page, '04-import-finished');
  const shown = await progress.shown();
  test
    .info()
    .annotations.push(
      { type: 'import stages reported', description: progress.reported.join(', ') },
      { type: 'import progress shown', description: shown.join(' | ') },
    );
  expect(progress.reported).toEqual(IMAGE_IMPORT_STAGES);
  // Every line the progress showed names a stage the studio reported (a six-image stage can end
  // before the page draws it, so not every stage is bound to get a line; import-flow.spec.ts
  // checks the dialog's list of stages).
  expect(shown.length).toBeGreaterThan(0);
  for (const text of shown) {
    expect(
      progress.reported.some((stage) => STAGE_LABELS[stage].test(text)),
      `"${text}" names one of the stages ${progress.reported.join(', ')}`,
    ).toBe(true);
  }
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(count).toHaveText(`${FACES} images`);
  await expect(page.getByTestId('thumbnail-grid').locator('img').first()).toBeVisible();
  await shoot(page, '05-library');

  // Every face to the train split.
  await page.getByRole('button', { name: 'Assign splits…' }).click();
  const splits = page.getByRole('dialog', { name: 'Assign splits' });
  await splits.getByLabel('Train').fill('1');
  await splits.getByLabel('Validation').fill('0');
  await splits.getByLabel('Test').fill('0');
  await shoot(page, '06-assign-splits');
  await splits.getByRole('button', { name: 'Assign' }).click();
  await expect(splits).toBeHidden();

  // Label five faces: place mode, a click per point, then U for the next unlabelled face.
  await openSection(page, 'Label');
  const stage = page.getByTestId('labelling-stage');
  const labelled: string[] = [];
  for (let face = 0; face < LABELLED; face += 1) {
    await expect(stage).toHaveAttribute('data-image-ready', 'true');
    await expect(stage).toHaveAttribute('data-labelled', '0');
    const imageId = (await stage.getAttribute('data-image-id'))!;
    expect(labelled).not.toContain(imageId);
    labelled.push(imageId);
    if (face === 0) await shoot(page, '07-label-first-face');
    await page.keyboard.press('p');
    await expect(stage).toHaveAttribute('data-mode', 'place');
    await clickPoints(page, truths.get(imageId)!);
    await expect(stage).toHaveAttribute('data-labelled', '68');
    await expect(page.getByTestId('next-point')).toHaveText('All 68 points placed');
    if (face === 0) await shoot(page, '08-label-all-placed');
    await page.keyboard.press('u');
  }
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  for (const imageId of labelled) {
    const stored = await api(page.request, 'labels:get', { imageId });
    expect(stored!.points.every((p) => p.v === 2 && p.source === 'human')).toBe(true);
  }

  // A labelled test set, so the card can say how good the model is.
  await openSection(page, 'Library');
  await page.getByRole('button', { name: 'Import…' }).click();
  await dialog.getByLabel('Folder to import').fill(`newcomer-test-${stamp}`);
  await dialog.getByLabel('Format').selectOption('pts');
  await dialog.getByRole('button', { name: 'Start import' }).click();
  await expect(dialog.getByTestId('import-faces')).toContainText(`${TEST_FACES} added`);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(count).toHaveText(`${FACES + TEST_FACES} images`);

  // One click.
  await openSection(page, 'Train');
  const data = page.getByTestId('data-summary');
  await expect(data).toContainText(`train ${LABELLED} labelled faces`);
  await expect(data).toContainText(`test ${TEST_FACES} labelled faces`);
  await shoot(page, '09-train-setup');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', /.+/);
  await shoot(page, '10-run-started');
  await waitForRunDone(page);
  await shoot(page, '11-run-done');
  // The model card.
  const { card, modelId } = await openRunModelCard(page);
  await expect(card.getByTestId('model-quality-summary')).toHaveText(
    new RegExp(`^\\d+\\.\\d% NME on ${TEST_FACES} test faces — the mean shape alone: \\d+\\.\\d%$`),
  );
  await shoot(page, '12-model-card');

  // Pre-label the face left: the labeller opens on it, the new model is offered.
  await openSection(page, 'Label');
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  const fresh = (await stage.getAttribute('data-image-id'))!;
  expect(labelled).not.toContain(fresh);
  expect(truths.has(fresh)).toBe(true);
  await expect(page.getByTestId('prelabel-model')).toHaveValue(modelId);
  await page.getByTestId('prelabel-current').click();
  await expect(stage).toHaveAttribute('data-unconfirmed', '68', { timeout: 60_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  // The header counts the pre-labelled face as one to review, set apart from the labelled ones.
  await expect(
    page.getByText(
      `ibug68 · ${FACES + TEST_FACES} images · ${LABELLED + TEST_FACES} labelled · 1 to review`,
      { exact: true },
    ),
  ).toBeVisible();
  await shoot(page, '13-prelabelled');
  const predicted = await api(page.request, 'labels:get', { imageId: fresh });
  expect(predicted!.points.every((p) => p.source === 'model' && !p.confirmed)).toBe(true);
  expect(errors).toEqual([]);
});
