/**
 * The labeller end to end in Chromium: a 300w-helen image is put into a project from Node (the
 * Library UI is not needed for this), then every one of its 68 points is placed by clicking at
 * the stage position of its ground-truth coordinate, one is dragged, the drag undone and redone,
 * one point marked occluded and an attribute set; after a reload every point is where it was put.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { makeHelenProject, onPage, stageView } from './helen-face';
import { api, collectPageErrors, env, startAtHome } from './studio';

const SCREENSHOTS = path.join('tests', 'e2e', 'screenshots');
/** Acceptance: within half an image pixel after the round trip. */
const TOLERANCE_PX = 0.5;
/** Which points the test drags and occludes: the nose tip and the chin (300-W numbering − 1). */
const DRAGGED = 30;
const OCCLUDED = 8;
const DRAG_BY = { x: 24, y: 14 };

test.beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
});

test('68 points placed, dragged, undone, redone, occluded and tagged survive a reload', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors = collectPageErrors(page);

  await startAtHome(page.request);
  const { dir, imageId, truth } = await makeHelenProject('labelling', 'Labelling', 'mtfl');
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();
  const sections = page.getByRole('navigation', { name: 'Project sections' });
  await sections.getByRole('button', { name: 'Label' }).click();
  const stage = page.getByTestId('labelling-stage');
  await expect(stage).toHaveAttribute('data-image-id', imageId);
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  await expect(page.getByTestId('next-point')).toContainText('0 ·');

  // Zoom in with the wheel around the face centre: the transform is no longer the fit's.
  const fitted = await stageView(page);
  const centre = onPage(fitted, { x: (truth[36]!.x + truth[45]!.x) / 2, y: truth[30]!.y });
  await page.mouse.move(centre.x, centre.y);
  await page.mouse.wheel(0, -120);
  await expect.poll(async () => (await stageView(page)).scale).toBeGreaterThan(fitted.scale);
  const view = await stageView(page);
  expect(view.scale).not.toBe(1);
  for (const p of truth) {
    const at = onPage(view, p);
    // Every point must be on the stage to be clicked; the crop keeps the face in the middle.
    expect(at.x).toBeGreaterThan(view.left);
    expect(at.x).toBeLessThan(view.left + view.width);
    expect(at.y).toBeGreaterThan(view.top);
    expect(at.y).toBeLessThan(view.top + view.height);
  }

  await page.keyboard.press('p');
  await expect(stage).toHaveAttribute('data-mode', 'place');
  for (const p of truth) {
    const at = onPage(view, p);
    await page.mouse.click(at.x, at.y);
  }
  await expect(stage).toHaveAttribute('data-labelled', '68');
  await expect(page.getByTestId('next-point')).toHaveText('All 68 points placed');
  await page.keyboard.press('v');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-placed.png') });

  // Drag the nose tip; undo puts it back, redo moves it again.
  const from = onPage(view, truth[DRAGGED]!);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + DRAG_BY.x / 2, from.y + DRAG_BY.y / 2, { steps: 4 });
  await page.mouse.move(from.x + DRAG_BY.x, from.y + DRAG_BY.y, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.press('Control+z');
  await expect(page.getByRole('button', { name: 'Redo' })).toBeEnabled();
  await page.keyboard.press('Control+Shift+z');
  await expect(page.getByRole('button', { name: 'Redo' })).toBeDisabled();

  // Occlude the chin: hover it (the label names it), press o.
  const chin = onPage(view, truth[OCCLUDED]!);
  await page.mouse.move(chin.x, chin.y);
  await expect(page.getByRole('tooltip')).toHaveText(`${OCCLUDED} · jaw_08`);
  await page.keyboard.press('o');
  await expect(page.getByRole('tooltip')).toContainText('occluded');
  // MTFL's binary attributes are Male, Smiling, Eyeglasses: key 2 ticks Smiling.
  await page.keyboard.press('2');
  await expect(page.getByRole('checkbox', { name: /Smiling/ })).toBeChecked();
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-edited.png') });

  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-shortcuts.png') });
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();

  await page.reload();
  await sections.getByRole('button', { name: 'Label' }).click();
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  await expect(stage).toHaveAttribute('data-labelled', '68');
  await expect(page.getByRole('checkbox', { name: /Smiling/ })).toBeChecked();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-reloaded.png') });

  const face = await api(page.request, 'labels:get', { imageId });
  expect(face).not.toBeNull();
  const expected = truth.map((p, i) =>
    i === DRAGGED
      ? { x: p.x + DRAG_BY.x / view.scale, y: p.y + DRAG_BY.y / view.scale, v: 2 }
      : { x: p.x, y: p.y, v: i === OCCLUDED ? 1 : 2 },
  );
  face!.points.forEach((p, i) => {
    const want = expected[i]!;
    expect(Math.abs(p.x - want.x), `point ${i} x`).toBeLessThanOrEqual(TOLERANCE_PX);
    expect(Math.abs(p.y - want.y), `point ${i} y`).toBeLessThanOrEqual(TOLERANCE_PX);
    expect(p.v, `point ${i} visibility`).toBe(want.v);
    // Every point was clicked into place by a person.
    expect([p.source, p.confirmed], `point ${i} provenance`).toEqual(['human', true]);
  });
  expect(face!.attributes).toEqual({ Smiling: true });
  expect(errors).toEqual([]);
});
