import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImageRecord, Split } from '../../../src-main/shared/domain';
import { faceWithCounter, imageRecord } from '../../support/project-data';
import {
  mergeConfig,
  oneClickConfig,
  oneClickFinetuneConfig,
  oneClickFinetuneInput,
  oneClickPretrainConfig,
  projectCounts,
  resolveRunConfig,
} from '../../../src-main/app/training/one-click-config';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';

describe('one-click configs', () => {
  it('are valid, resolved configs on the tiny preset', () => {
    const counts = { pretrainImages: 300, labelledTrainFaces: 100 };
    const pretrain = oneClickConfig('pretrain', undefined, counts);
    expect(parsePretrainConfig(pretrain)).toEqual(pretrain);
    expect(pretrain).toMatchObject({ model: { preset: 'tiny' }, workers: 2 });
    const finetune = oneClickConfig('finetune', 'expression', counts);
    expect(parseFinetuneConfig(finetune)).toEqual(finetune);
    expect(finetune).toMatchObject({
      task: 'expression',
      trainableBlocks: 0,
      cacheBackboneTokens: true,
    });
  });

  it('size the passes to the project: more images, fewer epochs, within bounds', () => {
    const small = oneClickPretrainConfig({ pretrainImages: 100, labelledTrainFaces: 0 });
    const large = oneClickPretrainConfig({ pretrainImages: 10_000, labelledTrainFaces: 0 });
    expect(small.epochs).toBeGreaterThan(large.epochs);
    expect(large.epochs).toBe(1);
    // Warm-up keeps DINO's 10% share; the prototypes are not frozen for most of a short run.
    expect(large.warmupEpochs).toBeCloseTo(0.1);
    expect(large.freezePrototypesEpochs).toBe(0);
    expect(oneClickPretrainConfig({ pretrainImages: 5, labelledTrainFaces: 0 }).batchSize).toBe(5);

    const few = oneClickFinetuneConfig('landmarks', { pretrainImages: 0, labelledTrainFaces: 100 });
    const many = oneClickFinetuneConfig('landmarks', {
      pretrainImages: 0,
      labelledTrainFaces: 5000,
    });
    expect(few.epochs).toBe(60);
    expect(many.epochs).toBe(10);
    expect(few.batchSize).toBe(8);
    expect(
      oneClickFinetuneConfig('landmarks', { pretrainImages: 0, labelledTrainFaces: 4 }).batchSize,
    ).toBe(3);
  });
});

describe('one-click face backbones', () => {
  const counts = { pretrainImages: 0, labelledTrainFaces: 100 };
  it("are the task's default without a comparison", () => {
    expect(oneClickFinetuneConfig('landmarks', counts).faceBackbones).toEqual(['facemesh']);
    expect(oneClickFinetuneConfig('expression', counts).faceBackbones).toEqual([
      'mini-xception',
      'facemesh',
    ]);
  });
  it("landmarks: the last comparison's winner when the exporter can write it, else the default", () => {
    const config = oneClickConfig('finetune', 'landmarks', counts, 'mini-xception');
    expect(config.faceBackbones).toEqual(['mini-xception']);
    expect(parseFinetuneConfig(config)).toEqual(config);
    // A ViT winner is shown in the comparison, but its head could not be exported.
    const vit = oneClickConfig('finetune', 'landmarks', counts, 'pros-vit:pretrain-a');
    expect(vit.faceBackbones).toEqual(['facemesh']);
  });
  it('attributes and expression: the default with the winner beside it, never the winner alone', () => {
    // The age-gender net alone wins MTFL male but falls to 68.6% on smiling: the default stays.
    expect(
      oneClickConfig('finetune', 'attributes', counts, 'face-api-age-gender').faceBackbones,
    ).toEqual(['face-api-age-gender', 'mini-xception', 'facemesh']);
    expect(oneClickConfig('finetune', 'expression', counts, 'mini-xception').faceBackbones).toEqual(
      ['mini-xception', 'facemesh'],
    );
    // A winner outside the default is added to it.
    const config = oneClickConfig('finetune', 'expression', counts, 'face-api-age-gender');
    expect(config.faceBackbones).toEqual(['mini-xception', 'facemesh', 'face-api-age-gender']);
    expect(parseFinetuneConfig(config)).toEqual(config);
    expect(oneClickConfig('finetune', 'attributes', counts, 'random').faceBackbones).toEqual([
      'face-api-age-gender',
      'mini-xception',
      'facemesh',
    ]);
  });
  it('keep the default when the winner cannot be exported inside the model (a ViT)', () => {
    for (const winner of ['pros-vit:pretrain-a', 'random'])
      expect(oneClickConfig('finetune', 'landmarks', counts, winner).faceBackbones).toEqual([
        'facemesh',
      ]);
  });
});

describe('resolveRunConfig', () => {
  const defaults = oneClickFinetuneConfig('landmarks', {
    pretrainImages: 0,
    labelledTrainFaces: 100,
  });

  it("lays the user's changes over the defaults, nested objects key by key", () => {
    expect(mergeConfig({ a: 1, o: { x: 1, y: 2 }, t: [1, 2] }, { o: { y: 3 }, t: [5] })).toEqual({
      a: 1,
      o: { x: 1, y: 3 },
      t: [5],
    });
    const config = resolveRunConfig('finetune', defaults, { epochs: 5, augment: { flip: 0 } });
    expect(config).toMatchObject({
      epochs: 5,
      augment: { flip: 0, rotation: 0 },
      cacheBackboneTokens: true,
    });
  });

  it('turns the token cache off when the changes rule it out, unless the user asked for it', () => {
    const rotated = resolveRunConfig('finetune', defaults, { augment: { rotation: 15 } });
    expect(rotated.cacheBackboneTokens).toBe(false);
    expect(parseFinetuneConfig(rotated).augment.rotation).toBe(15);
    const unfrozen = resolveRunConfig('finetune', defaults, { trainableBlocks: null });
    expect(unfrozen.cacheBackboneTokens).toBe(false);
    const insisted = resolveRunConfig('finetune', defaults, {
      trainableBlocks: 2,
      cacheBackboneTokens: true,
    });
    expect(insisted.cacheBackboneTokens).toBe(true);
  });
});

describe('one-click landmarks', () => {
  const counts = { pretrainImages: 0, labelledTrainFaces: 100 };

  it('fit a head on FaceMesh, with the measured gradient recipe kept for a switch of method', () => {
    const config = oneClickFinetuneConfig('landmarks', counts);
    expect(config).toMatchObject({ method: 'backbone-head', faceBackbones: ['facemesh'] });
    expect(parseFinetuneConfig(config)).toEqual(config);
    // Attributes and expression fit ridge classifiers on their default backbones too.
    expect(oneClickFinetuneConfig('attributes', counts)).toMatchObject({
      method: 'backbone-head',
      faceBackbones: ['face-api-age-gender', 'mini-xception', 'facemesh'],
    });
    expect(oneClickFinetuneConfig('expression', counts)).toMatchObject({
      method: 'backbone-head',
      faceBackbones: ['mini-xception', 'facemesh'],
    });
    const switched = parseFinetuneConfig(
      oneClickFinetuneInput('landmarks', counts, { method: 'gradient' }, false),
    );
    expect(switched).toMatchObject({
      method: 'gradient',
      cacheBackboneTokens: true,
      headLr: 1e-2,
      landmarkHead: { context: 5, contextChannels: 32 },
    });
  });

  it('build the run config the Train view and the CLI share', () => {
    const input = oneClickFinetuneInput('landmarks', counts, {}, false);
    expect(input).toEqual({ ...oneClickFinetuneConfig('landmarks', counts), task: 'landmarks' });
    const changed = oneClickFinetuneInput('landmarks', counts, { valFraction: 0.2 }, false);
    expect(changed.valFraction).toBe(0.2);
    expect(changed.method).toBe('backbone-head');
    // From a pre-trained ViT backbone: that ViT is trained, in its shape, unless the changes
    // name a method or a model.
    expect(oneClickFinetuneInput('landmarks', counts, {}, true)).toMatchObject({
      method: 'gradient',
      faceBackbones: null,
    });
    expect(oneClickFinetuneInput('landmarks', counts, {}, true).model).toBeUndefined();
    expect(
      oneClickFinetuneInput('landmarks', counts, { method: 'backbone-head' }, true).method,
    ).toBe('backbone-head');
    expect(
      oneClickFinetuneInput('landmarks', counts, { model: { preset: 'small' } }, true).model,
    ).toEqual({ preset: 'small' });
  });
});

describe('projectCounts', () => {
  /** The counts by their definition: a look at every record and face. */
  function scanned(store: ProjectStore) {
    const images = store.listImages();
    return {
      pretrainImages: images.filter(
        (r) => (r.split === 'pool' || r.split === 'train') && !r.flags?.includes('no-face'),
      ).length,
      labelledTrainFaces: images.filter((r) => r.split === 'train' && store.getFace(r.id) !== null)
        .length,
    };
  }

  it('match a scan of the records through split moves, flags, faces and removals', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'project-counts-'));
    const store = await ProjectStore.create(path.join(dir, 'p'), {
      name: 'counts',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
    try {
      const splits: Split[] = ['pool', 'train', 'val', 'test', 'train', 'pool', 'train'];
      const records: ImageRecord[] = Array.from({ length: 40 }, (_, n) => {
        const base = { ...imageRecord(n), split: splits[n % splits.length]! };
        // no-face on some pool/train/val images, another flag on others (not left out).
        if (n % 5 === 1) return { ...base, face: null, flags: ['no-face'] };
        if (n % 5 === 3) return { ...base, flags: ['near-duplicate'] };
        return base;
      });
      await store.putImages(records);
      for (const n of [0, 1, 2, 3, 4, 6, 8, 11, 13, 18, 25, 32])
        await store.saveFace(faceWithCounter(records[n]!.id, n));
      const first = projectCounts(store);
      expect(first).toEqual(scanned(store));
      expect(first.pretrainImages).toBeGreaterThan(0);
      expect(first.labelledTrainFaces).toBeGreaterThan(0);

      // A labelled image moves out of train, a no-face flag is lifted, one is set, one removed.
      await store.putImages([
        { ...records[4]!, split: 'val' },
        { ...records[1]!, flags: [] },
        { ...records[5]!, flags: ['no-face'] },
      ]);
      await store.removeImages([records[6]!.id]);
      const second = projectCounts(store);
      expect(second).toEqual(scanned(store));
      expect(second).not.toEqual(first);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('are zeros with no project open', () => {
    expect(projectCounts(null)).toEqual({ pretrainImages: 0, labelledTrainFaces: 0 });
  });
});
