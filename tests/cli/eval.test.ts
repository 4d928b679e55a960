/**
 * `face-studio eval` in a child process with a real exported model (a tiny HELEN landmarks model)
 * on HELEN test faces: its NME is the one computed step by step in this process; the table goes
 * to stderr, the JSON to stdout. Exit 1 names bad data; exit 2 is a wrong call.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportedModel } from '../../src-main/engine/export/load-model';
import { mean } from '../../src-main/engine/metrics/landmark-metrics';
import { useWasm } from '../support/engine-helpers';
import { directHelenNmes, exportHelenModel } from '../engine/predict/helen-model';
import { HELEN, helenFaces } from '../support/helen-crops';
import { CHILD_TEST_TIMEOUT_MS, runCli, runCliInProcess as runInProcess } from './run-cli';

let workDir: string;
let modelDir: string;

beforeAll(async () => {
  await useWasm();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-eval-'));
  modelDir = path.join(workDir, 'model');
  await exportHelenModel(modelDir);
}, 120_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio eval', { timeout: CHILD_TEST_TIMEOUT_MS * 2 }, () => {
  it('scores HELEN test faces with the NME computed directly', async () => {
    const result = await runCli([
      'eval',
      '--model',
      modelDir,
      '--data',
      path.join(HELEN, 'test'),
      '--format',
      'pts',
      '--limit',
      '5',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      faces: number;
      landmarks: { nme: number; failureRate: number; auc: number };
    };
    expect(report.faces).toBe(5);
    const model = await loadExportedModel(modelDir);
    try {
      expect(report.landmarks.nme).toBeCloseTo(mean(await directHelenNmes(model, 5)), 6);
    } finally {
      model.dispose();
    }
    expect(result.stderr).toMatch(/NME \(points 36–45\)\s+\d+\.\d\d%/);
    expect(result.stderr).toMatch(/FR@10%/);
    expect(result.stderr).toMatch(/AUC@10%/);
  });

  it('exits 1 naming bad data and 2 for a wrong call', async () => {
    // Two faces, one .pts file cut short.
    const data = path.join(workDir, 'data');
    const faces = await helenFaces('test', 2);
    for (const face of faces) {
      await cp(face.file, path.join(data, path.basename(face.file)));
      await cp(
        face.file.replace(/\.jpg$/, '.pts'),
        path.join(data, path.basename(face.file, '.jpg') + '.pts'),
      );
    }
    const broken = path.basename(faces[1]!.file, '.jpg') + '.pts';
    await writeFile(path.join(data, broken), 'version: 1\nn_points: 68\n{\n1 2\n');
    // The model on a folder of .pts files, with more flags after.
    const evalPts = (folder: string, ...more: string[]) =>
      runInProcess(['eval', '--model', modelDir, '--data', folder, '--format', 'pts', ...more]);
    const bad = await evalPts(data);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(broken);

    const missing = path.join(workDir, 'nowhere');
    const gone = await evalPts(missing);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(missing);

    expect((await runInProcess(['eval', '--model', modelDir, '--data', data])).code).toBe(2);
    expect((await runInProcess(['eval', '--data', data, '--format', 'pts'])).code).toBe(2);
    const split = await evalPts(data, '--split', 'later');
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/Usage: face-studio eval/);
  });
});
