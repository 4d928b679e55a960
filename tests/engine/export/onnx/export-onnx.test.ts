/**
 * exportOnnxModel writes model.onnx and the card (byte for byte) as one folder; a notice the card
 * names but the folder lacks is an error naming the file, and nothing is written; a folder that is
 * not a TF.js graph model is refused by name. checkNewOrEmpty takes a new or empty folder only.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportFinetunedModel } from '../../../../src-main/engine/export/export-model';
import {
  checkNewOrEmpty,
  exportOnnxModel,
  noticesOf,
} from '../../../../src-main/engine/export/onnx/export-onnx';
import type { ModelCard } from '../../../../src-main/shared/model-card';
import { useWasm } from '../../../support/engine-helpers';
import { cardFieldsFor, randomResult } from '../export-fixtures';

let tmp: string;
let model: string;

beforeAll(async () => {
  await useWasm();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'export-onnx-'));
  model = path.join(tmp, 'vit');
  await exportFinetunedModel(
    model,
    randomResult('attributes', 4),
    cardFieldsFor('attributes', 'vit'),
  );
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('exportOnnxModel', () => {
  it('writes model.onnx and the card as they are', async () => {
    const out = path.join(tmp, 'out');
    const summary = await exportOnnxModel(model, out);
    expect(summary.files).toEqual(['model.onnx', 'card.json']);
    expect((await readdir(out)).sort()).toEqual(['card.json', 'model.onnx']);
    expect(await readFile(path.join(out, 'card.json'), 'utf8')).toBe(
      await readFile(path.join(model, 'card.json'), 'utf8'),
    );
    const onnx = await readFile(path.join(out, 'model.onnx'));
    expect(summary.bytes).toBe(onnx.length + (await readFile(path.join(out, 'card.json'))).length);
    // Every weight travels: the file is at least the model's float weights.
    const shards = (await readdir(model)).filter((f) => f.endsWith('.bin'));
    let weights = 0;
    for (const s of shards) weights += (await readFile(path.join(model, s))).length;
    expect(onnx.length).toBeGreaterThan(0.9 * weights);
  }, 60_000);

  it('refuses a card naming a notice the folder lacks, writing nothing', async () => {
    const copy = path.join(tmp, 'noticed');
    await mkdir(copy);
    for (const f of await readdir(model))
      await writeFile(path.join(copy, f), await readFile(path.join(model, f)));
    const card = JSON.parse(await readFile(path.join(copy, 'card.json'), 'utf8')) as ModelCard;
    const backbone = {
      id: 'facemesh',
      name: 'FaceMesh',
      kind: 'geometry' as const,
      taps: [],
      licence: 'Apache-2.0',
      attribution: 'Google',
      package: '@vladmandic/human@3.3.6',
      notice: 'NOTICE-facemesh.txt',
    };
    const withHead: ModelCard = {
      ...card,
      head: {
        method: 'ridge',
        backbones: [backbone, { ...backbone, id: 'again' }],
        crop: {
          backbone: 'facemesh',
          inputSize: 32,
          policy: card.crop,
          scaleOfLandmarkExtent: 1.6,
          trainedOn: 'landmarks',
          inference: 'detection',
          refine: 'none',
          wholeImageFallback: true,
        },
        uncertainty: null,
      },
    };
    // Two backbones naming one notice: it travels once.
    expect(noticesOf(withHead)).toEqual(['NOTICE-facemesh.txt']);
    await writeFile(path.join(copy, 'card.json'), JSON.stringify(withHead));
    const out = path.join(tmp, 'no-notice');
    await expect(exportOnnxModel(copy, out)).rejects.toThrow(
      `${path.join(copy, 'NOTICE-facemesh.txt')} cannot be read (a licence notice the card names)`,
    );
    await writeFile(path.join(copy, 'NOTICE-facemesh.txt'), 'Apache-2.0 notice');
    const withNotice = path.join(tmp, 'with-notice');
    expect((await exportOnnxModel(copy, withNotice)).files).toEqual([
      'model.onnx',
      'card.json',
      'NOTICE-facemesh.txt',
    ]);
    expect(await readFile(path.join(withNotice, 'NOTICE-facemesh.txt'), 'utf8')).toBe(
      'Apache-2.0 notice',
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('refuses a folder that is not a graph model, naming its model.json', async () => {
    const fake = path.join(tmp, 'fake');
    await mkdir(fake);
    await writeFile(path.join(fake, 'card.json'), await readFile(path.join(model, 'card.json')));
    await writeFile(
      path.join(fake, 'model.json'),
      '{"format":"layers-model","weightsManifest":[]}',
    );
    await expect(exportOnnxModel(fake, path.join(tmp, 'fake-out'))).rejects.toThrow(
      `${path.join(fake, 'model.json')} is not a Face Studio graph model`,
    );
  });
});

describe('checkNewOrEmpty', () => {
  it('takes a missing or empty folder and refuses a file or a folder with files', async () => {
    await expect(checkNewOrEmpty(path.join(tmp, 'absent'))).resolves.toBeUndefined();
    const empty = path.join(tmp, 'empty');
    await mkdir(empty);
    await expect(checkNewOrEmpty(empty)).resolves.toBeUndefined();
    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'x');
    await expect(checkNewOrEmpty(file)).rejects.toThrow(`${file} is not a folder to export into`);
    await writeFile(path.join(empty, 'x'), 'x');
    await expect(checkNewOrEmpty(empty)).rejects.toThrow(`${empty} is not empty`);
  });
});
