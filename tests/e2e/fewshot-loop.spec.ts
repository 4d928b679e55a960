/**
 * The few-shot loop end to end in Chromium at 1440 × 900: 10 300w-helen train faces labelled by
 * hand in the labeller, a labelled test split, the one-click fine-tune with its defaults (landmarks
 * fit a ridge head on frozen FaceMesh, `method: 'backbone-head'`), the model card's test NME
 * beside the mean-shape baseline, and a new face pre-labelled with the model in the labeller.
 *
 * Which labels come from where: every one of the 10 train faces has its 68 points placed through
 * the real labeller — P for place mode, then a mouse click at each ground-truth point (the quickest
 * way the canvas offers to put a point at a known position: the keyboard cursor starts at the
 * template's guess and moves by arrow presses), U to the next unlabelled face. The 6 test faces
 * only score the model: they come labelled from their .pts files, written from Node before the
 * studio opens the project.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Landmark } from '../../src-main/shared/domain';
import { addHelenFace, clickPoints, HELEN_ROOT, helenNames } from './helen-face';
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
/** Train faces, every one labelled by hand in the labeller. */
const TRAIN_FACES = 10;
const TEST_FACES = 6;
const POINTS = 68;
/** The card's sentence: the test figure beside the mean shape's on the same faces. */
const QUALITY = new RegExp(
  `^(\\d+\\.\\d)% NME on ${TEST_FACES} test faces — the mean shape alone: (\\d+\\.\\d)%$`,
);
/** "Well below": the model's error at most this share of the mean shape's. */
const WELL_BELOW = 0.6;

interface Made {
  dir: string;
  /** The train faces to label by hand, in library order, each with its ground truth. */
  train: { imageId: string; truth: Landmark[] }[];
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
  const trainFolder = path.join(HELEN_ROOT, 'train');
  const testFolder = path.join(HELEN_ROOT, 'test');
  const trainNames = (await helenNames(trainFolder)).slice(0, TRAIN_FACES);
  const testNames = await helenNames(testFolder);
  // In library order: the train faces to label (the labeller opens on the first unlabelled image
  // and U moves to the next), the imported test faces, and last the face to pre-label.
  const train: Made['train'] = [];
  for (const name of trainNames) {
    train.push(await addHelenFace(store, dir, trainFolder, name, 'train', false));
  }
  for (const name of testNames.slice(0, TEST_FACES)) {
    await addHelenFace(store, dir, testFolder, name, 'test', true);
  }
  const fresh = await addHelenFace(store, dir, testFolder, testNames[TEST_FACES]!, 'pool', false);
  await store.close();
  return { dir, train, fresh: fresh.imageId };
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
  const { dir, train, fresh } = await makeProject();
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();

  // The 10 train faces, each in turn: P, a click at each of its 68 points, U to the next.
  await openSection(page, 'Label');
  const stage = page.getByTestId('labelling-stage');
  /** Per face, the most a placed point's x or y may lie from its click: one screen pixel. */
  const tolerance = new Map<string, number>();
  for (const [n, { imageId, truth }] of train.entries()) {
    await expect(stage).toHaveAttribute('data-image-id', imageId);
    await expect(stage).toHaveAttribute('data-image-ready', 'true');
    await expect(stage).toHaveAttribute('data-labelled', '0');
    await page.keyboard.press('p');
    await expect(stage).toHaveAttribute('data-mode', 'place');
    const view = await clickPoints(page, truth);
    tolerance.set(imageId, 1 / view.scale);
    await expect(stage).toHaveAttribute('data-labelled', String(POINTS));
    await expect(page.getByTestId('next-point')).toHaveText(`All ${POINTS} points placed`);
    if (n < TRAIN_FACES - 1) await page.keyboard.press('u');
  }
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  // The status line stays in the page for screen readers, but shows no accent with nothing to say.
  const status = page.getByTestId('labeller-status');
  await expect(status).toHaveText('');
  await expect(status).toHaveCSS('border-left-color', 'rgba(0, 0, 0, 0)');
  // The header's count catches up once the last save lands: the train faces and the test faces.
  await expect(page.getByRole('banner')).toContainText(
    `${TRAIN_FACES + TEST_FACES + 1} images · ${TRAIN_FACES + TEST_FACES} labelled`,
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'fewshot-labelled.png') });
  // Each face holds a person's 68 points where they were clicked.
  for (const { imageId, truth } of train) {
    const saved = (await api(page.request, 'labels:get', { imageId }))!.points;
    expect(saved).toHaveLength(POINTS);
    expect(saved.every((p) => p.v === 2 && p.source === 'human' && p.confirmed)).toBe(true);
    const worst = Math.max(
      ...saved.map((p, i) => Math.max(Math.abs(p.x - truth[i]!.x), Math.abs(p.y - truth[i]!.y))),
    );
    expect(worst, `face ${imageId}: farthest coordinate from its click`).toBeLessThanOrEqual(
      tolerance.get(imageId)!,
    );
  }

  // One click: the task's defaults, nothing changed in the Advanced form.
  await openSection(page, 'Train');
  const data = page.getByTestId('data-summary');
  await expect(data).toContainText(`train ${TRAIN_FACES} labelled faces`);
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
    new RegExp(`mean shape of ${TRAIN_FACES} training faces.*nme \\d+\\.\\d+%`),
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
  await expect(stage).toHaveAttribute('data-unconfirmed', String(POINTS), { timeout: 60_000 });
  await expect(status).toHaveText(/^Pre-labelled 68 points/);
  await expect(status).not.toHaveCSS('border-left-color', 'rgba(0, 0, 0, 0)');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const predicted = await api(page.request, 'labels:get', { imageId: fresh });
  expect(predicted!.points).toHaveLength(POINTS);
  expect(predicted!.points.every((p) => p.source === 'model' && !p.confirmed)).toBe(true);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'fewshot-prelabelled.png') });

  expect(errors).toEqual([]);
});
