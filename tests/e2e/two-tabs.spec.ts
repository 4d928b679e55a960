/**
 * Two tabs of one browser on the same face. Tab A places all 68 points; tab B still shows the
 * face as it was (no points: its events socket is held back, as on a slow network) and adds one
 * point. B's save names the revision it edited, so the studio refuses it: B says so and reloads
 * A's points, and the stored face keeps them. Once B hears the studio again, it follows A's next
 * edit without a reload.
 */
import { expect, test, type Page } from '@playwright/test';
import { makeHelenProject, onPage, stageView } from './helen-face';
import { api, collectPageErrors, env, startAtHome } from './studio';

/** The point A clears later: the nose tip (300-W numbering − 1), well apart from the others. */
const CLEARED = 30;

async function openLabeller(page: Page, imageId: string): Promise<void> {
  await page.goto(env('STUDIO_URL'));
  const sections = page.getByRole('navigation', { name: 'Project sections' });
  await sections.getByRole('button', { name: 'Label' }).click();
  const stage = page.getByTestId('labelling-stage');
  await expect(stage).toHaveAttribute('data-image-id', imageId);
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
}

test('a stale tab cannot overwrite another tab’s points, and sees its edits live', async ({
  context,
  page: tabA,
}) => {
  test.setTimeout(120_000);
  await startAtHome(tabA.request);
  const { dir, imageId, truth } = await makeHelenProject('two-tabs', 'Two tabs', null);
  await api(tabA.request, 'project:open', { dir });

  const tabB = await context.newPage();
  // Tab B's pushes from the studio wait here until released: B keeps its old view meanwhile.
  let holdB = true;
  const heldForB: string[] = [];
  const toB: { send?: (message: string) => void } = {};
  await tabB.routeWebSocket(/\/api\/events/, (socket) => {
    const server = socket.connectToServer();
    toB.send = (message) => socket.send(message);
    server.onMessage((message) => {
      if (holdB) heldForB.push(String(message));
      else socket.send(message);
    });
  });
  const errorsA = collectPageErrors(tabA);
  const errorsB = collectPageErrors(tabB);
  await openLabeller(tabA, imageId);
  await openLabeller(tabB, imageId);
  const stageA = tabA.getByTestId('labelling-stage');
  const stageB = tabB.getByTestId('labelling-stage');
  await expect(stageB).toHaveAttribute('data-labelled', '0');

  // A places every point and saves.
  const viewA = await stageView(tabA);
  await tabA.keyboard.press('p');
  await expect(stageA).toHaveAttribute('data-mode', 'place');
  for (const p of truth) {
    const at = onPage(viewA, p);
    await tabA.mouse.click(at.x, at.y);
  }
  await expect(stageA).toHaveAttribute('data-labelled', '68');
  await expect(tabA.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  // A's quick autosaves chain their revisions: none was refused as stale (the stored points
  // below would also be out of order if one had been dropped).
  await expect(tabA.getByTestId('save-conflict')).toHaveCount(0);
  await expect.poll(() => heldForB.some((m) => m.includes('labels:changed'))).toBe(true);

  // B, still showing no points, places one; its save is refused and it reloads A's face.
  await expect(stageB).toHaveAttribute('data-labelled', '0');
  const viewB = await stageView(tabB);
  await tabB.keyboard.press('p');
  const somewhere = onPage(viewB, { x: truth[CLEARED]!.x + 40, y: truth[CLEARED]!.y });
  await tabB.mouse.click(somewhere.x, somewhere.y);
  await expect(tabB.getByTestId('save-conflict')).toHaveText(
    'This face was changed in another window; your unsaved change was not saved — reloaded',
  );
  await expect(stageB).toHaveAttribute('data-labelled', '68');
  await expect(tabB.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');

  const stored = await api(tabA.request, 'labels:get', { imageId });
  expect(stored?.points).toHaveLength(68);
  // A click lands within half a screen pixel of where it was aimed: that much in image pixels.
  const tolerance = 0.5 / viewA.scale + 1e-6;
  stored!.points.forEach((p, i) => {
    expect(Math.abs(p.x - truth[i]!.x), `point ${i} x`).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(p.y - truth[i]!.y), `point ${i} y`).toBeLessThanOrEqual(tolerance);
    expect(p.v, `point ${i}`).toBe(2);
  });

  // B hears the studio again (what was held arrives late, as after a slow network).
  holdB = false;
  for (const message of heldForB.splice(0)) toB.send!(message);
  const revision = stored!.revision;

  // A clears the nose tip; B follows without a reload.
  await tabA.keyboard.press('v');
  const tip = onPage(viewA, truth[CLEARED]!);
  await tabA.mouse.move(tip.x, tip.y);
  await expect(tabA.getByRole('tooltip')).toContainText(`${CLEARED} ·`);
  await tabA.keyboard.press('x');
  await expect(stageA).toHaveAttribute('data-labelled', '67');
  await expect(tabA.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await expect(stageB).toHaveAttribute('data-labelled', '67');
  const after = await api(tabA.request, 'labels:get', { imageId });
  expect(after?.revision).toBeGreaterThan(revision);
  expect(after?.points[CLEARED]?.v).toBe(0);

  expect(errorsA).toEqual([]);
  expect(errorsB).toEqual([]);
});
