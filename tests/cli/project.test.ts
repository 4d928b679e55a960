/**
 * `face-studio project create|info` in a child process: the summary JSON on stdout, exit code 0;
 * a clear message on stderr with exit code 1 when the work fails and 2 when the call is wrong.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectSummary } from '../../src-main/shared/domain';
import { CHILD_TEST_TIMEOUT_MS, runCli, runCliInProcess } from './run-cli';

const LAB12 = path.join(import.meta.dirname, '../fixtures/schemas/landmarks.lab12.json');
const HELEN_TEST = path.join(import.meta.dirname, '../../../shared/data/300w-helen/test');

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-project-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('face-studio project create', { timeout: CHILD_TEST_TIMEOUT_MS }, () => {
  it('creates the project folder and prints its summary', async () => {
    const dir = path.join(workDir, 'helen');
    const result = await runCli([
      'project',
      'create',
      dir,
      '--name',
      'Helen faces',
      '--landmarks',
      'wflw98',
      '--attributes',
      'mtfl',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = ProjectSummary.parse(JSON.parse(result.stdout));
    expect(summary).toMatchObject({
      dir,
      meta: { name: 'Helen faces', landmarkSchema: 'wflw98', attributeSchema: 'mtfl' },
      imageCount: 0,
      labelledCount: 0,
    });
    const onDisk = JSON.parse(await readFile(path.join(dir, 'project.json'), 'utf8'));
    expect(onDisk.meta.id).toBe(summary.meta.id);
  });

  it('defaults to the 68-point schema and no attribute set', async () => {
    const result = await runCli(['project', 'create', path.join(workDir, 'plain'), '--name', 'P']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).meta).toMatchObject({
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
  });

  it('names the project after its folder when --name is left out', async () => {
    const dir = path.join(workDir, 'Lab faces 2026');
    const result = await runCli(['project', 'create', dir]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).meta.name).toBe('Lab faces 2026');
  });

  it('creates a project with a custom landmark schema from a JSON file, and keeps a copy', async () => {
    const dir = path.join(workDir, 'lab12');
    const result = await runCliInProcess(['project', 'create', dir, '--landmarks', LAB12]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).meta.landmarkSchema).toBe('lab12');
    expect(JSON.parse(await readFile(path.join(dir, 'landmark-schema.json'), 'utf8'))).toEqual(
      JSON.parse(await readFile(LAB12, 'utf8')),
    );
    const info = await runCliInProcess(['project', 'info', dir]);
    expect(info.code).toBe(0);
  });

  it('exits 1 naming the schema file and each of its problems, and creates nothing', async () => {
    const bad = path.join(workDir, 'bad-schema.json');
    const schema = JSON.parse(await readFile(LAB12, 'utf8'));
    await writeFile(bad, JSON.stringify({ ...schema, normaliser: [4, 40], template: [] }));
    const dir = path.join(workDir, 'bad-schema-project');
    const result = await runCliInProcess(['project', 'create', dir, '--landmarks', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toContain('normaliser[1]: point 40 is out of range 0..11');
    expect(result.stderr).toContain('template has 0 points, not 12');
    await expect(readFile(path.join(dir, 'project.json'))).rejects.toThrow();
    const missing = await runCliInProcess(['project', 'create', dir, '--landmarks', `${bad}.gone`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`Cannot read ${bad}.gone`);
  });

  it('exits 2 with the usage when DIR is missing, an option is unknown, or --landmarks names nothing', async () => {
    for (const args of [
      ['project', 'create', path.join(workDir, 'x'), '--landmarks', 'ibug69'],
      ['project', 'create', '--name', 'X'],
      ['project', 'create', path.join(workDir, 'x'), '--name', 'X', '--colour', 'red'],
    ]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain('Usage: face-studio project create DIR');
      expect(result.stdout).toBe('');
    }
  });

  it('exits 1 and names the file when a project cannot be created there', async () => {
    const file = path.join(workDir, 'a-file');
    await writeFile(file, 'not a folder');
    const result = await runCli(['project', 'create', file, '--name', 'X']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(file);
    expect(result.stdout).toBe('');
  });
});

describe('face-studio project info', { timeout: CHILD_TEST_TIMEOUT_MS }, () => {
  it('prints the summary of an existing project', async () => {
    const dir = path.join(workDir, 'info');
    expect((await runCli(['project', 'create', dir, '--name', 'Info me'])).code).toBe(0);
    const result = await runCli(['project', 'info', dir]);
    expect(result.code).toBe(0);
    expect(ProjectSummary.parse(JSON.parse(result.stdout))).toMatchObject({
      dir,
      meta: { name: 'Info me' },
    });
  });

  it('counts the images whose folder is gone, with a few of them and where they were', async () => {
    const dir = path.join(workDir, 'moved');
    const photos = path.join(workDir, 'photos');
    await mkdir(photos);
    const names = ['296814969_3.jpg', '2968560214_1.jpg'];
    for (const name of names) await copyFile(path.join(HELEN_TEST, name), path.join(photos, name));
    expect((await runCliInProcess(['project', 'create', dir, '--name', 'Moved'])).code).toBe(0);
    expect((await runCliInProcess(['import', photos, '--project', dir])).code).toBe(0);

    const present = await runCli(['project', 'info', dir]);
    expect(present.code).toBe(0);
    expect(present.stderr).toBe('');
    expect(JSON.parse(present.stdout).missingImages).toEqual({
      count: 0,
      examples: [],
      folders: [],
    });

    await rm(photos, { recursive: true });
    const result = await runCli(['project', 'info', dir]);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(ProjectSummary.parse(info)).toMatchObject({ dir, imageCount: 2 });
    expect(info.missingImages).toEqual({
      count: 2,
      examples: expect.arrayContaining(names.map((name) => path.join(photos, name))),
      folders: [photos],
    });
    expect(result.stderr).toContain(`2 of 2 images cannot be found; they were in ${photos}`);
  });

  it('consolidates: copies referenced images in, so the project no longer needs their folder', async () => {
    const dir = path.join(workDir, 'consolidated');
    const photos = path.join(workDir, 'photos-to-keep');
    await mkdir(photos);
    const names = ['296814969_3.jpg', '2968560214_1.jpg', '2968784797_1.jpg'];
    for (const name of names) await copyFile(path.join(HELEN_TEST, name), path.join(photos, name));
    await runCliInProcess(['project', 'create', dir, '--name', 'Consolidated']);
    expect((await runCliInProcess(['import', photos, '--project', dir])).code).toBe(0);
    // One file is already gone: it cannot be copied and stays referenced.
    await rm(path.join(photos, names[0]!));

    const result = await runCliInProcess(['project', 'consolidate', dir]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      copied: 2,
      missing: [path.join(photos, names[0]!)],
      cancelled: false,
    });
    expect(result.stderr).toContain('1 images cannot be found and stay referenced');

    await rm(photos, { recursive: true });
    const info = JSON.parse((await runCliInProcess(['project', 'info', dir])).stdout);
    expect(info.missingImages).toMatchObject({ count: 1, folders: [photos] });
    const project = JSON.parse(await readFile(path.join(dir, 'project.json'), 'utf8')) as {
      images: { path: string; source?: string }[];
    };
    const copied = project.images.filter((image) => image.path.startsWith('images/'));
    expect(copied.map((image) => image.source).sort()).toEqual(
      names.slice(1).map((name) => path.join(photos, name)),
    );
  });

  it('exits 1 with a message naming a folder that is not a project', async () => {
    const missing = path.join(workDir, 'nothing-here');
    const result = await runCli(['project', 'info', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
  });

  it('counts labelled and unlabelled images per split', async () => {
    const dir = path.join(workDir, 'split-counts');
    const photos = path.join(workDir, 'split-photos');
    await mkdir(photos);
    for (const name of ['296814969_3', '2968560214_1']) {
      await copyFile(path.join(HELEN_TEST, `${name}.jpg`), path.join(photos, `${name}.jpg`));
      await copyFile(path.join(HELEN_TEST, `${name}.pts`), path.join(photos, `${name}.pts`));
    }
    expect((await runCliInProcess(['project', 'create', dir])).code).toBe(0);
    const imported = await runCliInProcess([
      'import',
      photos,
      '--project',
      dir,
      '--format',
      'pts',
      '--split',
      'train',
    ]);
    expect(imported.code).toBe(0);
    const result = await runCli(['project', 'info', dir]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).splits).toEqual({
      train: { images: 2, labelled: 2, needsReview: 0, unlabelled: 0 },
      val: { images: 0, labelled: 0, needsReview: 0, unlabelled: 0 },
      test: { images: 0, labelled: 0, needsReview: 0, unlabelled: 0 },
      pool: { images: 0, labelled: 0, needsReview: 0, unlabelled: 0 },
    });
  });

  it('exits 0 with the usage on stdout for --help, from the installed command', async () => {
    const result = await runCli(['finetune', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: face-studio finetune --project P/);
    expect(result.stderr).toBe('');
  });

  it('exits 2 for an unknown command or project action', async () => {
    expect((await runCli(['project', 'delete', workDir])).code).toBe(2);
    const unknown = await runCli(['pretrain-everything']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "pretrain-everything"');
  });
});
