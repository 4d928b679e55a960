/**
 * `face-studio import` and `export` in a child process: a JSON summary on stdout, progress on
 * stderr, exit 1 with every problem named for bad input, exit 2 for a wrong call.
 */
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledFaceSet } from '../../src-main/app/training/finetune-faces';
import { readProjectSnapshot } from '../../src-main/app/training/project-snapshot';
import { ProjectStore } from '../../src-main/core/project-store';
import { writePtsSet } from '../core/library/tiny-sets';
import { CHILD_TEST_TIMEOUT_MS, runCli, runCliInProcess } from './run-cli';

const CK48 = fileURLToPath(new URL('../../../shared/data/ck48', import.meta.url));
const HAPPY = fileURLToPath(new URL('../../../shared/data/ck48/happy', import.meta.url));
const BAD_IMAGES = fileURLToPath(new URL('../fixtures/bad-input/images', import.meta.url));
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

describe('face-studio import: all or nothing', () => {
  async function newProject(name: string): Promise<string> {
    const project = path.join(workDir, name);
    const created = await runCliInProcess(['project', 'create', project, '--name', name]);
    expect(created.code).toBe(0);
    return project;
  }

  async function indexBytes(project: string): Promise<Buffer[]> {
    return Promise.all(['project.json', 'labels.json'].map((f) => readFile(path.join(project, f))));
  }

  it('refuses images with a bad file (exit 1, named) unless --skip-bad', async () => {
    const project = await newProject('skip-bad');
    const dir = path.join(workDir, 'skip-bad-images');
    await writePtsSet(dir, 2);
    await copyFile(path.join(BAD_IMAGES, 'truncated.png'), path.join(dir, 'broken.png'));
    const before = await indexBytes(project);
    const refused = await runCliInProcess(['import', dir, '--project', project]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('broken.png');
    expect(refused.stderr).toContain('--skip-bad to import the 2 good images');
    expect(refused.stdout).toBe('');
    const after = await indexBytes(project);
    expect(after.every((bytes, i) => bytes.equals(before[i]!))).toBe(true);

    const skipped = await runCliInProcess(['import', dir, '--project', project, '--skip-bad']);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ added: 2 });
    expect(skipped.stderr).toMatch(/skipped \S*broken\.png: /);
  });

  it('refuses a labelled set with a corrupt image, an empty folder and the wrong format', async () => {
    const project = await newProject('refusals');
    const before = await indexBytes(project);
    const labelled = path.join(workDir, 'corrupt-pts');
    await writePtsSet(labelled, 2);
    await copyFile(path.join(BAD_IMAGES, 'truncated.jpg'), path.join(labelled, 'cut.jpg'));
    await copyFile(path.join(labelled, 'face-0.pts'), path.join(labelled, 'cut.pts'));
    const corrupt = await runCliInProcess([
      'import',
      labelled,
      '--project',
      project,
      '--format',
      'pts',
    ]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/cut\.jpg: cannot decode/);

    const empty = path.join(workDir, 'empty-folder');
    await mkdir(empty);
    const nothing = await runCliInProcess(['import', empty, '--project', project]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`${empty} is empty: nothing to import`);

    const images = path.join(workDir, 'only-images');
    await writePtsSet(images, 1);
    await rm(path.join(images, 'face-0.pts'));
    const wrong = await runCliInProcess([
      'import',
      images,
      '--project',
      project,
      '--format',
      'pts',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('no .pts files found');

    const usage = await runCliInProcess([
      'import',
      labelled,
      '--project',
      project,
      '--format',
      'pts',
      '--skip-bad',
    ]);
    expect(usage.code).toBe(2);
    const after = await indexBytes(project);
    expect(after.every((bytes, i) => bytes.equals(before[i]!))).toBe(true);
  });

  it('keeps the faces the user edited on a re-import unless --overwrite-labels', async () => {
    const project = await newProject('re-import');
    const dir = path.join(workDir, 're-import-set');
    await writePtsSet(dir, 2);
    const first = await runCliInProcess(['import', dir, '--project', project, '--format', 'pts']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('faces: 2 added, 0 unchanged, 0 kept, 0 overwritten');

    const store = await ProjectStore.open(project);
    const face = store.getFace(store.listImages()[0]!.id)!;
    face.points[0] = { x: 3, y: 3, v: 1, source: 'human', confirmed: true };
    await store.saveFace(face);
    await store.close();

    const again = await runCliInProcess(['import', dir, '--project', project, '--format', 'pts']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      faces: { added: 0, unchanged: 1, kept: 1, overwritten: 0 },
    });
    expect(again.stderr).toContain('1 kept (they differ from the file: your edits won');
    const overwrite = await runCliInProcess([
      'import',
      dir,
      '--project',
      project,
      '--format',
      'pts',
      '--overwrite-labels',
    ]);
    expect(overwrite.code).toBe(0);
    expect(overwrite.stderr).toContain('faces: 0 added, 1 unchanged, 0 kept, 1 overwritten');
  });
});

describe('face-studio import: splits', () => {
  it('trains from FER-style class folders under train/ and test/ with FER names', async () => {
    const source = path.join(workDir, 'fer');
    for (const [split, folder, from] of [
      ['train', 'angry', 'anger'],
      ['train', 'happy', 'happy'],
      ['test', 'angry', 'anger'],
      ['test', 'happy', 'happy'],
    ] as const) {
      const files = (await readdir(path.join(CK48, from))).sort();
      const picked = split === 'train' ? files.slice(0, 5) : files.slice(-3);
      await mkdir(path.join(source, split, folder), { recursive: true });
      for (const file of picked) {
        await copyFile(path.join(CK48, from, file), path.join(source, split, folder, file));
      }
    }
    const project = path.join(workDir, 'fer-project');
    expect(
      (await runCliInProcess(['project', 'create', project, '--attributes', 'fer7'])).code,
    ).toBe(0);
    const imported = await runCliInProcess([
      'import',
      source,
      '--project',
      project,
      '--format',
      'class-folders',
    ]);
    expect(imported.stderr).toContain(
      'splits: train 10 (10 labelled) · val 0 (0 labelled) · test 6 (6 labelled)',
    );
    expect(imported.stderr).not.toContain('in the pool');
    expect(imported.code).toBe(0);
    // What finetune --task expression reads: the faces in train, under fer7's class names.
    const set = labelledFaceSet(await readProjectSnapshot(project), 'expression');
    expect(set.task === 'expression' ? set.classes : []).toContain('anger');
    const bySplit = (split: string) => set.faces.filter((face) => face.split === split);
    expect(bySplit('train')).toHaveLength(10);
    expect(bySplit('test')).toHaveLength(6);
    const anger = (set.task === 'expression' ? set.classes : []).indexOf('anger');
    expect(bySplit('train').filter((face) => face.label[0] === anger)).toHaveLength(5);
  });

  it('puts every image of an import in the split --split names, those already there too', async () => {
    const project = path.join(workDir, 'split-option');
    expect((await runCliInProcess(['project', 'create', project])).code).toBe(0);
    const photos = path.join(workDir, 'split-option-set');
    await writePtsSet(photos, 3);
    const first = await runCliInProcess([
      'import',
      photos,
      '--project',
      project,
      '--format',
      'pts',
      '--split',
      'test',
    ]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('test 3 (3 labelled)');
    const again = await runCliInProcess(['import', photos, '--project', project, '--split', 'val']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('splits: train 0 (0 labelled) · val 3 (3 labelled) · test 0');
    const wrong = await runCliInProcess([
      'import',
      photos,
      '--project',
      project,
      '--split',
      'later',
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--split later: expected pool, train, val, test');
  });
});
