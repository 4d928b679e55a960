/**
 * A run's config where it enters: a fine-tuning run from a backbone that names no model takes the
 * backbone's shape; one that names a model keeps it; a bad key fails by name before anything runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBackbone, readBackboneShape } from '../../../src-main/engine/export/saved-backbone';
import { readBackboneVit } from '../../../src-main/engine/export/backbone-shape';
import { resolveFinetuneConfig } from '../../../src-main/engine/jobs/run-config';
import { layoutOf } from '../../../src-main/engine/model/params';
import { vitParamSpecs, type VitConfig } from '../../../src-main/engine/model/vit';
import { useWasm } from '../../support/engine-helpers';

const VIT: VitConfig = { imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, mlpRatio: 2 };
let root: string;
let backboneDir: string;

beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'run-config-'));
  backboneDir = path.join(root, 'models', 'bb');
  await exportBackbone(backboneDir, VIT, new Float32Array(layoutOf(vitParamSpecs(VIT)).total), {
    id: 'bb',
    preset: 'small',
    runId: null,
    // A card whose training config says another shape: the weights' own shape wins.
    config: { model: { preset: 'base' } },
    data: { project: null, train: 0, val: 0, test: 0 },
  });
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveFinetuneConfig', () => {
  it("gives a run from a backbone that names no model the backbone's exact shape", async () => {
    expect(await readBackboneVit(backboneDir)).toEqual(VIT);
    const config = resolveFinetuneConfig(
      { task: 'landmarks' },
      await readBackboneShape(backboneDir),
    );
    expect(config.model).toEqual({ preset: 'small', ...VIT });
    expect(config.task).toBe('landmarks');
  });

  it("keeps a model the user named, and without weights' shape takes the card's model", () => {
    const card = {
      backbone: { preset: 'tiny', pretrainedFrom: null },
      config: { model: { preset: 'tiny', depth: 1 } },
    };
    const named = resolveFinetuneConfig(
      { task: 'landmarks', model: { preset: 'tiny', depth: 2 } },
      { card, vit: VIT },
    );
    expect(named.model).toMatchObject({ preset: 'tiny', depth: 2 });
    expect(resolveFinetuneConfig({ task: 'landmarks' }, { card, vit: null }).model).toMatchObject({
      preset: 'tiny',
      depth: 1,
    });
    expect(resolveFinetuneConfig({ task: 'landmarks' }, null).model).toEqual({ preset: 'tiny' });
  });

  it('fails a bad config by its key', () => {
    expect(() => resolveFinetuneConfig({ task: 'landmarks', headLearningRate: 1 }, null)).toThrow(
      /Invalid fine-tuning config.*headLearningRate/,
    );
  });
});
