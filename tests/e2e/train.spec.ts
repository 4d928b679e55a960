/**
 * Training end to end in Chromium: a project of labelled 300w-helen faces is made from Node, then
 * everything else goes through the UI. A landmarks fine-tune starts from the Advanced form (few
 * epochs, so the test ends), the charts fill from live events; after a reload while it is paused
 * the top bar's running jobs lead back to it; Cancel asks first, then the run is cancelled,
 * resumed from its checkpoint and finishes with metrics and a CED curve; a reload reattaches to
 * the run. The
 * model is exported from the Models view, pre-labels an unlabelled face in the labeller, and one
 * predicted point (the most uncertain) is confirmed; then every other unlabelled face is
 * pre-labelled in the background. The card and the dashboard show the test NME beside the mean
 * shape's; a model no better than it asks before pre-labelling. A second test kills the training
 * process under a run: the dashboard shows it failed with the process's end, and it resumes from
 * its checkpoint.
 */
import { mkdir, readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Split } from '../../src-main/shared/domain';
import { ModelCard } from '../../src-main/shared/model-card';
import { addHelenFace, HELEN, helenNames } from './helen-face';
import { api, collectPageErrors, env, openSection, startAtHome } from './studio';

const SCREENSHOTS = path.join('tests', 'e2e', 'screenshots');
/** Few-shot: enough faces for a few steps per epoch at batch 8, few enough to train in seconds. */
const SPLITS: [Split, number][] = [
  ['train', 24],
  ['val', 6],
  ['test', 6],
];
/** Images left unlabelled: the first is pre-labelled on its own, the rest by the background job. */
const UNLABELLED = 2;
/** Short enough for CI's 2 cores, long enough to cancel in the middle. */
const EPOCHS = 40;
const RUN_TIMEOUT_MS = 240_000;
/** The test figure beside the mean shape's, as the card and the Train view write it. */
const QUALITY = /^\d+\.\d% NME on 6 test faces — the mean shape alone: \d+\.\d%$/;

interface Made {
  dir: string;
  unlabelled: string[];
}

/** Copies Helen test images into a fresh project, labelled from their .pts files. */
async function makeProject(): Promise<Made> {
  // A folder per run: the projects root is shared by every spec (and by --repeat-each).
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), `training-${Date.now()}`);
  const store = await ProjectStore.create(dir, {
    name: 'Training',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  const names = await helenNames(HELEN);
  const labelledCount = SPLITS.reduce((sum, [, n]) => sum + n, 0);
  const plan: (Split | null)[] = [
    ...SPLITS.flatMap(([split, n]) => Array<Split>(n).fill(split)),
    ...Array<null>(UNLABELLED).fill(null),
  ];
  const unlabelled: string[] = [];
  for (const [i, split] of plan.entries()) {
    const { imageId } = await addHelenFace(
      store,
      dir,
      HELEN,
      names[i]!,
      split ?? 'pool',
      split !== null,
    );
    if (split === null) unlabelled.push(imageId);
  }
  expect(plan.length - unlabelled.length).toBe(labelledCount);
  await store.close();
  return { dir, unlabelled };
}

async function points(chart: Locator): Promise<number> {
  return Number(await chart.getAttribute('data-points'));
}

/**
 * Waits until `check` holds while the run trains; a run that fails instead stops the wait with the
 * error the dashboard shows, so a failure names its cause rather than a timeout.
 */
async function whileTraining(
  page: Page,
  what: string,
  check: (status: string) => Promise<boolean>,
  timeout = 15_000,
): Promise<void> {
  const status = page.getByTestId('run-status');
  const until = Date.now() + timeout;
  let seen = '';
  while (Date.now() < until) {
    seen = (await status.getAttribute('data-status').catch(() => null)) ?? '';
    if (await check(seen)) return;
    if (seen === 'failed') {
      const error = await page.getByTestId('run-error').textContent();
      throw new Error(`Waiting for ${what}, the run failed: ${error ?? '(no error shown)'}`);
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`Waiting for ${what}: timed out with the run ${seen || 'not shown'}`);
}

function waitForStatus(page: Page, wanted: RegExp, timeout?: number): Promise<void> {
  return whileTraining(page, `status ${wanted}`, async (status) => wanted.test(status), timeout);
}

/**
 * The training process under `serve` (a descendant of the server, found through /proc: the
 * tests run on Linux), by its entry file's name.
 */
async function trainingProcessPid(): Promise<number> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(name), ppid);
  }
  const server = Number(env('STUDIO_SERVER_PID'));
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined; p = parents.get(p))
      if (p === server) return true;
    return false;
  };
  const found: number[] = [];
  for (const pid of parents.keys()) {
    if (!descends(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (/training-process\.(ts|js)/.test(cmdline)) found.push(pid);
  }
  // A process that is only a wrapper (tsx) has the entry in its command line too: the deepest
  // one runs the jobs. Its cwd is read only to be sure it is still alive.
  const deepest = found.filter((pid) => !found.some((other) => parents.get(other) === pid));
  expect(deepest, 'one training process under serve').toHaveLength(1);
  await readlink(`/proc/${deepest[0]}/cwd`);
  return deepest[0]!;
}

test.beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
});

test('fine-tune from the UI: live charts, cancel, resume, finish, export, pre-label, confirm', async ({
  page,
}) => {
  test.setTimeout(2 * RUN_TIMEOUT_MS + 120_000);
  const errors = collectPageErrors(page);

  await startAtHome(page.request);
  const { dir, unlabelled } = await makeProject();
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();
  await openSection(page, 'Train');
  await expect(page.getByRole('heading', { level: 2, name: 'Train' })).toBeVisible();

  // What the run would train on, and where.
  const data = page.getByTestId('data-summary');
  await expect(data).toContainText('train 24 labelled faces');
  await expect(data).toContainText('val 6 labelled faces');
  await expect(data).toContainText('test 6 labelled faces');
  await expect(page.getByTestId('backend-summary')).toContainText(/wasm|tensorflow/, {
    timeout: 45_000,
  });
  await expect(page.getByTestId('task-picker')).toHaveValue('finetune-landmarks');
  await expect(page.getByTestId('backbone-picker')).toHaveValue('');

  // The Advanced form: generated fields with their help; only the changed key is sent.
  await page.getByTestId('toggle-advanced').click();
  const form = page.getByTestId('advanced-form');
  const epochs = form.getByLabel('epochs', { exact: true });
  await expect(epochs).toBeVisible();
  await expect(form).toContainText('Passes over the training split');
  await epochs.fill(String(EPOCHS));
  // One-click landmarks fit a closed-form head on FaceMesh in one go; this test follows a
  // gradient run (epochs, live charts, pause, checkpoints), so it asks for one. (The summary
  // lists changed keys in the form's order.)
  await expect(form.getByLabel('method', { exact: true })).toHaveValue('backbone-head');
  await form.getByLabel('method', { exact: true }).selectOption('gradient');
  await expect(page.getByTestId('changed-keys')).toHaveText('Changed: method, epochs');
  await page.getByTestId('start-advanced').click();

  const dashboard = page.getByTestId('run-dashboard');
  await waitForStatus(page, /^(queued|running)$/);
  const runId = await dashboard.getAttribute('data-run-id');
  expect(runId).toBeTruthy();

  // Live charts: loss, learning rate and speed fill from progress events.
  const loss = page.getByTestId('chart-loss');
  await whileTraining(
    page,
    '3 points on the loss chart',
    async () => (await points(loss)) >= 3,
    RUN_TIMEOUT_MS,
  );
  expect(await points(page.getByTestId('chart-lr'))).toBeGreaterThanOrEqual(3);
  expect(await points(page.getByTestId('chart-speed'))).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId('run-eta')).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'train-dashboard-running.png') });

  // Pause holds it between steps; Resume continues.
  await page.getByTestId('pause-run').click();
  await waitForStatus(page, /^paused$/, 60_000);
  await expect(page.getByTestId('resume-run')).toHaveText('Resume');

  // A reload lands on Library; the top bar says the run is still there and leads back to it.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Library', exact: true })).toHaveAttribute(
    'aria-current',
    'page',
  );
  const jobs = page.getByRole('region', { name: 'Running jobs' });
  const runningJob = jobs.getByTestId('running-job');
  await expect(runningJob).toHaveAttribute('data-job-id', runId!);
  await expect(runningJob).toHaveAccessibleName(
    /^Fine-tune landmarks, paused · step \d+ \/ \d+ · \d+%$/,
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'running-jobs-after-reload.png') });
  await runningJob.click();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await expect(dashboard).toHaveAttribute('data-run-id', runId!);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');

  await page.getByTestId('resume-run').click();
  await waitForStatus(page, /^running$/, 60_000);
  await expect(runningJob).toHaveAttribute('data-status', 'running');

  // Cancel asks first: keeping it running changes nothing; confirming stops it after a
  // checkpoint, so it can resume from there.
  const ask = page.getByRole('alertdialog', { name: 'Cancel this run?' });
  await page.getByTestId('cancel-run').click();
  await expect(ask).toBeVisible();
  await expect(ask.getByRole('button', { name: 'Keep running' })).toBeFocused();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'train-cancel-confirm.png') });
  await ask.getByRole('button', { name: 'Keep running' }).click();
  await expect(ask).toBeHidden();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  await page.getByTestId('cancel-run').click();
  await ask.getByRole('button', { name: 'Cancel run' }).click();
  await expect(ask).toBeHidden();
  await waitForStatus(page, /^cancelled$/, 60_000);
  // An ended run leaves the running jobs.
  await expect(jobs).toBeHidden();
  const resume = page.getByTestId('resume-run');
  await expect(resume).toHaveText('Resume from checkpoint');
  const stoppedAt = await points(loss);

  // A reload reattaches to the same run with its logged steps.
  await page.reload();
  await openSection(page, 'Train');
  await expect(dashboard).toHaveAttribute('data-run-id', runId!);
  await expect.poll(() => points(loss)).toBeGreaterThanOrEqual(Math.min(stoppedAt, 3));

  await resume.click();
  await waitForStatus(page, /^(queued|running|done)$/);
  // A reload while it trains reattaches and follows it to the end.
  await page.reload();
  await openSection(page, 'Train');
  await expect(dashboard).toHaveAttribute('data-run-id', runId!);
  await waitForStatus(page, /^done$/, RUN_TIMEOUT_MS);
  const metrics = page.getByTestId('run-metrics');
  await expect(metrics).toContainText('Final metrics');
  await expect(metrics).toContainText(/nme \d+\.\d+%/);
  // The model's test figure beside the mean shape's on the same faces, in words.
  await expect(dashboard.getByTestId('model-quality-summary')).toHaveText(QUALITY);
  await expect.poll(() => points(page.getByTestId('chart-validation'))).toBeGreaterThan(0);
  await expect.poll(() => points(page.getByTestId('chart-ced'))).toBeGreaterThan(1);
  await expect(page.getByTestId('sample-face').first()).toBeVisible();
  const modelId = await page.getByTestId('run-model').textContent();
  expect(modelId).toBeTruthy();
  await expect(page.getByTestId('run-history').locator(`[data-run-id="${runId}"]`)).toContainText(
    'done',
  );
  await page.getByTestId('toggle-config').click();
  await expect(page.getByTestId('run-config')).toContainText(`"epochs": ${EPOCHS}`);
  await page.getByTestId('toggle-config').click();
  // A tall window shows the whole dashboard (its section scrolls inside the frame, not the page).
  await page.setViewportSize({ width: 1280, height: 1700 });
  await dashboard.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'train-dashboard.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The model on the shelf: card, metrics, export into a folder under the projects root.
  await openSection(page, 'Models');
  const shelf = page.getByTestId('model-shelf');
  await shelf.locator(`[data-model-id="${modelId}"]`).click();
  const card = page.getByTestId('model-card');
  await expect(card).toHaveAttribute('data-model-id', modelId!);
  await expect(page.getByTestId('model-metrics')).toContainText('nme');
  await expect(card).toContainText('24 train · 6 val · 6 test faces');
  // The card: the figure beside its baseline, the baseline's rule and values, and a plain
  // warning exactly when the card's verdict says the model is no better.
  await expect(card.getByTestId('model-quality-summary')).toHaveText(QUALITY);
  await expect(card.getByTestId('model-baseline')).toContainText(
    /mean shape of 24 training faces.*nme \d+\.\d+%/,
  );
  const written = ModelCard.parse(
    JSON.parse(await readFile(path.join(dir, 'models', modelId!, 'card.json'), 'utf8')),
  );
  const verdict = written.metrics[0]!.verdict;
  expect(verdict).toMatch(/^(better|no-better)$/);
  const noBetter = verdict === 'no-better';
  await expect(card.getByTestId('model-no-better')).toHaveCount(noBetter ? 1 : 0);
  if (noBetter)
    await expect(card.getByTestId('model-no-better')).toContainText(
      'No better than the mean shape',
    );
  // Without a folder, the export says why beside its field (not in a banner atop the page).
  await page.getByTestId('export-model').click();
  await expect(page.getByTestId('export-error')).toHaveText('Give the folder to export into.');
  await expect(page.getByTestId('export-dir')).toHaveAccessibleDescription(
    'Give the folder to export into.',
  );
  await page.getByTestId('export-dir').fill('exports');
  await expect(page.getByTestId('export-error')).toHaveCount(0);
  await page.getByTestId('export-model').click();
  await expect(page.getByTestId('export-done')).toContainText('Exported');
  const exported = path.join(env('STUDIO_PROJECTS_ROOT'), 'exports', modelId!);
  // The export is the project's model folder, file for file and byte for byte.
  const modelFolder = path.join(dir, 'models', modelId!);
  const files = (await readdir(modelFolder, { recursive: true })).sort();
  expect(files).toEqual(expect.arrayContaining(['card.json', 'model.json']));
  expect((await readdir(exported, { recursive: true })).sort()).toEqual(files);
  for (const file of files) {
    if (!(await stat(path.join(modelFolder, file))).isFile()) continue;
    const want = await readFile(path.join(modelFolder, file));
    const got = await readFile(path.join(exported, file));
    expect(got.equals(want), file).toBe(true);
  }
  expect(JSON.parse(await readFile(path.join(exported, 'card.json'), 'utf8'))).toMatchObject({
    id: modelId,
    task: 'landmarks',
  });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'models.png') });
  // The card links to the run that made the model.
  await page.getByTestId('open-run').click();
  await expect(dashboard).toHaveAttribute('data-run-id', runId!);

  // Pre-label the first unlabelled face (the labeller opens on it) with the new model.
  await openSection(page, 'Label');
  const stage = page.getByTestId('labelling-stage');
  await expect(stage).toHaveAttribute('data-image-id', unlabelled[0]!);
  await expect(stage).toHaveAttribute('data-image-ready', 'true');
  await expect(page.getByTestId('prelabel-model')).toHaveValue(modelId!);
  await page.getByTestId('prelabel-current').click();
  // A model no better than its baseline asks first, naming the figures.
  const caution = page.getByTestId('prelabel-caution');
  if (noBetter) {
    await expect(caution).toContainText(`Model ${modelId} is no better than its baseline`);
    // An alert dialog named by its title and described by the figures; the safe answer has the
    // focus, so Enter never pre-labels by accident.
    await expect(
      page.getByRole('alertdialog', { name: 'This model is no better than its baseline' }),
    ).toHaveAccessibleDescription(/is no better than its baseline/);
    await expect(page.getByTestId('prelabel-caution-keep-off')).toBeFocused();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-prelabel-caution.png') });
    await page.getByTestId('prelabel-caution-proceed').click();
  }
  await expect(caution).toHaveCount(0);
  await expect(stage).toHaveAttribute('data-unconfirmed', '68', { timeout: 60_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'labelling-prelabelled.png') });

  // W finds the most uncertain point; C confirms it.
  await page.keyboard.press('w');
  await expect(stage).toHaveAttribute('data-active', /^\d+$/);
  const confirmed = Number(await stage.getAttribute('data-active'));
  await page.keyboard.press('c');
  await expect(stage).toHaveAttribute('data-unconfirmed', '67');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const face = await api(page.request, 'labels:get', { imageId: unlabelled[0]! });
  expect(face!.points.filter((p) => !p.confirmed)).toHaveLength(67);
  // Confirmed where the model put it: still the model's point, now checked by a person.
  expect(face!.points[confirmed]).toMatchObject({ source: 'model', confirmed: true });
  expect(face!.points[confirmed]!.uncertainty).toBeUndefined();
  // The confirmed one was the most doubtful of the model's points (the prediction is repeatable).
  const predicted = await api(page.request, 'labels:prelabel', {
    modelId: modelId!,
    target: { imageId: unlabelled[0]! },
    ...(noBetter ? { acceptNoBetter: true } : {}),
  });
  const doubts = predicted.face!.points.map((p) => p.uncertainty ?? 0);
  expect(doubts[confirmed]).toBe(Math.max(...doubts));

  // Every other unlabelled face, in the background (an accepted model is not asked about again).
  await page.getByTestId('prelabel-all').click();
  await expect(caution).toHaveCount(0);
  const job = page.getByTestId('prelabel-progress');
  await expect(job).toHaveAttribute('data-finished', 'true', { timeout: 60_000 });
  await expect(job).toContainText(`Pre-labelled ${UNLABELLED - 1} of ${UNLABELLED - 1} images`);
  const second = await api(page.request, 'labels:get', { imageId: unlabelled[1]! });
  expect(second!.points.every((p) => p.source === 'model' && !p.confirmed)).toBe(true);

  // Delete asks first; then the shelf is empty.
  await openSection(page, 'Models');
  await page.getByTestId('delete-model').click();
  await page.getByTestId('confirm-delete').click();
  await expect(page.getByText('No models yet')).toBeVisible();
  await expect(stat(exported)).resolves.toBeTruthy();

  expect(errors).toEqual([]);
});

test('a run whose training process dies is shown failed with its end, and resumes from its checkpoint', async ({
  page,
}) => {
  test.setTimeout(RUN_TIMEOUT_MS + 120_000);
  const errors = collectPageErrors(page);

  await startAtHome(page.request);
  const { dir } = await makeProject();
  await page.goto(env('STUDIO_URL'));
  await api(page.request, 'project:open', { dir });
  await page.reload();
  await openSection(page, 'Train');
  await expect(page.getByTestId('backend-summary')).toContainText(/wasm|tensorflow/, {
    timeout: 45_000,
  });
  await page.getByTestId('toggle-advanced').click();
  await page.getByTestId('advanced-form').getByLabel('epochs', { exact: true }).fill('12');
  // A gradient run checkpoints as it goes (a backbone-head fit is one step and does not).
  await page
    .getByTestId('advanced-form')
    .getByLabel('method', { exact: true })
    .selectOption('gradient');
  await page.getByTestId('start-advanced').click();
  await waitForStatus(page, /^(queued|running)$/);
  const runId = (await page.getByTestId('run-dashboard').getAttribute('data-run-id'))!;
  expect(runId).toBeTruthy();

  // Once the first epoch's checkpoint is on disk, the process is killed as a crash would.
  await expect
    .poll(async () => (await api(page.request, 'training:run', { runId })).run.resumable, {
      timeout: RUN_TIMEOUT_MS,
    })
    .toBe(true);
  const stepBefore = (await api(page.request, 'training:run', { runId })).progress.at(-1)?.step;
  process.kill(await trainingProcessPid(), 'SIGKILL');

  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('run-error')).toContainText('The training process exited');
  await expect(page.getByTestId('run-error')).toContainText('SIGKILL');
  await expect(page.getByTestId('run-history').locator(`[data-run-id="${runId}"]`)).toContainText(
    'failed',
  );
  // It shows the step it died at, not the last one the job wrote to disk.
  const diedAt = Number(await page.getByTestId('run-progress').getAttribute('aria-valuenow'));
  expect(diedAt).toBeGreaterThanOrEqual(stepBefore ?? 1);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'train-dashboard-failed.png') });

  // The failure is on disk, not only in the page: a reload shows it too.
  await page.reload();
  await openSection(page, 'Train');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('run-progress')).toHaveAttribute('aria-valuenow', String(diedAt));
  const resume = page.getByTestId('resume-run');
  await expect(resume).toHaveText('Resume from checkpoint');

  // Resume starts a new training process and continues the same run to the end.
  await resume.click();
  await expect(page.getByTestId('run-status')).not.toHaveAttribute('data-status', 'failed');
  await waitForStatus(page, /^done$/, RUN_TIMEOUT_MS);
  const detail = await api(page.request, 'training:run', { runId });
  expect(detail.run.status).toBe('done');
  expect(detail.progress.at(-1)!.step).toBeGreaterThan(stepBefore ?? 0);
  await expect(page.getByTestId('run-metrics')).toContainText(/nme \d+\.\d+%/);

  expect(errors).toEqual([]);
});
