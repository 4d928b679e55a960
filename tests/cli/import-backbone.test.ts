/**
 * `face-studio import-backbone` in a child process: a teacher file becomes models/<id>/ and the
 * summary names the backbone id; a broken file exits 1 naming it, a missing --project exits 2.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initParams, layoutOf } from '../../src-main/engine/model/params';
import { Rng } from '../../src-main/engine/model/rng';
import { vitParamSpecs } from '../../src-main/engine/model/vit';
import { safetensorsBytes, type FixtureTensor } from '../engine/torch/safetensors-fixtures';
import { createTinyProject } from '../support/tiny-project';
import { CHILD_TEST_TIMEOUT_MS, runCli } from './run-cli';

const VIT = { imageSize: 16, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpRatio: 4 };

let workDir: string;
let projectDir: string;
let teacher: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-import-backbone-'));
  projectDir = path.join(workDir, 'project');
  await createTinyProject(projectDir, 2);
  const layout = layoutOf(vitParamSpecs(VIT));
  const flat = initParams(layout, new Rng(5));
  const tensors: Record<string, FixtureTensor> = {};
  for (const e of layout.entries)
    tensors[e.name] = { shape: e.shape, values: flat.slice(e.offset, e.offset + e.size) };
  const segment = {
    host: 'gpu-07',
    hosts: ['gpu-07'],
    worldSize: 8,
    backend: 'nccl',
    device: 'NVIDIA A100',
    torch: '2.4.0',
    startedAt: '2026-12-01T00:00:00+00:00',
    endedAt: null,
    seconds: 3600,
    fromStep: 0,
    toStep: 400,
  };
  teacher = path.join(workDir, 'teacher.safetensors');
  await writeFile(
    teacher,
    safetensorsBytes(tensors, {
      format: 'face-studio-teacher',
      version: '1',
      vit: JSON.stringify(VIT),
      config: JSON.stringify({ model: { preset: 'tiny' } }),
      step: '400',
      faces: '5000',
      finalLoss: 'null',
      project: 'null',
      segments: JSON.stringify([segment]),
      seconds: '3600',
    }),
  );
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio import-backbone', { timeout: CHILD_TEST_TIMEOUT_MS }, () => {
  it('imports the teacher as a backbone model and names its backbone id', async () => {
    const result = await runCli([
      'import-backbone',
      teacher,
      '--project',
      projectDir,
      '--id',
      'a100',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      modelId: 'a100',
      modelDir: path.join(projectDir, 'models', 'a100'),
      backboneId: 'pros-vit:a100',
      provenance: { steps: 400, segments: [{ worldSize: 8, host: 'gpu-07' }] },
    });
    expect(result.stderr).toMatch(/400 steps in 1 launch\(es\) on 8×NVIDIA A100 at gpu-07/);
    expect((await readdir(path.join(projectDir, 'models', 'a100'))).sort()).toContain('card.json');
  });

  it('exits 1 naming a broken file, and 2 without --project or a file', async () => {
    const broken = path.join(workDir, 'broken.safetensors');
    await writeFile(broken, Buffer.from([1, 2, 3]));
    const bad = await runCli(['import-backbone', broken, '--project', projectDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/broken\.safetensors is not a readable safetensors file: 3 bytes/);
    const noProject = await runCli(['import-backbone', teacher]);
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toMatch(/Missing --project/);
    const noFile = await runCli(['import-backbone', '--project', projectDir]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/Missing the teacher file/);
  });
});
