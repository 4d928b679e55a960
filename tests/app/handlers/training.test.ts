/**
 * The Train view's channels through `dispatch`, on a real project with a fake training process:
 * payloads outside the contract are refused before any handler runs, a bad config is refused by
 * name before a run folder exists, and a start carries the one-click defaults and the backbone.
 */
import { writeComparison } from '../../../src-main/engine/jobs/run-folder';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigField, RunInfo } from '../../../src-main/shared/training';
import { writeModel } from '../training/training-fixtures';
import { createTestStudio, type TestStudio } from './studio-fixture';

let studio: TestStudio;
beforeEach(async () => {
  studio = await createTestStudio();
});
afterEach(async () => {
  await studio.close();
});

const runFolders = async () =>
  readdir(path.join(studio.projectDir, 'runs')).catch(() => [] as string[]);

describe('training handlers', () => {
  it('refuses payloads outside the contract', async () => {
    const refused: [string, unknown][] = [
      ['training:pause', { runId: '../../etc' }],
      ['training:resume', {}],
      ['training:cancel', { runId: 'pretrain-a', extra: true }],
      ['training:start', { kind: 'distill' }],
      ['training:start', { kind: 'finetune', task: 'age' }],
      ['training:run', { runId: '.hidden' }],
      ['training:configSchema', { kind: 'pretrain', unknown: 1 }],
      ['models:delete', { modelId: 'a/b' }],
      ['models:export', { modelId: 'finetune-a', outDir: '' }],
      ['labels:prelabel', { modelId: 'finetune-a', target: 'everything' }],
      ['labels:prelabel', { modelId: 'finetune-a', target: { imageId: 'not-a-hash' } }],
    ];
    for (const [channel, payload] of refused) {
      const result = await studio.invoke(channel as never, payload);
      expect(result, channel).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    }
    expect(studio.processes).toHaveLength(0);
    expect(await runFolders()).toEqual([]);
  });

  it('describes the form and the one-click defaults of the open project', async () => {
    const schema = await studio.value<{ fields: ConfigField[]; defaults: Record<string, unknown> }>(
      'training:configSchema',
      { kind: 'finetune', task: 'landmarks' },
    );
    const keys = schema.fields.map((f) => f.key);
    expect(keys).toContain('augment.rotation');
    expect(keys).not.toContain('task');
    expect(keys).not.toContain('checkpointDir');
    // No face is labelled yet: the batch shrinks to what exists rather than giving no step.
    expect(schema.defaults).toMatchObject({
      task: 'landmarks',
      cacheBackboneTokens: true,
      batchSize: 1,
    });
  });

  it("starts one-click from the winner of the project's last backbone comparison", async () => {
    const defaults = async () =>
      (
        await studio.value<{ defaults: Record<string, unknown> }>('training:configSchema', {
          kind: 'finetune',
          task: 'landmarks',
        })
      ).defaults;
    expect((await defaults()).faceBackbones).toEqual(['facemesh']);
    await writeComparison(studio.projectDir, {
      format: 'face-studio-backbone-comparison',
      version: 1,
      task: 'landmarks',
      createdAt: '2026-12-03T07:00:00.000Z',
      metric: 'nme',
      lowerIsBetter: true,
      faces: { train: 3, val: 1, test: 0 },
      baseline: { name: 'mean shape', val: null, test: null },
      rows: [],
      winner: 'mini-xception',
      chosenBy: 'val',
    });
    expect((await defaults()).faceBackbones).toEqual(['mini-xception']);
  });

  it('refuses a bad config by name before making a run folder', async () => {
    const result = await studio.invoke('training:start', {
      kind: 'pretrain',
      config: { epochz: 3, batchSize: 'many' },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(!result.ok && result.error.message).toMatch(/epochz/);
    expect(!result.ok && result.error.message).toMatch(/batchSize/);
    const noTask = await studio.invoke('training:start', { kind: 'finetune' });
    expect(noTask).toMatchObject({ ok: false, error: { message: 'Fine-tuning needs a task' } });
    expect(await runFolders()).toEqual([]);
    expect(studio.processes).toHaveLength(0);
  });

  it("starts a fine-tuning run from a backbone with the backbone's model shape", async () => {
    await writeModel(studio.projectDir, 'pretrain-b', { task: 'backbone', schema: null });
    const run = await studio.value<RunInfo>('training:start', {
      kind: 'finetune',
      task: 'landmarks',
      backboneId: 'pretrain-b',
      config: { epochs: 4 },
    });
    expect(run).toMatchObject({ kind: 'finetune', task: 'landmarks', backboneId: 'pretrain-b' });
    const [submit] = studio.processes[0]!.submits();
    expect(submit).toMatchObject({
      kind: 'finetune',
      backboneDir: path.join(studio.projectDir, 'models', 'pretrain-b'),
      config: {
        task: 'landmarks',
        epochs: 4,
        model: { preset: 'tiny', depth: 1 },
        trainableBlocks: 0,
        cacheBackboneTokens: true,
      },
    });
    // The list adds what changed since the previous such run: there is none.
    expect(await studio.value<RunInfo[]>('training:runs', {})).toEqual([{ ...run, changes: null }]);
    const detail = await studio.value<{ run: RunInfo }>('training:run', { runId: run.id });
    expect(detail.run.id).toBe(run.id);

    // A landmarks model is no backbone to start from.
    await writeModel(studio.projectDir, 'finetune-l');
    const wrong = await studio.invoke('training:start', {
      kind: 'finetune',
      task: 'landmarks',
      backboneId: 'finetune-l',
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});
