/**
 * The cluster recipe end to end on this machine, with Debian's PyTorch: export it for a tiny
 * model on a small real pool, run it with torchrun on 2 CPU processes (gloo), resume it on 1,
 * import the teacher, and find the studio's ViT on the imported weights computing PyTorch's
 * tokens. Fails (never skips) without python3-torch.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPretrainSources } from '../../../src-main/app/training/pretrain-sources';
import { listModels } from '../../../src-main/app/training/run-index';
import { offeredBackbones } from '../../../src-main/engine/backbones/backbone-registry';
import { ProjectFacesData } from '../../../src-main/engine/data/project-faces';
import { readBackboneVit } from '../../../src-main/engine/export/backbone-shape';
import { readModelCard } from '../../../src-main/engine/export/load-model';
import { loadBackbone } from '../../../src-main/engine/export/saved-backbone';
import { modelsDir } from '../../../src-main/engine/jobs/run-folder';
import { normaliseImages } from '../../../src-main/engine/model/normalise';
import { vitTokens } from '../../../src-main/engine/model/vit';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';
import { importTeacher } from '../../../src-main/engine/torch/import-teacher';
import { readSafetensors } from '../../../src-main/engine/torch/safetensors';
import {
  exportTorchRecipe,
  mapPath,
  parsePathMapping,
} from '../../../src-main/engine/torch/torch-recipe';
import { useWasm } from '../../support/engine-helpers';
import { pythonWithTorch, TINY_TORCH_RUN, torchrunArgs } from '../../support/python-torch';
import { createTinyProject } from '../../support/tiny-project';

const CONFIG = {
  ...TINY_TORCH_RUN,
  epochs: 10,
  warmupEpochs: 1,
  seed: 7,
  checkpointEvery: 2,
};
const SIZE = 32;
const FACES = 10;
/** Where the manifest says the pool lives on the "cluster"; mapped back here with --path-map. */
const CLUSTER = '/cluster/faces';

let work: string;
let projectDir: string;

beforeAll(async () => {
  await useWasm();
  work = await mkdtemp(path.join(os.tmpdir(), 'torch-recipe-'));
  projectDir = path.join(work, 'project');
  await createTinyProject(projectDir, 16);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function python(py: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      py,
      args,
      { cwd, env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** train.py's JSON progress lines (rank 0's stdout). */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function stepsOf(lines: Record<string, unknown>[]): { step: number; loss: number }[] {
  return lines
    .filter((l) => typeof l.loss === 'number')
    .map((l) => ({ step: l.step as number, loss: l.loss as number }));
}

describe('the recipe export', () => {
  it('rewrites image paths by the first matching prefix', () => {
    const maps = ['/home/me/faces=/scratch/lab/faces', '/home/me=/data'].map(parsePathMapping);
    expect(mapPath('/home/me/faces/a.jpg', maps)).toBe('/scratch/lab/faces/a.jpg');
    expect(mapPath('/home/me/other/b.jpg', maps)).toBe('/data/other/b.jpg');
    expect(mapPath('/elsewhere/c.jpg', maps)).toBe('/elsewhere/c.jpg');
    expect(parsePathMapping('/a=')).toEqual({ from: '/a', to: '' });
    expect(() => parsePathMapping('=/b')).toThrow(/--path-map =\/b: expected OLD=NEW/);
    expect(() => parsePathMapping('/a')).toThrow(/--path-map \/a: expected OLD=NEW/);
  });

  it('refuses a folder that is not empty and a pool smaller than one batch', async () => {
    const sources = await readPretrainSources(projectDir);
    const config = parsePretrainConfig(CONFIG);
    const taken = path.join(work, 'taken');
    await mkdir(taken);
    await writeFile(path.join(taken, 'notes.txt'), 'mine');
    await expect(exportTorchRecipe({ outDir: taken, config, sources, projectDir })).rejects.toThrow(
      /taken is not empty: export the recipe into a new or empty folder/,
    );
    expect(await readdir(taken)).toEqual(['notes.txt']);
    await expect(
      exportTorchRecipe({
        outDir: path.join(work, 'few'),
        config,
        sources: sources.slice(0, 3),
        projectDir,
      }),
    ).rejects.toThrow(/needs at least 4 faces \(one batch\); the pool has 3/);
  });
});

describe('the PyTorch cluster recipe', () => {
  it(
    'trains on 2 gloo processes, resumes on 1, and its imported teacher computes the same tokens as PyTorch',
    { timeout: 900_000 },
    async () => {
      const py = await pythonWithTorch();
      const sources = await readPretrainSources(projectDir);
      expect(sources).toHaveLength(16); // the no-face image is left out
      const recipeDir = path.join(work, 'recipe');
      const recipe = await exportTorchRecipe({
        outDir: recipeDir,
        config: parsePretrainConfig(CONFIG),
        sources,
        projectDir,
        pathMap: [{ from: projectDir, to: CLUSTER }],
      });
      expect((await readdir(recipeDir)).sort()).toEqual(recipe.files);
      const config = JSON.parse(await readFile(path.join(recipeDir, 'config.json'), 'utf8'));
      expect(config.$comments.lr).toMatch(/Peak learning rate per 256 images/);
      const manifest = (await readFile(path.join(recipeDir, 'manifest.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { file: string; crop: unknown });
      expect(manifest.every((f) => f.file.startsWith(`${CLUSTER}/images/`))).toBe(true);
      expect(manifest.filter((f) => f.crop !== null)).toHaveLength(1); // tiny-project's one crop

      // The manifest names the cluster's paths: unmapped, train.py stops and names the files.
      const unmapped = await python(py, ['train.py', 'check-data'], recipeDir);
      expect(unmapped.code).toBe(1);
      expect(unmapped.stderr).toContain(
        `manifest.jsonl: 16 of 16 image files are missing: ${CLUSTER}/images/`,
      );
      const out = path.join(work, 'out');
      const common = [
        '--out',
        out,
        '--loader-workers',
        '0',
        '--path-map',
        `${CLUSTER}=${projectDir}`,
      ];

      const first = await python(
        py,
        [...torchrunArgs(2), 'train.py', 'train', '--max-steps', '3', ...common],
        recipeDir,
      );
      expect(first.code, first.stderr).toBe(0);
      const firstLines = jsonLines(first.stdout);
      expect(firstLines[0]).toMatchObject({
        event: 'start',
        step: 0,
        worldSize: 2,
        backend: 'gloo',
        resumed: false,
        faces: 16,
      });
      const firstSteps = stepsOf(firstLines);
      expect(firstSteps.map((s) => s.step)).toEqual([1, 2, 3]);
      expect(firstSteps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);

      // Each checkpoint leaves a teacher beside it, so a run the scheduler stops can be imported.
      const teacherFile = path.join(out, 'teacher.safetensors');
      expect((await readSafetensors(teacherFile)).metadata.step).toBe('3');

      // Resumed from its checkpoint on one process: the step counter goes on.
      const second = await python(
        py,
        [...torchrunArgs(1), 'train.py', 'train', '--max-steps', '5', ...common],
        recipeDir,
      );
      expect(second.code, second.stderr).toBe(0);
      const secondLines = jsonLines(second.stdout);
      expect(secondLines[0]).toMatchObject({
        event: 'start',
        step: 3,
        worldSize: 1,
        resumed: true,
      });
      const secondSteps = stepsOf(secondLines);
      expect(secondSteps.map((s) => s.step)).toEqual([4, 5]);
      expect(secondSteps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);

      // Back in the studio: a backbone whose card says where and how it was trained.
      const imported = await importTeacher(teacherFile, {
        modelsDir: modelsDir(projectDir),
        projectDir,
      });
      const card = await readModelCard(imported.modelDir);
      expect(card.task).toBe('backbone');
      expect(card.data).toMatchObject({ project: projectDir, train: 16 });
      expect(card.provenance).toMatchObject({
        trainer: 'pytorch-recipe',
        file: teacherFile,
        steps: 5,
        segments: [
          {
            host: os.hostname(),
            worldSize: 2,
            backend: 'gloo',
            device: 'cpu',
            fromStep: 0,
            toStep: 3,
          },
          {
            host: os.hostname(),
            worldSize: 1,
            backend: 'gloo',
            device: 'cpu',
            fromStep: 3,
            toStep: 5,
          },
        ],
      });
      expect(card.metrics[0]?.values.steps).toBe(5);

      // Offered like any pre-trained backbone: the Models list (fine-tuning's pick) and the
      // backbone comparison's table.
      const shelf = await listModels(projectDir);
      expect(shelf.models.find((m) => m.id === imported.modelId)?.task).toBe('backbone');
      // What a fine-tuning run started from it reads: the ViT its weights were saved with.
      expect(await readBackboneVit(imported.modelDir)).toEqual(imported.vit);
      expect(imported.vit).toMatchObject({ imageSize: SIZE, dim: 32, depth: 2 });
      const offered = (await offeredBackbones(modelsDir(projectDir))).find(
        (b) => b.id === imported.backboneId,
      );
      expect(offered?.kind).toBe('learned');
      (await offered!.load()).dispose();

      // The same tokens (CLS and patches) from the studio's ViT and from PyTorch on 10 faces.
      const faces = sources.slice(0, FACES);
      const decoder = new ProjectFacesData(faces, SIZE);
      const pixels = Buffer.concat(await Promise.all(faces.map((f) => decoder.decode(f))));
      const facesFile = path.join(work, 'faces.u8');
      const tokensFile = path.join(work, 'tokens.f32');
      await writeFile(facesFile, pixels);
      const torchTokens = await python(
        py,
        [
          'train.py',
          'features',
          '--weights',
          teacherFile,
          '--faces',
          facesFile,
          '--out',
          tokensFile,
        ],
        recipeDir,
      );
      expect(torchTokens.code, torchTokens.stderr).toBe(0);
      const raw = await readFile(tokensFile);
      const theirs = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const backbone = await loadBackbone(imported.modelDir);
      const ours = tf.tidy(() => {
        const images = tf.tensor4d(
          Float32Array.from(pixels, (v) => v / 255),
          [FACES, SIZE, SIZE, 3],
        );
        return vitTokens(backbone.vit, backbone.params, normaliseImages(images)).dataSync();
      });
      backbone.dispose();
      const grid = (SIZE / 8) ** 2;
      expect(ours.length).toBe(FACES * (1 + grid) * 32);
      expect(theirs.length).toBe(ours.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++)
        worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
      expect(worst).toBeLessThanOrEqual(1e-4);
      // Not a trivial match: the tokens vary across faces and positions.
      const spread = Math.max(...ours) - Math.min(...ours);
      expect(spread).toBeGreaterThan(1);
    },
  );
});
