/**
 * The labeller end to end in Chromium: a 300w-helen image is put into a project from Node (the
 * Library UI is not needed for this), then every one of its 68 points is placed by clicking at
 * the stage position of its ground-truth coordinate, one is dragged, the drag undone and redone,
 * one point marked occluded, an attribute and MTFL's head pose set; after a reload every point is
 * where it was put. Then the loop a newcomer follows: the template fitted to the eyes (said in the
 * status line, always on screen), confirmed, and the prompt after the last point leading to the
 * next unlabelled face, then, with none left, to Train; and the shortcut list at a small window.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ProjectStore } from '../../src-main/core/project-store';
import { addHelenFace, HELEN, helenNames, makeHelenProject, onPage, stageView } from './helen-face';
import { api, collectPageErrors, env, openSection, startAtHome } from './studio';

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
  // The only image is done: the prompt says so, over the canvas, and leads to Train.
  const done = page.getByTestId('face-done');
  await expect(done).toBeInViewport();
  await expect(done).toContainText('Every image is labelled');
  await expect(done.getByRole('button', { name: 'Go to Train' })).toBeVisible();
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
  // MTFL's head pose: one of five, beside the yes/no attributes.
  const pose = page.getByRole('group', { name: 'pose' });
  await expect(pose.getByRole('radio')).toHaveCount(5);
  await pose.getByRole('radio', { name: 'frontal' }).check();
  await expect(pose.getByRole('radio', { name: 'frontal' })).toBeChecked();
  // Each box sits right beside its own label text.
  const smiling = page.getByRole('checkbox', { name: /Smiling/ });
  const box = (await smiling.boundingBox())!;
  const text = (await page.getByText('Smiling', { exact: true }).boundingBox())!;
  expect(text.x - (box.x + box.width)).toBeLessThan(16);
  expect(Math.abs(text.y + text.height / 2 - (box.y + box.height / 2))).toBeLessThan(6);
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
  await expect(pose.getByRole('radio', { name: 'frontal' })).toBeChecked();
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
  expect(face!.classes).toEqual({ pose: 'frontal' });
  expect(errors).toEqual([]);
});

test('the template fitted to the eyes, the status line and the next face, to Train', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors = collectPageErrors(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await startAtHome(page.request);
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), 'next-face');
  const store = await ProjectStore.create(dir, {
    name: 'Next face',
    landmarkSchema: 'ibug68',
    attributeSchema: 'mtfl',
  });
  const [first, second] = (await helenNames(HELEN)).slice(0, 2) as [string, string];
  const a = await addHelenFace(store, dir, HELEN, first, 'pool', false);
  const b = await addHelenFace(store, dir, HELEN, second, 'pool', false);
  await store.close();
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();
  await openSection(page, 'Label');
  const stage = page.getByTestId('labelling-stage');
  const status = page.getByRole('status', { name: 'Labeller status' });
  await expect(stage).toHaveAttribute('data-image-id', a.imageId);
  await expect(stage).toHaveAttribute('data-image-ready', 'true');

  // T: the template, fitted to the eyes the studio finds; the status line says so, on screen
  // whatever the side panel holds.
  await stage.click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('t');
  await expect(status).toContainText('fitted to the eyes');
  await expect(status).toBeInViewport();
  await expect(stage).toHaveAttribute('data-labelled', '68');
  await expect(stage).toHaveAttribute('data-unconfirmed', '68');
  // Not complete while points wait for a person: no prompt yet.
  await expect(page.getByTestId('face-done')).toBeHidden();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-template-fitted.png') });
  await page.keyboard.press('Shift+C');
  await expect(stage).toHaveAttribute('data-unconfirmed', '0');
  const next = page.getByRole('button', { name: 'Next unlabelled face (U)' });
  await expect(next).toBeInViewport();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-next-face.png') });
  await page.keyboard.press('Enter');
  await expect(stage).toHaveAttribute('data-image-id', b.imageId);
  await expect(stage).toHaveAttribute('data-labelled', '0');
  const saved = await api(page.request, 'labels:get', { imageId: a.imageId });
  expect(saved?.points.every((p) => p.v === 2 && p.confirmed)).toBe(true);

  // The last face: the prompt says none is left and leads to Train.
  await page.keyboard.press('t');
  await expect(stage).toHaveAttribute('data-labelled', '68');
  await page.keyboard.press('Shift+C');
  const done = page.getByTestId('face-done');
  await expect(done).toContainText('Every image is labelled');
  await expect(page.getByRole('button', { name: 'Next unlabelled face (U)' })).toBeHidden();

  // The shortcut list fits a 1280×720 window: Close on screen, focus on it, back on Escape.
  const help = page.getByRole('button', { name: 'Keyboard shortcuts' });
  await help.click();
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  const close = dialog.getByRole('button', { name: 'Close' });
  await expect(close).toBeInViewport({ ratio: 1 });
  await expect(close).toBeFocused();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-shortcuts-1280x720.png') });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(help).toBeFocused();
  await help.click();
  await close.click();
  await expect(dialog).toBeHidden();

  await done.getByRole('button', { name: 'Go to Train' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Train' })).toBeVisible();
  expect(errors).toEqual([]);
});
