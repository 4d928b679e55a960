/**
 * `models:export` writes a folder, so in a confined browser studio its target must lie inside the
 * projects root like `library:export`'s (resolved, relative to the root; outside: forbidden).
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/app/dispatch';
import { confineProjectDirs } from '../../src-main/server/project-confinement';
import { stubHandlers } from './stub-handlers';

let root: string;
beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'confine-')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('confineProjectDirs', () => {
  it('keeps a model export inside the projects root', async () => {
    const seen: string[] = [];
    const handlers = confineProjectDirs(stubHandlers(seen), root);
    const inside = await dispatch(handlers, 'models:export', {
      modelId: 'finetune-a',
      outDir: 'exports',
    });
    expect(inside).toMatchObject({ ok: true, value: { dir: path.join(root, 'exports') } });
    for (const outDir of [os.tmpdir(), '../elsewhere', root]) {
      const refused = await dispatch(handlers, 'models:export', { modelId: 'finetune-a', outDir });
      expect(refused, outDir).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(seen).toEqual([path.join(root, 'exports')]);
  });
});
