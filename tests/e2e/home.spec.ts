/**
 * The walking skeleton in a real browser: the home view creates and lists projects, an open
 * project shows the app frame and the training backend, the bridge refuses anything without the
 * per-launch token, and a bad folder gives an error the user can read.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { api, collectPageErrors, env, startAtHome } from './studio';

const SCREENSHOTS = path.join('tests', 'e2e', 'screenshots');
const SECTION_NAMES = ['Library', 'Label', 'Train', 'Models'];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ request }) => {
  await mkdir(SCREENSHOTS, { recursive: true });
  await startAtHome(request);
});

test('a project created in the UI is listed after a reload and opens into the app frame', async ({
  page,
}) => {
  const errors = collectPageErrors(page);
  // The specs share one server: forget the projects earlier ones opened (their folders stay),
  // so the empty list shows whichever spec runs first. A folder of its own per run.
  for (const project of await api(page.request, 'project:recent', {})) {
    await api(page.request, 'project:forget', { dir: project.dir });
  }
  const folder = `helen-${Date.now()}`;
  await page.goto(env('STUDIO_URL'));
  await expect(page.getByRole('heading', { level: 1, name: 'Face Studio' })).toBeVisible();
  await expect(page.getByText('No projects yet')).toBeVisible();

  await page.getByLabel('Project name').fill('Helen faces');
  // Relative to the projects root the server was started with.
  await page.getByLabel('Project folder', { exact: true }).fill(folder);
  await page.getByLabel('Landmark schema').selectOption('wflw98');
  await page.getByRole('button', { name: 'Create project' }).click();

  const sections = page.getByRole('navigation', { name: 'Project sections' });
  await expect(sections).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Helen faces' })).toBeVisible();
  await expect(page.getByText('wflw98 · 0 images · 0 labelled')).toBeVisible();

  await page.getByRole('button', { name: 'Close project' }).click();
  await page.reload();
  const recent = page.getByRole('list', { name: 'Recent projects' });
  await expect(recent.getByRole('button', { name: 'Open Helen faces' })).toBeVisible();
  await expect(recent).toContainText(path.join(env('STUDIO_PROJECTS_ROOT'), folder));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'home.png'), fullPage: true });

  await recent.getByRole('button', { name: 'Open Helen faces' }).click();
  await expect(sections).toBeVisible();
  for (const name of SECTION_NAMES) {
    await expect(sections.getByRole('button', { name, exact: true })).toBeVisible();
  }
  await expect(sections.getByRole('button', { name: 'Library' })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await sections.getByRole('button', { name: 'Label' }).click();
  await expect(sections.getByRole('button', { name: 'Label' })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await expect(page.getByRole('heading', { level: 2, name: 'Label' })).toBeVisible();

  // No native TensorFlow package installs without the internet, so the studio picks wasm here;
  // a machine with tfjs-node would show `tensorflow`. Never `cpu` while wasm loads.
  const backend = page.getByRole('status', { name: 'Training backend' });
  await expect(backend).toHaveText(/^(wasm|tensorflow|tensorflow-gpu)$/, { timeout: 45_000 });
  const reported = await page.evaluate(
    async (token) => {
      const response = await fetch('/api/invoke', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-studio-token': token },
        body: JSON.stringify({ channel: 'system:info', payload: {} }),
      });
      return ((await response.json()) as { value: { backend: { name: string } | null } }).value;
    },
    new URL(env('STUDIO_URL')).searchParams.get('token') ?? '',
  );
  await expect(backend).toHaveText(reported.backend?.name ?? 'no backend reported');
  await expect(page.locator('footer')).toContainText('browser');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'app-frame.png'), fullPage: true });

  // The project stays open on the server: a reload comes back to it.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Helen faces' })).toBeVisible();
  await page.getByRole('button', { name: 'Close project' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Create project' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a folder that is not a project, or lies outside the projects root, gives a clear error', async ({
  page,
}) => {
  await page.goto(env('STUDIO_URL'));
  const openForm = page.getByRole('form', { name: 'Open project' });
  await page.getByLabel('Project folder to open').fill('no-such-project');
  await openForm.getByRole('button', { name: 'Open' }).click();
  const openError = openForm.getByRole('alert');
  await expect(openError).toBeVisible();
  await expect(openError).toContainText('no-such-project');
  await expect(page.getByRole('navigation', { name: 'Project sections' })).toHaveCount(0);

  await page.getByLabel('Project folder to open').fill('/etc');
  await openForm.getByRole('button', { name: 'Open' }).click();
  await expect(openError).toContainText('/etc is outside the projects folder');

  const createForm = page.getByRole('form', { name: 'Create project' });
  await page.getByLabel('Project name').fill('Escapee');
  await page.getByLabel('Project folder', { exact: true }).fill('../escape');
  await createForm.getByRole('button', { name: 'Create project' }).click();
  await expect(createForm.getByRole('alert')).toContainText('outside the projects folder');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'home-error.png'), fullPage: true });
});

test('the bridge refuses the API, the page and the events socket without the token', async ({
  playwright,
  page,
}) => {
  const origin = new URL(env('STUDIO_URL')).origin;
  const api = await playwright.request.newContext({ baseURL: origin });
  const invoke = { channel: 'project:recent', payload: {} };
  expect((await api.post('/api/invoke', { data: invoke })).status()).toBe(401);
  const wrongToken = await api.post('/api/invoke', {
    data: invoke,
    headers: { 'x-studio-token': 'not-the-token' },
  });
  expect(wrongToken.status()).toBe(403);
  expect((await api.get('/')).status()).toBe(401);
  expect((await api.get('/?token=not-the-token')).status()).toBe(403);
  await api.dispose();

  // A fresh browser context has no cookie: the page itself is refused.
  const response = await page.goto(`${origin}/`);
  expect(response?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('face-studio serve');

  const socketStatus = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/api/events`);
    socket.on('unexpected-response', (_request, res) => resolve(res.statusCode ?? 0));
    socket.on('open', () => {
      socket.terminate();
      reject(new Error('the events socket opened without a token'));
    });
    socket.on('error', () => undefined);
  });
  expect(socketStatus).toBe(401);
});
