/** Writing a planned dataset folder: the common folder of names, the empty-folder rule, writes. */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commonFolder,
  requireEmptyFolder,
  writePlannedFiles,
} from '../../../src-main/core/library/export-folder';
import { StudioError } from '../../../src-main/shared/errors';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'export-folder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('export folders', () => {
  it('finds the deepest folder all files share', () => {
    const root = path.join(dir, 'a');
    expect(commonFolder([path.join(root, 'b', 'x.png'), path.join(root, 'c', 'd', 'y.png')])).toBe(
      root,
    );
    expect(commonFolder([path.join(root, 'x.png')])).toBe(root);
    expect(commonFolder([])).toBe(path.sep);
  });

  it('accepts a missing or empty folder and refuses one with files, naming its role', async () => {
    await expect(requireEmptyFolder(path.join(dir, 'missing'), 'export')).resolves.toBeUndefined();
    const full = path.join(dir, 'full');
    await mkdir(full);
    await expect(requireEmptyFolder(full, 'output')).resolves.toBeUndefined();
    await writeFile(path.join(full, 'x.txt'), 'x');
    await expect(requireEmptyFolder(full, 'output')).rejects.toThrow(
      new StudioError(
        'conflict',
        `The output folder ${full} is not empty; pick a new or empty folder`,
      ),
    );
  });

  it('refuses a folder it cannot read, naming the role, the folder and the reason', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const attempt = requireEmptyFolder(file, 'export');
    await expect(attempt).rejects.toThrow(
      new StudioError(
        'io',
        `Cannot read the export folder ${file}: ENOTDIR: not a directory, scandir '${file}'`,
      ),
    );
    expect(await attempt.catch((e: unknown) => (e as StudioError).code)).toBe('io');
    const full = path.join(dir, 'full-too');
    await mkdir(full);
    await writeFile(path.join(full, 'x.txt'), 'x');
    expect(
      await requireEmptyFolder(full, 'export').catch((e: unknown) => (e as StudioError).code),
    ).toBe('conflict');
  });

  it('writes label files and copies images into sub-folders, atomic or not', async () => {
    const source = path.join(dir, 'source.png');
    await writeFile(source, 'png bytes');
    for (const atomic of [false, true]) {
      const out = path.join(dir, `out-${atomic}`);
      const copies = Array.from({ length: 10 }, (_, i) => ({ source, target: `images/${i}.png` }));
      await writePlannedFiles(
        out,
        { texts: [{ file: 'labels/a.txt', text: 'hello' }], copies },
        { what: 'the test', atomic },
      );
      expect(await readFile(path.join(out, 'labels', 'a.txt'), 'utf8')).toBe('hello');
      expect((await readdir(path.join(out, 'images'))).length).toBe(10);
      expect(await readFile(path.join(out, 'images', '9.png'), 'utf8')).toBe('png bytes');
      expect(await readdir(path.join(out, 'labels'))).toEqual(['a.txt']);
    }
  });

  it('reports a failed copy as one io error naming what and where', async () => {
    const out = path.join(dir, 'broken');
    await expect(
      writePlannedFiles(
        out,
        { texts: [], copies: [{ source: path.join(dir, 'nope.png'), target: 'x.png' }] },
        { what: 'the predictions' },
      ),
    ).rejects.toThrow(
      new StudioError(
        'io',
        `Cannot write the predictions to ${out}: Error: ENOENT: no such file or directory, copyfile '${path.join(dir, 'nope.png')}' -> '${path.join(out, 'x.png')}'`,
      ),
    );
  });
});
