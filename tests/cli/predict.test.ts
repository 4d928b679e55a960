/**
 * `face-studio predict` in a child process with a real exported model (a tiny HELEN landmarks
 * model): the face detector finds each face, predictions.json holds points, uncertainty and
 * scores, and the pts and COCO outputs read back through the library's importers with the same
 * coordinates. Exit 1 names a bad input; exit 2 is a wrong call.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStudioJson } from '../../src-main/core/formats/studio-json';
import { readLabelledInput, type LabelledFormat } from '../../src-main/core/library/labelled-input';
import { builtinLandmarkSchema } from '../../src-main/core/schemas/builtin';
import { useWasm } from '../support/engine-helpers';
import { exportHelenModel } from '../engine/predict/helen-model';
import { helenFaces } from '../support/helen-crops';
import { CHILD_TEST_TIMEOUT_MS, runCli, runCliInProcess as runInProcess } from './run-cli';

let workDir: string;
let modelDir: string;
let imagesDir: string;

beforeAll(async () => {
  await useWasm();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-predict-'));
  modelDir = path.join(workDir, 'model');
  await exportHelenModel(modelDir);
  imagesDir = path.join(workDir, 'images');
  await mkdir(path.join(imagesDir, 'more'), { recursive: true });
  const faces = await helenFaces('test', 3);
  // One image in a sub-folder: names in the output keep the folder.
  await copyFile(faces[0]!.file, path.join(imagesDir, path.basename(faces[0]!.file)));
  await copyFile(faces[1]!.file, path.join(imagesDir, path.basename(faces[1]!.file)));
  await copyFile(faces[2]!.file, path.join(imagesDir, 'more', path.basename(faces[2]!.file)));
  await writeFile(path.join(imagesDir, 'notes.jpg'), 'not a JPEG');
}, 120_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const ibug68 = builtinLandmarkSchema('ibug68');

async function readBack(dir: string, format: LabelledFormat) {
  const input = await readLabelledInput(dir, format, { landmarks: ibug68, attributes: null });
  return new Map(input.images.map((image) => [image.file, image.faces[0]!]));
}

describe('face-studio predict', { timeout: CHILD_TEST_TIMEOUT_MS * 3 }, () => {
  it('writes predictions.json, and pts and COCO that import with the same points', async () => {
    const outJson = path.join(workDir, 'out-json');
    const json = await runCli(['predict', '--model', modelDir, '--out', outJson, imagesDir]);
    expect(json.stderr).toMatch(/skipped .*notes\.jpg/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ format: 'json', faces: 3, failed: 1 });

    const file = path.join(outJson, 'predictions.json');
    const text = await readFile(file, 'utf8');
    const raw = JSON.parse(text) as {
      images: { file: string; faces: Record<string, unknown>[] }[];
      failed: { file: string }[];
    };
    expect(raw.failed.map((f) => f.file)).toEqual(['notes.jpg']);
    for (const image of raw.images) {
      expect(image.faces[0]).toMatchObject({ found: 'detector', scores: {} });
      expect(image.faces[0]!.score).toBeGreaterThan(0.5);
    }
    // predictions.json is a studio labels file too: the studio importer reads it.
    const predicted = new Map(
      parseStudioJson(text, file, { pointCount: 68 }).set.map((i) => [i.file, i.faces[0]!]),
    );
    expect([...predicted.keys()].sort()).toEqual(raw.images.map((i) => i.file).sort());
    expect([...predicted.keys()].some((name) => name.startsWith('more/'))).toBe(true);
    for (const face of predicted.values()) {
      expect(face.points).toHaveLength(68);
      for (const p of face.points) {
        expect(p).toMatchObject({ v: 2, source: 'model', confirmed: false });
        expect(p.uncertainty).toBeGreaterThanOrEqual(0);
      }
    }

    for (const format of ['pts', 'coco'] as const) {
      const out = path.join(workDir, `out-${format}`);
      const result = await runCli([
        'predict',
        '--model',
        modelDir,
        '--format',
        format,
        '--out',
        out,
        imagesDir,
      ]);
      expect(result.code).toBe(0);
      const back = await readBack(out, format);
      expect([...back.keys()].sort()).toEqual([...predicted.keys()].sort());
      for (const [name, face] of back) {
        const want = predicted.get(name)!.points;
        face.points.forEach((p, i) => {
          expect(Math.abs(p.x - want[i]!.x)).toBeLessThan(1e-3);
          expect(Math.abs(p.y - want[i]!.y)).toBeLessThan(1e-3);
        });
      }
    }
  });

  it('exits 1 naming a bad input and 2 for a wrong call', async () => {
    const missing = path.join(workDir, 'no-such-folder');
    const notFound = await runInProcess([
      'predict',
      '--model',
      modelDir,
      '--out',
      path.join(workDir, 'x'),
      missing,
    ]);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toContain(missing);

    const noCard = await runInProcess([
      'predict',
      '--model',
      workDir,
      '--out',
      path.join(workDir, 'x'),
      imagesDir,
    ]);
    expect(noCard.code).toBe(1);
    expect(noCard.stderr).toContain('card.json');

    const full = await runInProcess([
      'predict',
      '--model',
      modelDir,
      '--out',
      imagesDir,
      imagesDir,
    ]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/not empty/);

    const out = path.join(workDir, 'y');
    expect((await runInProcess(['predict', '--out', out, imagesDir])).code).toBe(2);
    expect((await runInProcess(['predict', '--model', modelDir, '--out', out])).code).toBe(2);
    const unknown = await runInProcess([
      'predict',
      '--model',
      modelDir,
      '--format',
      'xls',
      '--out',
      out,
      imagesDir,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Usage: face-studio predict/);
    // A landmarks model has nothing to put in a CelebA attribute list.
    const celeba = await runInProcess([
      'predict',
      '--model',
      modelDir,
      '--format',
      'celeba',
      '--out',
      out,
      imagesDir,
    ]);
    expect(celeba.code).toBe(2);
    expect(celeba.stderr).toMatch(/predicts landmarks/);
  });
});
