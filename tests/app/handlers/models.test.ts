/**
 * The Models view's channels on a project folder with models: the shelf, export (a copy of the
 * folder, never over an existing one) and delete (refused while a live run reads the model).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../src-main/shared/training';
import { exportFinetunedModel } from '../../../src-main/engine/export/export-model';
import { CACHED_ONNX } from '../../../src-main/engine/export/onnx/onnx-cache';
import { cardFieldsFor, randomResult } from '../../engine/export/export-fixtures';
import { writeModel } from '../training/training-fixtures';
import { createTestStudio, type TestStudio } from './studio-fixture';

let studio: TestStudio;
beforeEach(async () => {
  studio = await createTestStudio();
});
afterEach(async () => {
  await studio.close();
});

describe('model handlers', () => {
  it('lists, exports and deletes models', async () => {
    const { dir, sizeBytes } = await writeModel(studio.projectDir, 'finetune-a');
    const models = await studio.value<ModelInfo[]>('models:list', {});
    expect(models).toEqual([
      expect.objectContaining({
        id: 'finetune-a',
        task: 'landmarks',
        sizeBytes,
        runId: 'finetune-a',
      }),
    ]);

    const outDir = path.join(studio.workDir, 'exported');
    const modelFiles = (await readdir(dir)).sort();
    // ONNX Runtime's conversion cached beside the model by a predict stays behind.
    await writeFile(path.join(dir, CACHED_ONNX), 'cached conversion');
    const exported = await studio.value<{ dir: string; files: number }>('models:export', {
      modelId: 'finetune-a',
      outDir,
    });
    expect(exported).toEqual({ dir: path.join(outDir, 'finetune-a'), files: 3 });
    expect((await readdir(exported.dir)).sort()).toEqual(modelFiles);
    expect(await readFile(path.join(exported.dir, 'card.json'), 'utf8')).toBe(
      await readFile(path.join(dir, 'card.json'), 'utf8'),
    );
    // No temporary folder is left beside the export.
    expect(await readdir(outDir)).toEqual(['finetune-a']);
    const again = await studio.invoke('models:export', { modelId: 'finetune-a', outDir });
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const missing = await studio.invoke('models:export', { modelId: 'finetune-none', outDir });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });

    expect(await studio.value('models:delete', { modelId: 'finetune-a' })).toEqual({
      deleted: true,
    });
    expect(await stat(dir).catch(() => null)).toBeNull();
    expect(await readdir(path.join(studio.projectDir, 'models'))).toEqual([]);
    expect(await studio.value('models:delete', { modelId: 'finetune-a' })).toEqual({
      deleted: false,
    });
    expect(await studio.value('models:list', {})).toEqual([]);
  });

  it('exports a model as ONNX: model.onnx and the card, a folder that is not a graph refused', async () => {
    const dir = path.join(studio.projectDir, 'models', 'vit-1');
    await exportFinetunedModel(
      dir,
      randomResult('landmarks', 2),
      cardFieldsFor('landmarks', 'vit-1'),
    );
    const outDir = path.join(studio.workDir, 'onnx');
    const exported = await studio.value<{ dir: string; files: number }>('models:export', {
      modelId: 'vit-1',
      outDir,
      format: 'onnx',
    });
    expect(exported).toEqual({ dir: path.join(outDir, 'vit-1'), files: 2 });
    expect((await readdir(exported.dir)).sort()).toEqual(['card.json', 'model.onnx']);
    // An ONNX ModelProto: field 1 (ir_version, varint) first.
    expect((await readFile(path.join(exported.dir, 'model.onnx')))[0]).toBe(0x08);
    await writeModel(studio.projectDir, 'fake');
    const refused = await studio.invoke('models:export', {
      modelId: 'fake',
      outDir,
      format: 'onnx',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await readdir(outDir)).toEqual(['vit-1']);
    const bad = await studio.invoke('models:export', { modelId: 'vit-1', outDir, format: 'pt' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });

  it('refuses to delete a backbone a live run starts from', async () => {
    await writeModel(studio.projectDir, 'pretrain-b', { task: 'backbone', schema: null });
    const run = await studio.value<{ id: string }>('training:start', {
      kind: 'finetune',
      task: 'landmarks',
      backboneId: 'pretrain-b',
    });
    const refused = await studio.invoke('models:delete', { modelId: 'pretrain-b' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!refused.ok && refused.error.message).toMatch(/in use/);

    // Once the run has ended the backbone can go.
    studio.processes[0]!.post({ type: 'cancelled', jobId: run.id, lastCheckpoint: null });
    await expect
      .poll(async () => (await studio.invoke('models:delete', { modelId: 'pretrain-b' })).ok)
      .toBe(true);
  });
});
