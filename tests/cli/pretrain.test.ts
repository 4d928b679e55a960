/**
 * `face-studio pretrain` in a child process on a tiny real project with the micro model: progress
 * lines on stderr, the run folder and the exported backbone on disk, exit 2 on a bad config.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns, readRunDetail } from '../../src-main/app/training/run-index';
import { createTinyProject } from '../support/tiny-project';
import { TINY_TEST_CONFIG } from '../support/engine-helpers';
import { CHILD_TEST_TIMEOUT_MS, runCli, trainingRun } from './run-cli';

let workDir: string;
let projectDir: string;
let configFile: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-pretrain-'));
  projectDir = path.join(workDir, 'project');
  await createTinyProject(projectDir, 8);
  configFile = path.join(workDir, 'micro.json');
  await writeFile(configFile, JSON.stringify(TINY_TEST_CONFIG));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio pretrain', { timeout: CHILD_TEST_TIMEOUT_MS }, () => {
  it('trains for a few steps, writes the run folder and exports the backbone', async () => {
    const result = await runCli([
      'pretrain',
      '--project',
      projectDir,
      '--config',
      configFile,
      '--set',
      'maxSteps=3',
      '--set',
      'model.depth=1',
    ]);
    expect(result.stderr).toMatch(/step 3\/3 · loss \d+\.\d+ · lr [\d.e+-]+ · [\d.]+ img\/s · ETA/);
    expect(result.code).toBe(0);
    const { summary, runDir, files } = await trainingRun<{ step: number }>(result, projectDir);
    expect(summary).toMatchObject({ type: 'done', result: { step: 3 } });
    expect(files).toEqual(['checkpoints', 'config.json', 'metrics.jsonl', 'run.json']);
    const config = JSON.parse(await readFile(path.join(runDir, 'config.json'), 'utf8'));
    expect(config.model.depth).toBe(1);
    expect(config.maxSteps).toBe(3);
    expect(config.$comments.lr).toMatch(/Peak learning rate per 256 images/);
    expect(summary.modelDir).toBe(path.join(projectDir, 'models', summary.runId));
    const modelJson = JSON.parse(await readFile(path.join(summary.modelDir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('graph-model');
    expect(modelJson.userDefinedMetadata.faceStudio.vit.depth).toBe(1);

    // --resume continues the same run from its checkpoint, with the saved config.
    const resumed = await runCli([
      'pretrain',
      '--project',
      projectDir,
      '--resume',
      summary.runId,
      '--set',
      'maxSteps=5',
    ]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).not.toMatch(/step [1-3]\//);
    expect(resumed.stderr).toMatch(/step 4\/5[^]*step 5\/5/);
    const metrics = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(metrics).toEqual([1, 2, 3, 4, 5]);

    // The studio's runs index (what the training relay lists) reads the CLI's run as its own.
    expect(summary.runId).toMatch(/^pretrain-\d{8}-\d{9}-[0-9a-f]{4}$/);
    expect(await listRuns(projectDir)).toMatchObject([
      { id: summary.runId, kind: 'pretrain', status: 'done', step: 5, modelId: summary.runId },
    ]);
    const detail = await readRunDetail(projectDir, summary.runId);
    expect(detail.progress.map((p) => [p.step, p.totalSteps])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
      [4, 5],
      [5, 5],
    ]);
    expect(detail.config).toMatchObject({ model: { depth: 1 } });
  });

  it('exits 2 naming an unknown --set key or a wrong type', async () => {
    const runsBefore = await readdir(path.join(projectDir, 'runs'));
    const unknown = await runCli(['pretrain', '--project', projectDir, '--set', 'learnRate=1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Invalid pre-training config — .*learnRate/);
    const wrongType = await runCli([
      'pretrain',
      '--project',
      projectDir,
      '--set',
      'model.depth=deep',
    ]);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/model\.depth/);
    expect(await readdir(path.join(projectDir, 'runs'))).toEqual(runsBefore); // nothing written
  });

  it('--export-torch writes the cluster recipe with mapped paths and trains nothing', async () => {
    const runsBefore = await readdir(path.join(projectDir, 'runs')).catch(() => []);
    const out = path.join(workDir, 'recipe');
    const result = await runCli([
      'pretrain',
      '--project',
      projectDir,
      '--config',
      configFile,
      '--export-torch',
      out,
      '--path-map',
      `${projectDir}=/scratch/faces`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      dir: out,
      faces: 8,
      files: ['config.json', 'manifest.jsonl', 'recipe.json', 'train.py'],
    });
    expect(result.stderr).toMatch(/torchrun --nnodes N --nproc_per_node G train\.py train/);
    const manifest = (await readFile(path.join(out, 'manifest.jsonl'), 'utf8')).trim().split('\n');
    expect(manifest).toHaveLength(8);
    expect(manifest.every((l) => JSON.parse(l).file.startsWith('/scratch/faces/images/'))).toBe(
      true,
    );
    const recipe = JSON.parse(await readFile(path.join(out, 'recipe.json'), 'utf8'));
    expect(recipe.model.vit).toMatchObject({ imageSize: 16, dim: 16 });
    expect(await readdir(path.join(projectDir, 'runs')).catch(() => [])).toEqual(runsBefore);

    const again = await runCli(['pretrain', '--project', projectDir, '--export-torch', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /recipe is not empty: export the recipe into a new or empty folder/,
    );
    const stray = await runCli(['pretrain', '--project', projectDir, '--path-map', '/a=/b']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--path-map goes with --export-torch/);
    const badMap = await runCli([
      'pretrain',
      '--project',
      projectDir,
      '--export-torch',
      `${out}2`,
      '--path-map',
      'nope',
    ]);
    expect(badMap.code).toBe(2);
    expect(badMap.stderr).toMatch(/--path-map nope: expected OLD=NEW/);
  });
});
