/**
 * Pre-training checkpoints (src-main/engine/pretrain/pretrain-checkpoint.ts): every part of the
 * state comes back as written, the config is parsed again on read (an older checkpoint gains new
 * keys' defaults, a bad one is refused with the file named), and a fine-tuning checkpoint is not
 * taken for one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readCheckpoint,
  writeCheckpoint,
  type CheckpointState,
} from '../../../src-main/engine/pretrain/pretrain-checkpoint';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';
import { writeFinetuneCheckpoint } from '../../../src-main/engine/finetune/finetune-checkpoint';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pretrain-checkpoint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function state(): CheckpointState {
  return {
    step: 12,
    config: parsePretrainConfig({ seed: 5, batchSize: 8, epochs: 3 }),
    rng: { seed: 5, step: 12 },
    names: ['embed/w', 'embed/b'],
    adamSteps: [12, 11],
    student: new Float32Array([1, 2, 3]),
    teacher: new Float32Array([4, 5, 6]),
    adamM: new Float32Array([0.1, 0.2, 0.3]),
    adamV: new Float32Array([0.01, 0.02, 0.03]),
    center: new Float32Array([7, 8]),
  };
}

describe('pre-training checkpoints', () => {
  it('read back every part of the state as written', async () => {
    const file = path.join(dir, 'latest.ckpt');
    const written = state();
    await writeCheckpoint(file, written);
    const read = await readCheckpoint(file);
    expect(read).toEqual(written);
    expect(Object.keys(read).sort()).toEqual(Object.keys(written).sort());
    expect(read.student).toBeInstanceOf(Float32Array);
    expect(Array.from(read.center)).toEqual([7, 8]);
    expect(read.config.batchSize).toBe(8);
  });

  it("fill a key an older checkpoint lacks with the config's default", async () => {
    const file = path.join(dir, 'older.ckpt');
    const { localCrops: _dropped, ...older } = state().config;
    await writeCheckpoint(file, { ...state(), config: older as CheckpointState['config'] });
    const read = await readCheckpoint(file);
    expect(read.config.localCrops).toBe(parsePretrainConfig({}).localCrops);
  });

  it('refuse a checkpoint whose config no longer parses, naming the file', async () => {
    const file = path.join(dir, 'bad.ckpt');
    await writeCheckpoint(file, { ...state(), config: { ...state().config, batchSize: -1 } });
    await expect(readCheckpoint(file)).rejects.toThrow(`${file}: `);
    await expect(readCheckpoint(file)).rejects.toThrow(/batchSize/);
  });

  it('refuse a fine-tuning checkpoint by name', async () => {
    const file = path.join(dir, 'finetune.ckpt');
    await writeFinetuneCheckpoint(file, {
      step: 1,
      config: parseFinetuneConfig({ task: 'landmarks' }),
      names: [],
      adamSteps: [],
      bestEpoch: -1,
      bestValue: NaN,
      history: [],
      params: new Float32Array(0),
      best: new Float32Array(0),
      adamM: new Float32Array(0),
      adamV: new Float32Array(0),
    });
    await expect(readCheckpoint(file)).rejects.toThrow(
      `${file} is not a Face Studio pre-training checkpoint`,
    );
  });
});
