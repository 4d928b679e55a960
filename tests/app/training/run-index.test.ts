import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listModels,
  listRuns,
  MAX_PROGRESS_POINTS,
  readRunDetail,
  thinPoints,
} from '../../../src-main/app/training/run-index';
import type { JobValidation } from '../../../src-main/shared/worker-protocol';
import { metricsLine, writeCheckpoint, writeModel, writeRun } from './training-fixtures';

let projectDir: string;
beforeEach(async () => {
  projectDir = await mkdtemp(path.join(os.tmpdir(), 'run-index-'));
});
afterEach(async () => {
  await rm(projectDir, { recursive: true, force: true });
});

const record = (createdAt: string, extra: Record<string, unknown> = {}) => ({
  kind: 'pretrain',
  status: 'done',
  createdAt,
  updatedAt: createdAt,
  step: 30,
  lastCheckpoint: null,
  ...extra,
});

describe('listRuns', () => {
  it('is empty for a project without runs/', async () => {
    expect(await listRuns(projectDir)).toEqual([]);
  });

  it('lists runs newest first and reports missing or corrupt records as failed, naming the file', async () => {
    await writeRun(projectDir, 'pretrain-old', record('2025-01-01T00:00:00.000Z'));
    const finetune = await writeRun(
      projectDir,
      'finetune-new',
      record('2025-02-01T00:00:00.000Z', {
        kind: 'finetune',
        task: 'landmarks',
        status: 'cancelled',
        backboneId: 'pretrain-old',
        totalSteps: 120,
        metrics: { nme: 0.07, ced: { thresholds: [0.1], fractions: [1] } },
        modelDir: path.join(projectDir, 'models', 'finetune-new'),
      }),
    );
    await writeCheckpoint(finetune);
    await writeRun(projectDir, 'pretrain-corrupt', '{"kind": "pretrain", "sta');
    await writeRun(projectDir, 'pretrain-missing', null);
    await writeRun(projectDir, 'pretrain-wrong', { kind: 'pretrain', status: 'exploded' });
    // Not a run id: a temporary folder is never listed.
    await mkdir(path.join(projectDir, 'runs', '.tmp-x'), { recursive: true });

    const runs = await listRuns(projectDir);
    // A broken record has no date of its own: its folder's time places it (here: newest).
    const readable = runs.filter((r) => r.error === null);
    expect(readable.map((r) => r.id)).toEqual(['finetune-new', 'pretrain-old']);
    expect(readable[0]).toEqual({
      id: 'finetune-new',
      kind: 'finetune',
      task: 'landmarks',
      status: 'cancelled',
      createdAt: '2025-02-01T00:00:00.000Z',
      updatedAt: '2025-02-01T00:00:00.000Z',
      step: 30,
      totalSteps: 120,
      error: null,
      resumable: true,
      modelId: 'finetune-new',
      backboneId: 'pretrain-old',
      metrics: { nme: 0.07 },
      // The project's only landmarks run: nothing earlier to differ from.
      changes: null,
    });
    expect(readable[1]).toMatchObject({ status: 'done', resumable: false, task: null });

    const byId = Object.fromEntries(runs.map((r) => [r.id, r]));
    expect(byId['pretrain-corrupt']).toMatchObject({ status: 'failed', kind: 'pretrain' });
    expect(byId['pretrain-corrupt']!.error).toMatch(/pretrain-corrupt[/\\]run\.json is corrupt/);
    expect(byId['pretrain-missing']!.error).toMatch(/run\.json cannot be read: it is missing/);
    expect(byId['pretrain-wrong']!.error).toMatch(/is not a run record: status/);
    expect(runs).toHaveLength(5);
  });
});

describe('readRunDetail', () => {
  it('gives the config without comments, thinned progress, validations and the CED', async () => {
    const dir = await writeRun(
      projectDir,
      'finetune-a',
      record('2025-02-01T00:00:00.000Z', {
        kind: 'finetune',
        status: 'running',
        totalSteps: 4500,
        ced: { thresholds: [0, 0.05, 0.1], fractions: [0, 0.6, 0.9] },
      }),
    );
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ epochs: 3, augment: { flip: 0.5 }, $comments: { epochs: 'Passes' } }),
    );
    const lines = Array.from({ length: 4500 }, (_, i) => metricsLine(i + 1));
    lines.splice(10, 0, '{"step": 11, "loss"'); // a line cut short by a kill
    await writeFile(path.join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
    const validation: JobValidation = {
      epoch: 1,
      step: 10,
      metrics: { nme: 0.1 },
      monitored: 'nme',
      lowerIsBetter: true,
      improved: true,
      samples: [],
    };
    await appendFile(
      path.join(dir, 'validation.jsonl'),
      `${JSON.stringify(validation)}\n{"epoch": "bad"}\n`,
    );

    const detail = await readRunDetail(projectDir, 'finetune-a');
    expect(detail.config).toEqual({ epochs: 3, augment: { flip: 0.5 } });
    expect(detail.progress.length).toBe(MAX_PROGRESS_POINTS);
    expect(detail.progress[0]).toMatchObject({ step: 1, totalSteps: 4500, momentum: 0.996 });
    expect(detail.progress.at(-1)).toMatchObject({ step: 4500, loss: 8 - 4.5 });
    const steps = detail.progress.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(detail.validations).toEqual([validation]);
    expect(detail.ced).toEqual({ thresholds: [0, 0.05, 0.1], fractions: [0, 0.6, 0.9] });
  });

  it('refuses a run that does not exist', async () => {
    await expect(readRunDetail(projectDir, 'pretrain-none')).rejects.toThrow(
      /Run pretrain-none does not exist/,
    );
  });
});

describe('thinPoints', () => {
  it('keeps short series whole and spreads long ones evenly, first and last kept', () => {
    expect(thinPoints([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(thinPoints([0, 1, 2, 3, 4, 5, 6, 7, 8], 3)).toEqual([0, 4, 8]);
  });
});

describe('listModels', () => {
  it('lists models with a valid card, with their size, and reports the others', async () => {
    const { sizeBytes } = await writeModel(projectDir, 'finetune-a');
    await writeModel(projectDir, 'pretrain-b', {
      task: 'backbone',
      schema: null,
      createdAt: '2025-04-01T00:00:00.000Z',
    });
    await mkdir(path.join(projectDir, 'models', 'no-card'), { recursive: true });
    await mkdir(path.join(projectDir, 'models', 'bad-card'), { recursive: true });
    await writeFile(path.join(projectDir, 'models', 'bad-card', 'card.json'), '{"format": 1}');

    const shelf = await listModels(projectDir);
    expect(shelf.models.map((m) => [m.id, m.task])).toEqual([
      ['pretrain-b', 'backbone'],
      ['finetune-a', 'landmarks'],
    ]);
    expect(shelf.models[1]).toMatchObject({ sizeBytes, runId: 'finetune-a' });
    expect(shelf.problems).toHaveLength(2);
    expect(shelf.problems.join('\n')).toMatch(/no-card[/\\]card\.json cannot be read/);
    expect(shelf.problems.join('\n')).toMatch(/bad-card[/\\]card\.json is not a model card/);
  });
});
