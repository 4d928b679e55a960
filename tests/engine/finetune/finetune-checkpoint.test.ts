/**
 * Fine-tuning checkpoints (src-main/engine/finetune/finetune-checkpoint.ts): every part of the
 * state comes back as written, "no best value yet" (NaN, null in the JSON header) comes back as
 * NaN, the config is parsed again on read, and a pre-training checkpoint is not taken for one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readFinetuneCheckpoint,
  writeFinetuneCheckpoint,
  type FinetuneCheckpoint,
} from '../../../src-main/engine/finetune/finetune-checkpoint';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import { writeCheckpoint } from '../../../src-main/engine/pretrain/pretrain-checkpoint';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'finetune-checkpoint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function state(overrides: Partial<FinetuneCheckpoint> = {}): FinetuneCheckpoint {
  return {
    step: 40,
    config: parseFinetuneConfig({ task: 'landmarks', epochs: 4, batchSize: 8 }),
    names: ['head/w', 'head/b'],
    adamSteps: [40, 40],
    bestEpoch: 2,
    bestValue: 0.0625,
    history: [
      {
        epoch: 1,
        step: 20,
        metrics: { task: 'landmarks', nme: 0.08, failureRate: 0.5, auc: 0.2, faces: 4 },
      },
      {
        epoch: 2,
        step: 40,
        metrics: { task: 'landmarks', nme: 0.0625, failureRate: 0.25, auc: 0.4, faces: 4 },
      },
    ],
    params: new Float32Array([1, -1, 0.5]),
    best: new Float32Array([2, -2, 0.25]),
    adamM: new Float32Array([0.1, 0.2, 0.3]),
    adamV: new Float32Array([0.01, 0.02, 0.03]),
    ...overrides,
  };
}

describe('fine-tuning checkpoints', () => {
  it('read back every part of the state as written', async () => {
    const file = path.join(dir, 'latest.ckpt');
    const written = state();
    await writeFinetuneCheckpoint(file, written);
    const read = await readFinetuneCheckpoint(file);
    expect(read).toEqual(written);
    expect(Object.keys(read).sort()).toEqual(Object.keys(written).sort());
    expect(Array.from(read.best)).toEqual([2, -2, 0.25]);
    expect(read.bestValue).toBe(0.0625);
  });

  it('read "no best value yet" back as NaN', async () => {
    const file = path.join(dir, 'fresh.ckpt');
    await writeFinetuneCheckpoint(file, state({ bestEpoch: -1, bestValue: NaN, history: [] }));
    const read = await readFinetuneCheckpoint(file);
    expect(read.bestValue).toBeNaN();
    expect(read.bestEpoch).toBe(-1);
  });

  it("fill a key an older checkpoint lacks with the config's default, and refuse a bad config by file", async () => {
    const older = path.join(dir, 'older.ckpt');
    const { includeUnconfirmed: _dropped, ...config } = state().config;
    await writeFinetuneCheckpoint(older, state({ config: config as FinetuneCheckpoint['config'] }));
    expect((await readFinetuneCheckpoint(older)).config.includeUnconfirmed).toBe(false);

    const bad = path.join(dir, 'bad.ckpt');
    await writeFinetuneCheckpoint(bad, state({ config: { ...state().config, epochs: 0 } }));
    await expect(readFinetuneCheckpoint(bad)).rejects.toThrow(`${bad}: `);
  });

  it('refuse a pre-training checkpoint by name', async () => {
    const file = path.join(dir, 'pretrain.ckpt');
    await writeCheckpoint(file, {
      step: 1,
      config: parsePretrainConfig({}),
      rng: { seed: 0, step: 1 },
      names: [],
      adamSteps: [],
      student: new Float32Array(0),
      teacher: new Float32Array(0),
      adamM: new Float32Array(0),
      adamV: new Float32Array(0),
      center: new Float32Array(0),
    });
    await expect(readFinetuneCheckpoint(file)).rejects.toThrow(
      `${file} is not a Face Studio fine-tuning checkpoint`,
    );
  });
});
