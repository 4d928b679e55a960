/**
 * `face-studio finetune` in a child process on a tiny labelled project (HELEN faces) with a very
 * small model: progress and validation lines on stderr, a JSON summary, the run folder and the
 * exported model; exit 2 on a bad config key or a missing task.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneClickFinetuneInput, projectCounts } from '../../src-main/app/training/one-click-config';
import { ProjectStore } from '../../src-main/core/project-store';
import { resolveFinetuneConfig } from '../../src-main/engine/jobs/run-config';
import { ModelCard } from '../../src-main/shared/model-card';
import { createLabelledProject } from '../engine/data/labelled-project';
import { CHILD_TEST_TIMEOUT_MS, runCli, trainingRun } from './run-cli';

let workDir: string;
let projectDir: string;
let configFile: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-finetune-'));
  projectDir = path.join(workDir, 'project');
  await createLabelledProject(projectDir, { train: 8, val: 2, test: 1 });
  configFile = path.join(workDir, 'micro.json');
  await writeFile(
    configFile,
    JSON.stringify({
      model: { preset: 'tiny', imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2 },
      batchSize: 4,
      epochs: 2,
      evalBatchSize: 8,
      landmarkHead: { channels: [8, 8] },
    }),
  );
}, 60_000);
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio finetune', { timeout: CHILD_TEST_TIMEOUT_MS }, () => {
  it('fine-tunes for a few steps, prints progress and a summary, and exports the model', async () => {
    const result = await runCli([
      'finetune',
      '--project',
      projectDir,
      '--task',
      'landmarks',
      '--config',
      configFile,
      '--set',
      'maxSteps=3',
    ]);
    expect(result.stderr).toMatch(/11 labelled landmarks faces/);
    expect(result.stderr).toMatch(/step 3\/3 · loss \d+\.\d+ · lr [\d.e+-]+ · [\d.]+ img\/s · ETA/);
    expect(result.stderr).toMatch(/epoch 1 · validation nme \d+\.\d+/);
    expect(result.code).toBe(0);
    const { summary, files } = await trainingRun<{
      step: number;
      metrics: Record<string, number>;
    }>(result, projectDir);
    expect(summary).toMatchObject({ type: 'done', result: { step: 3 } });
    expect(summary.runId).toMatch(/^finetune-/);
    // One test face: its NME alone sets the failure rate (above 10%) and the CED's area.
    const { nme, failureRate, auc } = summary.result.metrics;
    expect(Object.keys(summary.result.metrics).sort()).toEqual(['auc', 'failureRate', 'nme']);
    expect(Number.isFinite(nme)).toBe(true);
    expect(failureRate).toBe(nme! > 0.1 ? 1 : 0);
    expect(auc).toBeCloseTo(Math.max(0, 0.1 - nme!) / 0.1, 12);
    expect(files).toEqual([
      'checkpoints',
      'config.json',
      'metrics.jsonl',
      'run.json',
      'validation.jsonl',
    ]);
    expect(summary.modelDir).toBe(path.join(projectDir, 'models', summary.runId));
    const card = ModelCard.parse(
      JSON.parse(await readFile(path.join(summary.modelDir, 'card.json'), 'utf8')),
    );
    expect(card).toMatchObject({ task: 'landmarks', data: { train: 8, val: 2, test: 1 } });
    expect(card.metrics[0]!.values).toEqual(summary.result.metrics);
  });

  it('without --config trains what the one-click button trains', { timeout: 300_000 }, async () => {
    const result = await runCli(['finetune', '--project', projectDir, '--task', 'landmarks']);
    expect(result.code).toBe(0);
    const { summary, runDir } = await trainingRun<{ metrics: Record<string, number> }>(
      result,
      projectDir,
    );
    expect(summary).toMatchObject({ type: 'done' });
    // The Train view's config for this project (8 labelled train faces), built by the same code.
    const store = await ProjectStore.open(projectDir, { readOnly: true });
    const counts = projectCounts(store);
    await store.close();
    const oneClick = resolveFinetuneConfig(
      oneClickFinetuneInput('landmarks', counts, {}, false),
      null,
    );
    const saved = JSON.parse(await readFile(path.join(runDir, 'config.json'), 'utf8'));
    const { $comments: _comments, checkpointDir: _dir, ...config } = saved;
    expect(config).toEqual(oneClick);
    expect(config).toMatchObject({ method: 'backbone-head', faceBackbones: ['facemesh'] });
    const card = ModelCard.parse(
      JSON.parse(await readFile(path.join(summary.modelDir, 'card.json'), 'utf8')),
    );
    expect(card.head?.backbones.map((b) => b.id)).toEqual(['facemesh']);
    expect(card.metrics[0]!.values).toEqual(summary.result.metrics);
  });

  it('exits 2 naming a bad config key, or a missing task, and starts no run', async () => {
    const before = await readdir(path.join(projectDir, 'runs'));
    const bad = await runCli([
      'finetune',
      '--project',
      projectDir,
      '--task',
      'landmarks',
      '--set',
      'headLearningRate=1',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/headLearningRate/);
    const noTask = await runCli(['finetune', '--project', projectDir]);
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toMatch(/Missing --task/);
    expect(await readdir(path.join(projectDir, 'runs'))).toEqual(before);
  });
});
