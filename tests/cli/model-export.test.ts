/**
 * `face-studio export --model M --format onnx|tfjs OUT` on a real expression model (mini-Xception
 * + FaceMesh, two licence notices): the ONNX folder holds model.onnx, the card byte for byte and
 * both notices, and onnxruntime-node's answers on 32 CK+ faces equal the TF.js graph's within
 * 1e-4; `tfjs` copies the folder; M may be a model id of `--project`; a non-empty OUT, a missing
 * model and a wrong call are refused (exit 1, 1, 2).
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportedModel } from '../../src-main/engine/export/load-model';
import { CACHED_ONNX } from '../../src-main/engine/export/onnx/onnx-cache';
import { requireOnnxRuntime } from '../../src-main/engine/export/onnx/onnx-runtime';
import { useWasm } from '../support/engine-helpers';
import { maxAbsDiff } from '../engine/export/export-fixtures';
import {
  disposeBackbones,
  makeKindFixture,
  type KindFixture,
} from '../engine/export/onnx/onnx-fixtures';
import { runCliInProcess } from './run-cli';

let workDir: string;
let model: KindFixture;

beforeAll(async () => {
  await useWasm();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-model-export-'));
  model = await makeKindFixture(workDir, 'expression');
}, 600_000);

afterAll(async () => {
  model?.faces.dispose();
  disposeBackbones();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('face-studio export --model', () => {
  it('writes model.onnx with the card and notices, equal to the TF.js graph on real faces', async () => {
    const out = path.join(workDir, 'onnx-out');
    const result = await runCliInProcess(['export', '--model', model.dir, '--format', 'onnx', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ format: 'onnx', dir: out });
    expect((await readdir(out)).sort()).toEqual([
      'NOTICE-facemesh.txt',
      'NOTICE-mini-xception.txt',
      'card.json',
      'model.onnx',
    ]);
    expect(await readFile(path.join(out, 'card.json'), 'utf8')).toBe(
      await readFile(path.join(model.dir, 'card.json'), 'utf8'),
    );
    expect(await readFile(path.join(out, 'NOTICE-facemesh.txt'), 'utf8')).toMatch(/Apache/);
    const ort = await requireOnnxRuntime('The test');
    const session = await ort.InferenceSession.create(path.join(out, 'model.onnx'));
    const loaded = await loadExportedModel(model.dir);
    try {
      const want = (await loaded.predict(model.faces)).probabilities!;
      const input = new ort.Tensor(
        'float32',
        (await model.faces.data()) as Float32Array,
        model.faces.shape,
      );
      const got = (await session.run({ images: input })).expression!.data as Float32Array;
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
    } finally {
      loaded.dispose();
      await session.release();
    }
  }, 300_000);

  it('copies the TF.js folder with --format tfjs, and reads a model id of --project', async () => {
    const project = path.join(workDir, 'project');
    await mkdir(path.join(project, 'models'), { recursive: true });
    await cp(model.dir, path.join(project, 'models', 'expression-1'), { recursive: true });
    // ONNX Runtime's conversion cached beside the model by a predict is not exported.
    await writeFile(path.join(project, 'models', 'expression-1', CACHED_ONNX), 'cached conversion');
    const out = path.join(workDir, 'tfjs-out');
    await mkdir(out);
    const result = await runCliInProcess([
      'export',
      '--model',
      'expression-1',
      '--project',
      project,
      '--format',
      'tfjs',
      out,
    ]);
    expect(result.code).toBe(0);
    const files = (await readdir(model.dir)).filter((f) => f !== CACHED_ONNX).sort();
    expect((await readdir(out)).sort()).toEqual(files);
    for (const f of files)
      expect(
        Buffer.compare(await readFile(path.join(out, f)), await readFile(path.join(model.dir, f))),
      ).toBe(0);
  }, 120_000);

  it('refuses a non-empty OUT, a missing model and a wrong call', async () => {
    const full = path.join(workDir, 'full');
    await mkdir(full);
    await writeFile(path.join(full, 'keep.txt'), 'mine');
    const busy = await runCliInProcess(['export', '--model', model.dir, '--format', 'onnx', full]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/full is not empty/);
    expect(await readdir(full)).toEqual(['keep.txt']);
    const none = path.join(workDir, 'no-model');
    const missing = await runCliInProcess([
      'export',
      '--model',
      none,
      '--format',
      'onnx',
      path.join(workDir, 'x'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(path.join(none, 'card.json'));
    const wrong = await runCliInProcess([
      'export',
      '--model',
      model.dir,
      '--format',
      'coco',
      path.join(workDir, 'y'),
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Unknown --format "coco" \(onnx, tfjs\)/);
  }, 120_000);
});
