/**
 * The few-shot loop end to end in Chromium: 10 labelled 300w-helen train faces, a test split, the
 * one-click fine-tune (landmarks fit a ridge head on frozen FaceMesh, `method: 'backbone-head'`),
 * the model card's test NME beside the mean-shape baseline, and a new face pre-labelled with the
 * model in the labeller.
 *
 * Which labels come from where: one train face has all 68 points placed by mouse through the real
 * labeller (clicking at its ground-truth positions); the other 9 train faces and the test faces
 * come labelled from their .pts files, written from Node before the studio opens the project
 * (clicking 10 × 68 points would only slow the test down and prove nothing more).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Landmark, Split } from '../../src-main/shared/domain';
import { addHelenFace, HELEN_IMAGE, HELEN_ROOT, helenNames, onPage, stageView } from './helen-face';
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

const SCREENSHOTS = path.join('tests', 'e2e', 'screenshots');
/** Train faces labelled through import; one more is labelled by mouse, 10 in all. */
const IMPORTED_TRAIN = 9;
const TEST_FACES = 6;
/** The card's sentence: the test figure beside the mean shape's on the same faces. */
const QUALITY = new RegExp(
  `^(\\d+\\.\\d)% NME on ${TEST_FACES} test faces — the mean shape alone: (\\d+\\.\\d)%$`,
);
/** "Well below": the model's error at most this share of the mean shape's. */
const WELL_BELOW = 0.6;

interface Face {
  name: string;
  split: Split;
  /** Written from the .pts file before the studio opens; otherwise left unlabelled. */
  imported: boolean;
}

interface Made {
  dir: string;
  /** The train face labelled by mouse, and its ground truth. */
  clicked: { imageId: string; truth: Landmark[] };
  /** The unlabelled pool face the model pre-labels. */
  fresh: string;
}

async function makeProject(): Promise<Made> {
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), `fewshot-${Date.now()}`);
  const store = await ProjectStore.create(dir, {
    name: 'Few-shot',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  const testNames = (await helenNames(path.join(HELEN_ROOT, 'test'))).filter(
    (name) => name !== HELEN_IMAGE,
  );
  const trainNames = await helenNames(path.join(HELEN_ROOT, 'train'));
  // In library order: the face to click first (the labeller opens on the first unlabelled image),
  // the imported faces, and last the face to pre-label.
  const plan: { folder: 'train' | 'test'; face: Face }[] = [
    { folder: 'test', face: { name: HELEN_IMAGE, split: 'train', imported: false } },
    ...trainNames.slice(0, IMPORTED_TRAIN).map((name) => ({
      folder: 'train' as const,
      face: { name, split: 'train' as Split, imported: true },
    })),
    ...testNames.slice(0, TEST_FACES).map((name) => ({
      folder: 'test' as const,
      face: { name, split: 'test' as Split, imported: true },
    })),
    {
      folder: 'test',
      face: { name: testNames[TEST_FACES]!, split: 'pool', imported: false },
    },
  ];
  const ids: string[] = [];
  let truth: Landmark[] = [];
  for (const { folder, face } of plan) {
    const added = await addHelenFace(
      store,
      dir,
      path.join(HELEN_ROOT, folder),
      face.name,
      face.split,
      face.imported,
    );
    ids.push(added.imageId);
    if (face.name === HELEN_IMAGE) truth = added.truth;
  }
  await store.close();
  return { dir, clicked: { imageId: ids[0]!, truth }, fresh: ids.at(-1)! };
}

test.beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
});

test('label 10 faces, one-click fine-tune, the card beats the mean shape, pre-label a new face', async ({
  page,
}) => {
  test.setTimeout(RUN_TIMEOUT_MS + 180_000);
  const errors = collectPageErrors(page);
  await page.setViewportSize({ width: 1440, height: 900 });

  await startAtHome(page.request);
  const { dir, clicked, fresh } = await makeProject();
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();

  // The tenth train face: every point clicked into place in the labeller.
  await openSection(page, 'Label');
  const stage = page.getByTestId('labelling-stage');
  await expect(stage).toHaveAttribute('data-image-id', clicked.imageId);
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  const fitted = await stageView(page);
  const { truth } = clicked;
  const centre = onPage(fitted, { x: (truth[36]!.x + truth[45]!.x) / 2, y: truth[30]!.y });
  await page.mouse.move(centre.x, centre.y);
  await page.mouse.wheel(0, -120);
  await expect.poll(async () => (await stageView(page)).scale).toBeGreaterThan(fitted.scale);
  const view = await stageView(page);
  await page.keyboard.press('p');
  await expect(stage).toHaveAttribute('data-mode', 'place');
  for (const p of truth) {
    const at = onPage(view, p);
    await page.mouse.click(at.x, at.y);
  }
  await expect(stage).toHaveAttribute('data-labelled', '68');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const placed = await api(page.request, 'labels:get', { imageId: clicked.imageId });
  expect(placed!.points.every((p) => p.source === 'human' && p.confirmed)).toBe(true);

  // One click: the task's defaults, nothing changed in the Advanced form.
  await openSection(page, 'Train');
  const data = page.getByTestId('data-summary');
  await expect(data).toContainText('train 10 labelled faces');
  await expect(data).toContainText(`test ${TEST_FACES} labelled faces`);
  await expect(page.getByTestId('task-picker')).toHaveValue('finetune-landmarks');
  await page.getByTestId('start-run').click();
  const dashboard = page.getByTestId('run-dashboard');
  await expect(dashboard).toHaveAttribute('data-run-id', /.+/);
  const runId = (await dashboard.getAttribute('data-run-id'))!;
  await waitForRunDone(page);
  const detail = await api(page.request, 'training:run', { runId });
  expect(detail.config).toMatchObject({ method: 'backbone-head', faceBackbones: ['facemesh'] });

  // The card: the test NME beside the mean shape's, and well below it.
  const { card, modelId } = await openRunModelCard(page);
  const summary = card.getByTestId('model-quality-summary');
  await expect(summary).toHaveText(QUALITY);
  const [, nme, baseline] = QUALITY.exec((await summary.textContent())!)!;
  expect(Number(nme)).toBeLessThan(WELL_BELOW * Number(baseline));
  await expect(card.getByTestId('model-baseline')).toContainText(
    /mean shape of 10 training faces.*nme \d+\.\d+%/,
  );
  await expect(card.getByTestId('model-no-better')).toHaveCount(0);
  await expect(card).toContainText('ridge head on frozen FaceMesh');
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'fewshot-model-card.png') });

  // A new face: the labeller opens on it (the only unlabelled one); the model pre-labels it.
  await openSection(page, 'Label');
  await expect(stage).toHaveAttribute('data-image-id', fresh);
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  await expect(stage).toHaveAttribute('data-labelled', '0');
  await expect(page.getByTestId('prelabel-model')).toHaveValue(modelId);
  await page.getByTestId('prelabel-current').click();
  await expect(page.getByTestId('prelabel-caution')).toHaveCount(0);
  await expect(stage).toHaveAttribute('data-unconfirmed', '68', { timeout: 60_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const predicted = await api(page.request, 'labels:get', { imageId: fresh });
  expect(predicted!.points).toHaveLength(68);
  expect(predicted!.points.every((p) => p.source === 'model' && !p.confirmed)).toBe(true);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'fewshot-prelabelled.png') });

  expect(errors).toEqual([]);
});
