/**
 * Importing a teacher file: a whole one becomes a backbone model whose weights are the file's,
 * offered by the backbone registry; a file that does not fit (metadata, a missing or mis-shaped
 * tensor, a taken id) is refused by name before anything is written.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offeredBackbones } from '../../../src-main/engine/backbones/backbone-registry';
import { readModelCard } from '../../../src-main/engine/export/load-model';
import { loadBackbone } from '../../../src-main/engine/export/saved-backbone';
import { initParams, layoutOf } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { vitParamSpecs, type VitConfig } from '../../../src-main/engine/model/vit';
import { importTeacher } from '../../../src-main/engine/torch/import-teacher';
import { useWasm } from '../../support/engine-helpers';
import { safetensorsBytes, type FixtureTensor } from './safetensors-fixtures';

const VIT: VitConfig = { imageSize: 16, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpRatio: 4 };
const SEGMENT = {
  host: 'node-a',
  hosts: ['node-a', 'node-b'],
  worldSize: 16,
  backend: 'nccl',
  device: 'NVIDIA H100',
  torch: '2.5.1',
  startedAt: '2026-12-01T10:00:00+00:00',
  endedAt: '2026-12-01T16:00:00+00:00',
  seconds: 21600,
  fromStep: 0,
  toStep: 9000,
};
const METADATA = {
  format: 'face-studio-teacher',
  version: '1',
  vit: JSON.stringify(VIT),
  head: JSON.stringify({ hiddenDim: 32, bottleneckDim: 8, prototypes: 16 }),
  config: JSON.stringify({ model: { preset: 'tiny', ...VIT }, batchSize: 1024 }),
  step: '9000',
  totalSteps: '10000',
  faces: '250000',
  finalLoss: '3.25',
  project: JSON.stringify('/labs/faces'),
  segments: JSON.stringify([SEGMENT]),
  seconds: '21600',
};

let dir: string;
let weights: Float32Array;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'import-teacher-'));
  weights = initParams(layoutOf(vitParamSpecs(VIT)), new Rng(3));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ViT's tensors by name (plus a head tensor, which the import leaves behind). */
function teacherTensors(): Record<string, FixtureTensor> {
  const out: Record<string, FixtureTensor> = {};
  for (const e of layoutOf(vitParamSpecs(VIT)).entries)
    out[e.name] = { shape: e.shape, values: weights.slice(e.offset, e.offset + e.size) };
  out['head.prototypes'] = { shape: [8, 16], values: new Float32Array(128) };
  return out;
}

async function teacherFile(
  name: string,
  tensors = teacherTensors(),
  metadata: Record<string, string> = METADATA,
): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, safetensorsBytes(tensors, metadata));
  return file;
}

async function modelFolders(modelsDir: string): Promise<string[]> {
  return readdir(modelsDir).catch(() => []);
}

describe('importTeacher', () => {
  it('saves the teacher as a backbone with its weights, provenance and training data', async () => {
    const modelsDir = path.join(dir, 'models-ok');
    const file = await teacherFile('ok.safetensors');
    const imported = await importTeacher(file, { modelsDir, projectDir: null, id: 'cluster-1' });
    expect(imported).toMatchObject({ modelId: 'cluster-1', backboneId: 'pros-vit:cluster-1' });
    const card = await readModelCard(imported.modelDir);
    expect(card).toMatchObject({
      task: 'backbone',
      backbone: { preset: 'tiny', pretrainedFrom: null },
      data: { project: '/labs/faces', train: 250000 },
      provenance: {
        trainer: 'pytorch-recipe',
        file,
        steps: 9000,
        seconds: 21600,
        segments: [SEGMENT],
      },
    });
    expect(card.metrics[0]?.values).toEqual({ loss: 3.25, steps: 9000 });
    const loaded = await loadBackbone(imported.modelDir);
    try {
      expect(loaded.vit).toEqual(VIT);
      for (const e of layoutOf(vitParamSpecs(VIT)).entries)
        expect(loaded.weights.get(e.name)).toEqual(weights.slice(e.offset, e.offset + e.size));
    } finally {
      loaded.dispose();
    }
    const offered = await offeredBackbones(modelsDir);
    expect(offered.map((b) => b.id)).toContain('pros-vit:cluster-1');

    await expect(
      importTeacher(file, { modelsDir, projectDir: null, id: 'cluster-1' }),
    ).rejects.toThrow(/models-ok\/cluster-1 already exists: import under another --id/);
  });

  it('refuses a missing or mis-shaped tensor, naming the file and the tensor, and writes nothing', async () => {
    const modelsDir = path.join(dir, 'models-bad');
    const { ['block0.qkv.w']: _dropped, ...missing } = teacherTensors();
    await expect(
      importTeacher(await teacherFile('missing.safetensors', missing), {
        modelsDir,
        projectDir: null,
      }),
    ).rejects.toThrow(/missing\.safetensors: tensor block0\.qkv\.w is missing/);
    const reshaped = teacherTensors();
    reshaped['pos'] = { shape: [1, 5 * 16], values: reshaped['pos']!.values };
    await expect(
      importTeacher(await teacherFile('shape.safetensors', reshaped), {
        modelsDir,
        projectDir: null,
      }),
    ).rejects.toThrow(/shape\.safetensors: tensor pos is \[1, 80\], not \[5, 16\]/);
    const stray = {
      ...teacherTensors(),
      'block7.qkv.w': { shape: [1], values: new Float32Array(1) },
    };
    await expect(
      importTeacher(await teacherFile('stray.safetensors', stray), { modelsDir, projectDir: null }),
    ).rejects.toThrow(/stray\.safetensors: tensors block7\.qkv\.w belong to no ViT of this shape/);
    expect(await modelFolders(modelsDir)).toEqual([]);
  });

  it('refuses a file that is not a Face Studio teacher, and a bad model id', async () => {
    const modelsDir = path.join(dir, 'models-meta');
    const { format: _f, ...noFormat } = METADATA;
    await expect(
      importTeacher(await teacherFile('plain.safetensors', teacherTensors(), noFormat), {
        modelsDir,
        projectDir: null,
      }),
    ).rejects.toThrow(
      /plain\.safetensors is not a Face Studio teacher \(train\.py's\): metadata format/,
    );
    await expect(
      importTeacher(
        await teacherFile('segments.safetensors', teacherTensors(), { ...METADATA, segments: '[' }),
        { modelsDir, projectDir: null },
      ),
    ).rejects.toThrow(/metadata segments: not JSON/);
    await expect(
      importTeacher(await teacherFile('id.safetensors'), {
        modelsDir,
        projectDir: null,
        id: '../x',
      }),
    ).rejects.toThrow(/Model id "\.\.\/x": use up to 100 letters/);
    expect(await modelFolders(modelsDir)).toEqual([]);
  });
});
