/**
 * What every end-to-end spec shares: the address and projects root that global-setup.ts started
 * `serve` with, a typed call to the bridge's API, and a fresh start at Home. The specs share one
 * server, so each closes whatever project the previous one left open.
 */
import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import type { InvokeChannel, RequestOf, ResponseOf } from '../../src-main/shared/ipc-contract';

export function env(name: 'STUDIO_URL' | 'STUDIO_PROJECTS_ROOT' | 'STUDIO_SERVER_PID'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: global-setup.ts did not run`);
  return value;
}

export async function api<C extends InvokeChannel>(
  request: APIRequestContext,
  channel: C,
  payload: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const token = new URL(env('STUDIO_URL')).searchParams.get('token') ?? '';
  const response = await request.post(new URL('/api/invoke', env('STUDIO_URL')).href, {
    headers: { 'content-type': 'application/json', 'x-studio-token': token },
    data: { channel, payload },
  });
  const body = (await response.json()) as
    { ok: true; value: ResponseOf<C> } | { ok: false; error: { message: string } };
  if (!body.ok) throw new Error(`${channel}: ${body.error.message}`);
  return body.value;
}

/** Closes the project an earlier spec left open, so the page starts at Home. */
export async function startAtHome(request: APIRequestContext): Promise<void> {
  await api(request, 'project:close', {});
}

/** Console errors and uncaught exceptions: a CSP violation or a failed request shows up here. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Opens a section of the open project by its button in the side navigation. */
export async function openSection(
  page: Page,
  name: 'Library' | 'Label' | 'Train' | 'Models',
): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Project sections' })
    .getByRole('button', { name, exact: true })
    .click();
}

/** Fine-tuning a head on frozen FaceMesh on 2 CPU cores, with the first model load. */
export const RUN_TIMEOUT_MS = 300_000;

/** Waits for the run on the dashboard to finish; a failed run stops the wait with its error. */
export async function waitForRunDone(page: Page): Promise<void> {
  const status = page.getByTestId('run-status');
  const until = Date.now() + RUN_TIMEOUT_MS;
  let seen = '';
  while (Date.now() < until) {
    seen = (await status.getAttribute('data-status').catch(() => null)) ?? '';
    if (seen === 'done') return;
    if (seen === 'failed' || seen === 'cancelled') {
      const error = await page.getByTestId('run-error').textContent();
      throw new Error(`The run ${seen}: ${error ?? '(no error shown)'}`);
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`The run did not finish in time: last status ${seen || 'not shown'}`);
}

/**
 * Opens, in Models, the card of the model the finished run on the dashboard made; returns the
 * card (its `data-model-id` checked) and the model's id.
 */
export async function openRunModelCard(page: Page): Promise<{ card: Locator; modelId: string }> {
  const modelId = (await page.getByTestId('run-model').textContent()) ?? '';
  expect(modelId, 'the finished run names its model').not.toBe('');
  await openSection(page, 'Models');
  await page.getByTestId('model-shelf').locator(`[data-model-id="${modelId}"]`).click();
  const card = page.getByTestId('model-card');
  await expect(card).toHaveAttribute('data-model-id', modelId);
  return { card, modelId };
}
