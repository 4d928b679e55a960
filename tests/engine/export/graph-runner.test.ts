/**
 * The graph runner: FACE_STUDIO_RUNNER picks TF.js or ONNX Runtime (anything else is refused by
 * name), and without it ONNX Runtime runs the graph when it loads. A FaceMesh landmark model with
 * its refinement, loaded on each runner, gives the same `predictFaces` answers on 12 HELEN test
 * faces (the whole path: first cut, recut, mirror, σ) within 1e-4 of the image side.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseGraphRunner, RUNNER_ENV } from '../../../src-main/engine/export/graph-runner';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';
import { loadOnnxRuntime } from '../../../src-main/engine/export/onnx/onnx-runtime';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { useWasm } from '../../support/engine-helpers';
import { helenFaces } from '../../support/helen-crops';
import { disposeBackbones, makeKindFixture, type KindFixture } from './onnx/onnx-fixtures';

let tmp: string;
let model: KindFixture;

beforeAll(async () => {
  await useWasm();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'graph-runner-'));
  model = await makeKindFixture(tmp, 'mesh-landmarks');
}, 600_000);

afterAll(async () => {
  model?.faces.dispose();
  disposeBackbones();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('chooseGraphRunner', () => {
  it('takes FACE_STUDIO_RUNNER, refuses an unknown one, else ONNX Runtime when it loads', async () => {
    expect(await chooseGraphRunner({ [RUNNER_ENV]: 'tfjs' })).toBe('tfjs');
    expect(await chooseGraphRunner({ [RUNNER_ENV]: 'onnxruntime' })).toBe('onnxruntime');
    await expect(chooseGraphRunner({ [RUNNER_ENV]: 'torch' })).rejects.toThrow(
      /FACE_STUDIO_RUNNER=torch is not a graph runner \(tfjs, onnxruntime\)/,
    );
    // onnxruntime-node is installed here (an optional dependency of the studio).
    expect(await loadOnnxRuntime()).not.toBeNull();
    expect(await chooseGraphRunner({})).toBe('onnxruntime');
  });
});

describe('predictFaces on each runner', () => {
  it('gives the same points and σ on TF.js and ONNX Runtime within 1e-4', async () => {
    const faces = (await helenFaces('test', 12)).map((f) => ({ file: f.file, points: f.points }));
    const run = async (runner: 'tfjs' | 'onnxruntime') => {
      const loaded = await loadExportedModel(model.dir, { runner });
      try {
        expect(loaded.runner).toBe(runner);
        return await predictFaces(loaded, faces, { detect: false });
      } finally {
        loaded.dispose();
      }
    };
    const tfjs = await run('tfjs');
    const ort = await run('onnxruntime');
    expect(ort.failed).toEqual([]);
    expect(ort.faces).toHaveLength(faces.length);
    let worst = 0;
    ort.faces.forEach((face, i) => {
      const other = tfjs.faces[i]!;
      expect(face.crop).toEqual(other.crop);
      face.labels.points.forEach((p, k) => {
        const q = other.labels.points[k]!;
        const side = face.crop.width;
        worst = Math.max(worst, Math.abs(p.x - q.x) / side, Math.abs(p.y - q.y) / side);
        expect(Math.abs(p.uncertainty! - q.uncertainty!) / side).toBeLessThan(1e-4);
      });
    });
    console.log(
      `predictFaces, 12 HELEN faces: worst |onnxruntime − tfjs| ${worst.toExponential(2)} of the side`,
    );
    expect(worst).toBeLessThan(1e-4);
  }, 300_000);
});
