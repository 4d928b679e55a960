import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadContext } from '../../../src-main/core/formats/format';
import {
  exportPts,
  importPtsFolder,
  parsePts,
  parsePtsFile,
  ptsFormat,
  serialisePts,
} from '../../../src-main/core/formats/pts';
import { InputProblemsError, ProblemList, formatProblem } from '../../../src-main/core/problems';
import { DATA, maxPointError } from './data-paths';

/** The coordinates as written in the file, read independently of the parser (1-based). */
function rawCoordinates(text: string): number[][] {
  return text
    .split('\n')
    .filter((line) => /^-?[\d.]+\s+-?[\d.]+$/.test(line.trim()))
    .map((line) => line.trim().split(/\s+/).map(Number));
}

describe('300-W .pts', () => {
  it.each([
    ['train', 870],
    ['test', 330],
  ])('imports every HELEN %s file with 68 points, each beside its image', async (split, count) => {
    const dir = join(DATA, '300w-helen', split);
    const set = await importPtsFolder(dir, { pointCount: 68 });
    const ptsOnDisk = (await readdir(dir)).filter((f) => f.endsWith('.pts'));
    expect(set).toHaveLength(ptsOnDisk.length);
    expect(set).toHaveLength(count);
    for (const image of set) {
      expect(image.file).toMatch(/\.jpg$/);
      expect(image.faces).toHaveLength(1);
      expect(image.faces[0]!.points).toHaveLength(68);
    }
  });

  it('converts the 1-based file coordinates to 0-based pixels', async () => {
    const dir = join(DATA, '300w-helen', 'test');
    const name = (await readdir(dir)).filter((f) => f.endsWith('.pts')).sort()[0]!;
    const text = await readFile(join(dir, name), 'utf8');
    const points = parsePtsFile(text, name);
    const raw = rawCoordinates(text);
    expect(points.map((p) => [p.x + 1, p.y + 1])).toEqual(raw);
    expect(points.every((p) => p.v === 2)).toBe(true);
  });

  it.each(['breakingbad', 'einstein', 'takeo'])(
    'reads the %s fixture (68 points)',
    async (name) => {
      const text = await readFile(join(DATA, 'fixtures', `${name}.pts`), 'utf8');
      expect(parsePtsFile(text, `${name}.pts`, { pointCount: 68 })).toHaveLength(68);
    },
  );

  it('pairs the fixtures folder files with .jpg and .ppm images', async () => {
    const set = await importPtsFolder(join(DATA, 'fixtures'), { pointCount: 68 });
    expect(set.map((i) => i.file).sort()).toEqual(['breakingbad.jpg', 'einstein.jpg', 'takeo.ppm']);
  });

  it('gives back every HELEN training point within 1e-3 px after export and import', async () => {
    const set = await importPtsFolder(join(DATA, '300w-helen', 'train'), { pointCount: 68 });
    let worst = 0;
    for (const file of exportPts(set)) {
      const image = set.find((i) => i.file.replace(/\.jpg$/, '.pts') === file.file)!;
      const back = parsePtsFile(file.text, file.file, { pointCount: 68 });
      worst = Math.max(worst, maxPointError(back, image.faces[0]!.points));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('names the second face of an image NAME_2.pts', () => {
    const face = { points: [{ x: 1, y: 2, v: 2 as const }] };
    const files = exportPts([{ file: 'dir/a.png', faces: [face, face] }]);
    expect(files.map((f) => f.file)).toEqual(['dir/a.pts', 'dir/a_2.pts']);
    expect(serialisePts(face.points)).toBe('version: 1\nn_points: 1\n{\n2 3\n}\n');
  });
});

/** The problems `text` has as a .pts file named `f.pts`, each as `file:line: message`. */
function problemsOf(text: string, pointCount?: number): string[] {
  const problems = new ProblemList();
  parsePts(text, 'f.pts', problems, { pointCount });
  return problems.problems.map(formatProblem);
}

/** The error `run` throws, which must be the studio's list of input problems. */
async function problemsError(run: () => unknown): Promise<InputProblemsError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputProblemsError);
    return error as InputProblemsError;
  }
  throw new Error('expected an InputProblemsError');
}

describe('300-W .pts, hand-written files', () => {
  const header = (count: number | string) => `version: 1\nn_points: ${count}\n{\n`;

  it('reads a file with blank and space-only lines anywhere, and indented header and braces', () => {
    const text = `\n  version : 1\n\n   \nn_points: 2\n  {  \n\n11 22\n \n33.5 44\n\t}\t\n\n\n`;
    expect(parsePtsFile(text, 'f.pts')).toEqual([
      { x: 10, y: 21, v: 2 },
      { x: 32.5, y: 43, v: 2 },
    ]);
  });

  it('reads a one-point file', () => {
    expect(parsePtsFile(`${header(1)}7 9\n}\n`, 'f.pts')).toEqual([{ x: 6, y: 8, v: 2 }]);
  });

  it('quotes a bad coordinate line without its surrounding spaces', () => {
    expect(problemsOf(`${header(1)}   12 x5   \n}\n`)).toEqual([
      'f.pts:4: not a finite number: "12 x5"',
    ]);
  });

  it('reads a first line that only contains "version:" as a coordinate line, not a header', () => {
    expect(problemsOf('12 version: 1\n3 4\n')).toEqual([
      'f.pts:1: expected "x y", found 3 value(s)',
    ]);
  });

  it('refuses a version other than 1', () => {
    expect(problemsOf(`version: 2\nn_points: 1\n{\n1 2\n}\n`)).toEqual([
      'f.pts:1: unsupported version "2"',
    ]);
  });

  it.each(['0', '-3', '2.5', 'two'])('refuses n_points: %s', (count) => {
    expect(problemsOf(`version: 1\nn_points: ${count}\n{\n}\n`)).toEqual([
      'f.pts:2: expected "n_points: N" after the version line',
    ]);
  });

  it('puts a bad n_points on its own line, after blank lines', () => {
    expect(problemsOf('version: 1\n\n\nn_points: many\n{\n}\n')).toEqual([
      'f.pts:4: expected "n_points: N" after the version line',
    ]);
  });

  it('refuses text after the closing brace, on each line that has it', () => {
    expect(problemsOf(`${header(1)}1 2\n}\n3 4\nend\n`)).toEqual([
      'f.pts:6: unexpected text after the closing "}"',
      'f.pts:7: unexpected text after the closing "}"',
    ]);
  });

  it('reports only the bad line, not the count it leaves short, when a line is bad', () => {
    expect(problemsOf(`${header(3)}1 2\n3 4 5\n6 7\n}\n`)).toEqual([
      'f.pts:5: expected "x y", found 3 value(s)',
    ]);
    expect(problemsOf(`${header(3)}1 2\n6 7\n}\n`)).toEqual(['f.pts:2: n_points is 3 but 2 found']);
    expect(problemsOf('1 2\nNaN 4\n', 5)).toEqual(['f.pts:2: not a finite number: "NaN 4"']);
    expect(problemsOf('1 2\n3 4\n', 5)).toEqual(['f.pts: 2 points, the schema has 5']);
  });

  it('returns no points when the file has a problem', () => {
    expect(parsePts(`${header(2)}1 2\n3 oops\n}\n`, 'f.pts', new ProblemList())).toBeNull();
    expect(parsePts('1 2\n3 4\n', 'f.pts', new ProblemList(), { pointCount: 3 })).toBeNull();
  });

  it('refuses an empty file, and one of blank lines only', () => {
    expect(problemsOf('')).toEqual(['f.pts: the file has no points']);
    expect(problemsOf('\n  \n\t\n')).toEqual(['f.pts: the file has no points']);
  });

  it('names the file in the error it throws', async () => {
    const error = await problemsError(() => parsePtsFile('1 2 3\n', 'faces/a.pts'));
    expect(error.message.split('\n')[0]).toBe('Cannot read faces/a.pts: 1 problem');
  });

  it('names a second face after the image without its last extension only', () => {
    const face = { points: [{ x: 4, y: 5, v: 2 as const }] };
    const files = exportPts([{ file: 'v1.2/img.v2.png', faces: [face, face] }]);
    expect(files.map((f) => f.file)).toEqual(['v1.2/img.v2.pts', 'v1.2/img.v2_2.pts']);
  });
});

describe('300-W .pts folders, hand-written', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    root = undefined;
  });

  async function folder(files: Record<string, string>): Promise<string> {
    root = await mkdtemp(join(tmpdir(), 'pts-folder-'));
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(root, name, '..'), { recursive: true });
      await writeFile(join(root, name), text);
    }
    return root;
  }

  const pts = (x: number, y: number) => `version: 1\nn_points: 1\n{\n${x} ${y}\n}\n`;

  // A recursive listing gives a folder's files before its sub-folders' files: `b` before `a/c`.
  it('imports the files in the order of their paths, sub-folders among them', async () => {
    const set = await importPtsFolder(
      await folder({
        'b.pts': pts(5, 6),
        'b.jpg': '',
        'a/c.pts': pts(7, 8),
        'a/c.png': '',
        'a/a.pts': pts(9, 10),
        'a/a.png': '',
        'ab.pts': pts(11, 12),
        'ab.jpg': '',
      }),
    );
    expect(set).toEqual([
      { file: 'a/a.png', faces: [{ points: [{ x: 8, y: 9, v: 2 }] }] },
      { file: 'a/c.png', faces: [{ points: [{ x: 6, y: 7, v: 2 }] }] },
      { file: 'ab.jpg', faces: [{ points: [{ x: 10, y: 11, v: 2 }] }] },
      { file: 'b.jpg', faces: [{ points: [{ x: 4, y: 5, v: 2 }] }] },
    ]);
  });

  it('takes a folder named like a .pts file or an image as a folder', async () => {
    const dir = await folder({
      'odd.pts/b.pts': pts(3, 4),
      'odd.pts/b.jpg': '',
      'odd.pts/c.png/x': '',
    });
    const set = await importPtsFolder(dir);
    expect(set).toEqual([{ file: 'odd.pts/b.jpg', faces: [{ points: [{ x: 2, y: 3, v: 2 }] }] }]);
    await writeFile(join(dir, 'odd.pts', 'c.pts'), pts(5, 6));
    const error = await problemsError(() => importPtsFolder(dir));
    expect(error.problems.map(formatProblem)).toEqual([
      'odd.pts/c.pts: no image beside it (.jpg, .jpeg, .png, .ppm, .bmp, .webp)',
    ]);
  });

  it('refuses a .pts file without an image beside it, naming the folder', async () => {
    const dir = await folder({ 'a.pts': pts(1, 2), 'a.jpg': '', 'b.pts': pts(3, 4), 'b.txt': '' });
    const error = await problemsError(() => importPtsFolder(dir));
    expect(error.message.split('\n')[0]).toBe(`Cannot import the .pts files in ${dir}: 1 problem`);
    expect(error.problems.map(formatProblem)).toEqual([
      'b.pts: no image beside it (.jpg, .jpeg, .png, .ppm, .bmp, .webp)',
    ]);
  });

  // Linux and macOS allow `\` in a file name: there it is part of the name, not a separator.
  it.skipIf(process.platform === 'win32')(
    'pairs a .pts file with its image under a name holding a backslash',
    async () => {
      const dir = await folder({ 'face\\1.pts': pts(3, 4), 'face\\1.jpg': '' });
      const set = await importPtsFolder(dir);
      expect(set).toEqual([{ file: 'face\\1.jpg', faces: [{ points: [{ x: 2, y: 3, v: 2 }] }] }]);
      expect(await readFile(join(dir, set[0]!.file), 'utf8')).toBe('');
    },
  );

  it.skipIf(process.platform === 'win32')(
    'does not pair face/1.pts with an image named face\\1.jpg',
    async () => {
      const dir = await folder({ 'face/1.pts': pts(3, 4), 'face\\1.jpg': '' });
      const error = await problemsError(() => importPtsFolder(dir));
      expect(error.problems.map(formatProblem)).toEqual([
        'face/1.pts: no image beside it (.jpg, .jpeg, .png, .ppm, .bmp, .webp)',
      ]);
    },
  );

  it("reads with the schema's point count", async () => {
    const dir = await folder({ 'a.pts': pts(1, 2), 'a.png': '' });
    const context = { path: dir, isFile: false, pointCount: 3 } as ReadContext;
    const error = await problemsError(() => ptsFormat.read(context));
    expect(error.problems.map(formatProblem)).toEqual(['a.pts:2: 1 points, the schema has 3']);
    expect(await ptsFormat.read({ ...context, pointCount: 1 })).toHaveLength(1);
  });
});
