import { describe, expect, it } from 'vitest';
import {
  configChanges,
  flattenConfig,
  withConfigChanges,
} from '../../../src-main/app/training/config-changes';
import type { RunInfo } from '../../../src-main/shared/training';
import { runInfo } from '../../support/training-runs';

/** A finished landmark fine-tuning run. */
function run(id: string, overrides: Partial<RunInfo> = {}): RunInfo {
  return runInfo({
    id,
    status: 'done',
    createdAt: '2026-12-03T10:00:00.000Z',
    updatedAt: '2026-12-03T10:05:00.000Z',
    step: 40,
    totalSteps: 40,
    ...overrides,
  });
}

describe('config changes between runs', () => {
  it('flattens nested settings to dotted keys, arrays as one value, the run folder left out', () => {
    expect([
      ...flattenConfig({
        headLr: 0.01,
        augment: { scale: [0.9, 1.1], flip: 0.5 },
        faceBackbones: null,
        checkpointDir: '/p/runs/a/checkpoints',
      }),
    ]).toEqual([
      ['headLr', '0.01'],
      ['augment.scale', '[0.9,1.1]'],
      ['augment.flip', '0.5'],
      ['faceBackbones', 'null'],
    ]);
  });

  it('names each setting whose value differs, sorted, and a key only one side has', () => {
    expect(
      configChanges(
        { headLr: 0.001, epochs: 20, augment: { flip: 0.5 }, seed: 0 },
        { headLr: 0.01, epochs: 20, augment: { flip: 0 }, patience: 10, seed: 0 },
      ),
    ).toEqual([
      { key: 'augment.flip', from: '0.5', to: '0' },
      { key: 'headLr', from: '0.001', to: '0.01' },
      { key: 'patience', from: 'absent', to: '10' },
    ]);
    expect(configChanges({ a: 1, checkpointDir: 'x' }, { a: 1, checkpointDir: 'y' })).toEqual([]);
  });

  it('compares each run with the previous one of its kind and task, the backbone included', () => {
    const runs = [
      run('ft-4', { backboneId: 'pretrain-b' }),
      run('pt-3', { kind: 'pretrain', task: null }),
      run('ft-2', { task: 'expression' }),
      run('ft-1'),
      run('ft-0'),
    ];
    const configs = new Map<string, Record<string, unknown>>([
      ['ft-4', { epochs: 20 }],
      ['pt-3', { epochs: 5 }],
      ['ft-2', { epochs: 9 }],
      ['ft-1', { epochs: 20 }],
      ['ft-0', { epochs: 10 }],
    ]);
    const listed = withConfigChanges(runs, configs);
    expect(listed.map((r) => [r.id, r.changes])).toEqual([
      ['ft-4', [{ key: 'backbone', from: 'null', to: '"pretrain-b"' }]],
      ['pt-3', null],
      ['ft-2', null],
      ['ft-1', [{ key: 'epochs', from: '10', to: '20' }]],
      ['ft-0', null],
    ]);
    // Same settings as the one before: an empty list, not "first of its kind".
    expect(withConfigChanges([run('b'), run('a')], new Map())[0]!.changes).toEqual([]);
  });
});
