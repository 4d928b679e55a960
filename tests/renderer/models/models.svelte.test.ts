/**
 * The Models section's store against a scripted studio: an export that cannot happen says why
 * beside the export field (its own error), never in the page's banner, and a new attempt, a
 * success or another model clears it.
 */
import { describe, expect, it, vi } from 'vitest';
import { Refusal, settle } from '../support/fake-studio';
import { studio } from '../support/install-studio';
import { modelInfo } from './fixtures';

async function freshModels() {
  vi.resetModules();
  const { models } = await import('../../../src-renderer/src/features/models/models.svelte');
  return models;
}

const MODELS = [modelInfo({ id: 'ft-a' }), modelInfo({ id: 'ft-b' })];

describe('models store: export', () => {
  it('says why an export failed beside the export field, not in the page banner', async () => {
    const models = await freshModels();
    studio.handle('models:list', () => MODELS);
    models.start();
    await settle(10);
    const selected = models.selectedId!;

    await models.exportSelected();
    expect(models.exportError).toBe('Give the folder to export into.');
    expect(models.error).toBeNull();
    expect(studio.requests('models:export')).toEqual([]);

    studio.handle('models:export', () => {
      throw new Refusal('forbidden', 'The export folder /etc is outside the projects root');
    });
    models.exportDir = '/etc';
    await models.exportSelected();
    expect(models.exportError).toBe('The export folder /etc is outside the projects root');
    expect(models.error).toBeNull();
    expect(models.exporting).toBe(false);
    expect(models.exported).toBeNull();

    studio.handle('models:export', ({ outDir }) => ({ dir: `${outDir}/${selected}`, files: 3 }));
    models.exportDir = 'exports';
    await models.exportSelected();
    expect(models.exportError).toBeNull();
    expect(models.exported).toEqual({
      modelId: selected,
      format: 'tfjs',
      dir: `exports/${selected}`,
      files: 3,
    });
    expect(studio.requests('models:export').at(-1)).toEqual({
      modelId: selected,
      outDir: 'exports',
    });
    await models.exportSelected('onnx');
    expect(studio.requests('models:export').at(-1)).toEqual({
      modelId: selected,
      outDir: 'exports',
      format: 'onnx',
    });
    expect(models.exported).toMatchObject({ format: 'onnx', dir: `exports/${selected}` });
  });

  it('forgets the export error when another model is chosen', async () => {
    const models = await freshModels();
    studio.handle('models:list', () => MODELS);
    models.start();
    await settle(10);
    await models.exportSelected();
    expect(models.exportError).not.toBeNull();
    models.select(MODELS.find((m) => m.id !== models.selectedId)!.id);
    expect(models.exportError).toBeNull();
  });
});
