/** What `pretrain` and `finetune` share: --config and --set, config checks, lines, failures. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src-main/cli/cli-io';
import {
  applySet,
  checkConfig,
  configFromArgs,
  describeJobEvent,
  throwIfFailed,
} from '../../src-main/cli/training-command';
import { StudioError } from '../../src-main/shared/errors';

const USAGE = 'Usage: face-studio test';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'training-command-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the config from --config and --set', () => {
  it('sets dotted keys, JSON values where they parse and strings otherwise', () => {
    const config: Record<string, unknown> = { model: { depth: 2 } };
    applySet(config, 'model.heads=4', USAGE);
    applySet(config, 'name=tiny run', USAGE);
    applySet(config, 'augment.zoom=[0.9,1.1]', USAGE);
    expect(config).toEqual({
      model: { depth: 2, heads: 4 },
      name: 'tiny run',
      augment: { zoom: [0.9, 1.1] },
    });
  });

  it('refuses an assignment without a key, with the usage', () => {
    expect(() => applySet({}, '=3', USAGE)).toThrow(UsageError);
    expect(() => applySet({}, 'lr', USAGE)).toThrow(
      expect.objectContaining({ message: '--set lr: expected key=value', usage: USAGE }),
    );
  });

  it('reads --config without its $comments, then applies each --set over it', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ epochs: 3, lr: 1, $comments: { lr: 'Peak.' } }));
    expect(await configFromArgs({ config: file, set: ['lr=0.5'] }, USAGE)).toEqual({
      epochs: 3,
      lr: 0.5,
    });
    await expect(
      configFromArgs({ config: path.join(dir, 'missing.json'), set: [] }, USAGE),
    ).rejects.toThrow(/--config .*missing\.json/);
  });

  it('turns a config StudioError into a usage error and lets other errors through', () => {
    const bad = (): never => {
      throw new StudioError('invalid-payload', 'Invalid config: lr must be a number');
    };
    expect(() => checkConfig(bad, {}, USAGE)).toThrow(UsageError);
    const broken = (): never => {
      throw new TypeError('bug');
    };
    expect(() => checkConfig(broken, {}, USAGE)).toThrow(TypeError);
  });
});

describe('runs and their lines', () => {
  it('describes progress, validation and checkpoints, and nothing else', () => {
    expect(
      describeJobEvent({
        type: 'validation',
        jobId: 'j',
        validation: {
          epoch: 2,
          step: 10,
          metrics: { nme: 0.12345 },
          monitored: 'nme',
          lowerIsBetter: true,
          improved: true,
          samples: [],
        },
      }),
    ).toBe('epoch 2 · validation nme 0.1235 (best so far)');
    expect(describeJobEvent({ type: 'checkpoint', jobId: 'j', step: 4, file: 'c.ckpt' })).toBe(
      'checkpoint at step 4: c.ckpt',
    );
    expect(describeJobEvent({ type: 'paused', jobId: 'j', step: 3 })).toBeNull();
  });

  it('throws for a failed run only: a config problem as a usage error, else naming the checkpoint', () => {
    expect(() =>
      throwIfFailed({ type: 'cancelled', jobId: 'j', lastCheckpoint: null }, 'Invalid', USAGE),
    ).not.toThrow();
    expect(() =>
      throwIfFailed(
        { type: 'failed', jobId: 'j', message: 'Invalid config: x', lastCheckpoint: null },
        'Invalid',
        USAGE,
      ),
    ).toThrow(UsageError);
    expect(() =>
      throwIfFailed(
        { type: 'failed', jobId: 'j', message: 'out of memory', lastCheckpoint: 'c.ckpt' },
        'Invalid',
        USAGE,
      ),
    ).toThrow('out of memory (last checkpoint: c.ckpt)');
  });
});
