/**
 * Loading a model folder that is damaged or from another version: each problem is a StudioError
 * that names the file at fault.
 */
import { cp, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportFinetunedModel } from '../../../src-main/engine/export/export-model';
import { loadExportedModel, readModelCard } from '../../../src-main/engine/export/load-model';
import { StudioError } from '../../../src-main/shared/errors';
import { MODEL_CARD_VERSION } from '../../../src-main/shared/model-card';
import { useWasm } from '../../support/engine-helpers';
import { cardFieldsFor, randomResult } from './export-fixtures';

let root: string;
let good: string;
let copies = 0;
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-load-'));
  good = path.join(root, 'good');
  await exportFinetunedModel(
    good,
    randomResult('expression', 5),
    cardFieldsFor('expression', 'good'),
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the good export, changed by `damage`. */
async function damaged(damage: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(root, `copy-${++copies}`);
  await cp(good, dir, { recursive: true });
  await damage(dir);
  return dir;
}

async function editJson(
  file: string,
  edit: (value: Record<string, unknown>) => void,
): Promise<void> {
  const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(value);
  await writeFile(file, JSON.stringify(value));
}

/** The StudioError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<StudioError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StudioError);
  return error as StudioError;
}

describe('readModelCard', () => {
  it('reads the card of a good export', async () => {
    expect((await readModelCard(good)).classes).toEqual(['neutral', 'happy', 'sad']);
  });

  it('names the file and the problem of a bad card', async () => {
    const notJson = await damaged((d) => writeFile(path.join(d, 'card.json'), '{ "format": '));
    const e1 = await failure(readModelCard(notJson));
    expect(e1.message).toContain(path.join(notJson, 'card.json'));
    expect(e1.message).toMatch(/not valid JSON/);

    const noCrop = await damaged((d) => editJson(path.join(d, 'card.json'), (c) => delete c.crop));
    const e2 = await failure(readModelCard(noCrop));
    expect(e2.message).toContain(path.join(noCrop, 'card.json'));
    expect(e2.message).toMatch(/crop/);

    const missing = await damaged((d) => unlink(path.join(d, 'card.json')));
    const e3 = await failure(loadExportedModel(missing));
    expect(e3.code).toBe('not-found');
    expect(e3.message).toContain(path.join(missing, 'card.json'));
  });

  it('refuses a card from a newer version by name', async () => {
    const newer = await damaged((d) =>
      editJson(path.join(d, 'card.json'), (c) => {
        c.version = MODEL_CARD_VERSION + 1;
        c.somethingNew = true;
      }),
    );
    const error = await failure(readModelCard(newer));
    expect(error.message).toContain(path.join(newer, 'card.json'));
    expect(error.message).toContain(
      `card version ${MODEL_CARD_VERSION + 1}, written by a newer Face Studio`,
    );
  });
});

describe('loadExportedModel', () => {
  it('names a missing or truncated weight shard', async () => {
    const shard = 'group1-shard1of1.bin';
    const missing = await damaged((d) => unlink(path.join(d, shard)));
    const e1 = await failure(loadExportedModel(missing));
    expect(e1.code).toBe('not-found');
    expect(e1.message).toContain(path.join(missing, shard));

    const short = await damaged((d) => truncate(path.join(d, shard), 100));
    const e2 = await failure(loadExportedModel(short));
    expect(e2.message).toContain(path.join(short, shard));
    expect(e2.message).toMatch(/hold 100 bytes/);
  });

  it('refuses a manifest that points outside the folder', async () => {
    const outside = await damaged((d) =>
      editJson(path.join(d, 'model.json'), (m) => {
        (m.weightsManifest as tf.io.WeightsManifestConfig)[0]!.paths = [
          '../good/group1-shard1of1.bin',
        ];
      }),
    );
    const error = await failure(loadExportedModel(outside));
    expect(error.message).toContain(path.join(outside, 'model.json'));
  });

  it('refuses a first-format backbone export and a card from another export', async () => {
    const legacy = await damaged((d) =>
      editJson(path.join(d, 'model.json'), (m) => {
        m.format = 'face-studio-vit';
      }),
    );
    const e1 = await failure(loadExportedModel(legacy));
    expect(e1.message).toContain(path.join(legacy, 'model.json'));
    expect(e1.message).toMatch(/earlier Face Studio/);

    const mixed = await damaged((d) =>
      editJson(path.join(d, 'card.json'), (c) => {
        c.task = 'attributes';
      }),
    );
    const e2 = await failure(loadExportedModel(mixed));
    expect(e2.message).toContain(path.join(mixed, 'card.json'));
    expect(e2.message).toMatch(/attributes model .* expression graph/);
  });
});
