/**
 * `face-studio import` and `export` in a child process: a JSON summary on stdout, progress on
 * stderr, exit 1 with every problem named for bad input, exit 2 for a wrong call.
 */
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TEST_TIMEOUT_MS, runCli, runCliInProcess } from './run-cli';

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

  it('references the images in place by default and copies them in with --copy', async () => {
    const source = path.join(workDir, 'happy-source');
    await cp(HAPPY, source, { recursive: true });
    const images = (await readdir(HAPPY)).length;
    const pathsOf = async (project: string): Promise<string[]> =>
      (
        JSON.parse(await readFile(path.join(project, 'project.json'), 'utf8')) as {
          images: { path: string }[];
        }
      ).images.map((image) => image.path);

    const referenced = path.join(workDir, 'referenced');
    await runCliInProcess(['project', 'create', referenced, '--name', 'R']);
    const plain = await runCliInProcess(['import', source, '--project', referenced]);
    expect(JSON.parse(plain.stdout)).toMatchObject({ added: images });
    const referencedPaths = await pathsOf(referenced);
    expect(referencedPaths.every((p) => path.dirname(p) === source)).toBe(true);

    const copied = path.join(workDir, 'copied');
    await runCliInProcess(['project', 'create', copied, '--name', 'C']);
    const copy = await runCliInProcess(['import', source, '--project', copied, '--copy']);
    expect(JSON.parse(copy.stdout)).toMatchObject({ added: images });
    const copiedPaths = await pathsOf(copied);
    expect(copiedPaths.every((p) => /^images\/[0-9a-f]{64}\.png$/.test(p))).toBe(true);
    expect((await readdir(path.join(copied, 'images'))).length).toBe(images);

    await rm(source, { recursive: true });
    const infoOf = async (project: string): Promise<number> =>
      JSON.parse((await runCliInProcess(['project', 'info', project])).stdout).missingImages.count;
    expect(await infoOf(copied)).toBe(0);
    expect(await infoOf(referenced)).toBe(images);
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
