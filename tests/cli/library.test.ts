/**
 * `face-studio import` and `export` in a child process: a JSON summary on stdout, progress on
 * stderr, exit 1 with every problem named for bad input, exit 2 for a wrong call.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TEST_TIMEOUT_MS, runCli } from './run-cli';

const HAPPY = fileURLToPath(new URL('../../../shared/data/ck48/happy', import.meta.url));
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-library-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio import and export', { timeout: CHILD_TEST_TIMEOUT_MS * 2 }, () => {
  it('imports class folders, then exports them again', async () => {
    const project = path.join(workDir, 'ck');
    const source = path.join(workDir, 'source');
    await cp(HAPPY, path.join(source, 'happy'), { recursive: true });
    const images = (await readdir(HAPPY)).length;
    expect((await runCli(['project', 'create', project, '--name', 'CK'])).code).toBe(0);
    const imported = await runCli([
      'import',
      source,
      '--project',
      project,
      '--format',
      'class-folders',
      '--subject-pattern',
      '^(S\\d{3})_',
    ]);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ added: images, labelled: images });
    expect(imported.stderr).toMatch(/images\/s/);

    const out = path.join(workDir, 'out');
    const exported = await runCli([
      'export',
      '--project',
      project,
      '--format',
      'class-folders',
      out,
    ]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ images });
    expect((await readdir(path.join(out, 'happy'))).length).toBe(images);
  });

  it('fails with exit 1 naming the problem, and 2 for an unknown format', async () => {
    const project = path.join(workDir, 'five');
    await runCli(['project', 'create', project, '--name', 'Five', '--landmarks', 'five']);
    const missing = await runCli([
      'import',
      path.join(workDir, 'nope'),
      '--project',
      project,
      '--format',
      'pts',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope');
    const wrong = await runCli(['import', workDir, '--project', project, '--format', 'gif']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Unknown --format "gif"');
  });
});
