/**
 * `face-studio compare` in a child process on a small real HELEN project: the table on stderr
 * (FaceMesh starred, ahead of the random ViT and the mean shape), the comparison as JSON on
 * stdout and saved in the project. A wrong call exits 2 naming the problem.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readComparison } from '../../src-main/engine/jobs/run-folder';
import { BackboneComparison } from '../../src-main/shared/backbone-comparison';
import { createLabelledProject } from '../engine/data/labelled-project';
import { CHILD_TEST_TIMEOUT_MS, runCli, runCliInProcess } from './run-cli';

let workDir: string;
let projectDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-compare-'));
  projectDir = path.join(workDir, 'project');
  await createLabelledProject(projectDir, { train: 12, test: 6 });
}, 60_000);
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio compare', { timeout: CHILD_TEST_TIMEOUT_MS * 4 }, () => {
  it('prints the table and saves the comparison', async () => {
    const result = await runCli([
      'compare',
      '--project',
      projectDir,
      '--task',
      'landmarks',
      '--backbones',
      'random,facemesh',
    ]);
    expect(result.stderr).toMatch(/18 labelled landmarks faces/);
    expect(result.code).toBe(0);
    const printed = BackboneComparison.parse(JSON.parse(result.stdout));
    expect(printed.rows.map((r) => r.backboneId)).toEqual(['facemesh', 'random']);
    expect(printed.winner).toBe('facemesh');
    expect(await readComparison(projectDir, 'landmarks')).toEqual(printed);
    expect(result.stderr).toMatch(
      /landmarks: 12 train, 0 val, 6 test faces · best on test: facemesh/,
    );
    expect(result.stderr).toMatch(
      /\* facemesh\s+—\s+\d+\.\d\d% \/ \d+\.\d%\s+\d+\.\d\s+Apache-2\.0/,
    );
    expect(result.stderr).toMatch(/ {2}mean shape\s+—\s+\d+\.\d\d%/);
  });

  it('exits 2 on a task or backbone it does not know', async () => {
    const task = await runCliInProcess(['compare', '--project', projectDir, '--task', 'pose']);
    expect(task.code).toBe(2);
    expect(task.stderr).toMatch(/--task must be one of landmarks, attributes, expression/);
    const backbone = await runCliInProcess([
      'compare',
      '--project',
      projectDir,
      '--backbones',
      'faceres',
    ]);
    expect(backbone.code).toBe(2);
    expect(backbone.stderr).toMatch(
      /--backbones: faceres not offered; offered: facemesh, mini-xception, face-api-age-gender, random/,
    );
    expect((await runCliInProcess(['compare'])).stderr).toMatch(/Missing --project/);
  });
});
