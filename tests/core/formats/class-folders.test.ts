import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CK_PLUS_SUBJECT,
  classFoldersFormat,
  importClassFolders,
  planClassFolderExport,
} from '../../../src-main/core/formats/class-folders';
import type { ReadContext } from '../../../src-main/core/formats/format';
import { InputProblemsError, formatProblem } from '../../../src-main/core/problems';
import { builtinAttributeSchema } from '../../../src-main/core/schemas/builtin';
import { tempFolder } from '../../support/temp-folder';
import { DATA } from './data-paths';

describe('expression class folders', () => {
  it('imports CK+ 48: 981 images in the 7 CK+ classes, 118 subjects', async () => {
    const root = join(DATA, 'ck48');
    const classes = builtinAttributeSchema('ckplus7').expressions!;
    const set = await importClassFolders(root, { classes, subjectPattern: CK_PLUS_SUBJECT });
    expect(set).toHaveLength(981);
    for (const name of classes) {
      const onDisk = (await readdir(join(root, name))).length;
      expect(set.filter((i) => i.faces[0]!.expression === name)).toHaveLength(onDisk);
    }
    expect(new Set(set.map((i) => i.faces[0]!.expression)).size).toBe(7);
    expect(new Set(set.map((i) => i.subject)).size).toBe(118);
    expect(set.every((i) => i.subject !== undefined && i.file.includes(`/${i.subject}_`))).toBe(
      true,
    );
  });

  it('takes CK+ subjects from the file names when no pattern is given, and only then', async () => {
    const ck = await importClassFolders(join(DATA, 'ck48'));
    expect(new Set(ck.map((i) => i.subject)).size).toBe(118);
    const root = await tempFolder('class-folders-');
    await mkdir(join(root, 'happy'));
    await writeFile(join(root, 'happy', 'S010_001_1.png'), '');
    await writeFile(join(root, 'happy', 'holiday.png'), '');
    // Not every name is CK+'s: no subjects guessed.
    expect((await importClassFolders(root)).map((i) => i.subject)).toEqual([undefined, undefined]);
    // A pattern given is the pattern used (the set is in file order: holiday, then S010).
    expect(
      (await importClassFolders(root, { subjectPattern: /^(\w+?)_/ })).map((i) => i.subject),
    ).toEqual([undefined, 'S010']);
  });

  it('lists every stray file and unknown class in one error', async () => {
    const root = await tempFolder('class-folders-');
    for (const dir of ['happy', 'sleepy']) await mkdir(join(root, dir));
    await writeFile(join(root, 'happy', 'a.png'), '');
    await writeFile(join(root, 'happy', 'notes.txt'), '');
    await writeFile(join(root, 'sleepy', 'b.png'), '');
    await writeFile(join(root, 'loose.jpg'), '');
    await writeFile(join(root, 'happy', '.DS_Store'), '');
    const error = await importClassFolders(root, { classes: ['happy', 'sad'] }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/3 problems/);
    expect(message).toMatch(/happy\/notes\.txt: not an image/);
    expect(message).toMatch(/sleepy\/b\.png: "sleepy" is not one of the classes/);
    expect(message).toMatch(/loose\.jpg: image outside a class folder/);
  });

  it('plans an export into class folders without name clashes', () => {
    const plan = planClassFolderExport([
      { file: 'x/a.png', faces: [{ points: [], expression: 'happy' }] },
      { file: 'y/a.png', faces: [{ points: [], expression: 'happy' }] },
      { file: 'z/c.png', faces: [{ points: [] }] },
    ]);
    expect(plan).toEqual([
      { source: 'x/a.png', target: 'happy/a.png' },
      { source: 'y/a.png', target: 'happy/a_2.png' },
    ]);
  });
});

describe('class folders under split folders, by FER-2013 names', () => {
  it('reads train/ and test/ above FER-style class folders into fer7 classes, the split on the path', async () => {
    const root = await tempFolder('class-folders-fer-');
    const layout: [string, string][] = [
      ['train/angry', 'S005_001_00000011.png'],
      ['train/sad', 'S010_002_00000014.png'],
      ['test/happy', 'S011_003_00000009.png'],
      ['val/Surprise', 'S014_001_00000029.png'],
    ];
    for (const [dir, name] of layout) {
      await mkdir(join(root, dir), { recursive: true });
      await writeFile(join(root, dir, name), '');
    }
    const set = await importClassFolders(root, {
      classes: builtinAttributeSchema('fer7').expressions!,
      subjectPattern: CK_PLUS_SUBJECT,
    });
    expect(set.map((i) => [i.file, i.faces[0]!.expression, i.subject])).toEqual([
      ['test/happy/S011_003_00000009.png', 'happy', 'S011'],
      ['train/angry/S005_001_00000011.png', 'anger', 'S005'],
      ['train/sad/S010_002_00000014.png', 'sadness', 'S010'],
      ['val/Surprise/S014_001_00000029.png', 'surprise', 'S014'],
    ]);
  });

  it('still refuses a level above the classes that is no split, and an image loose in a split', async () => {
    const root = await tempFolder('class-folders-deep-');
    await mkdir(join(root, 'batch1/angry'), { recursive: true });
    await writeFile(join(root, 'batch1/angry/a.png'), '');
    await mkdir(join(root, 'train'), { recursive: true });
    await writeFile(join(root, 'train/b.png'), '');
    const error = await importClassFolders(root, {
      classes: builtinAttributeSchema('fer7').expressions!,
    }).catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toMatch(
      /batch1\/angry\/a\.png: image nested below its class folder \("batch1" is not train, val or test\)/,
    );
    expect(message).toMatch(/train\/b\.png: "train" is not one of the classes/);
  });
});

describe('class folders, hand-written', () => {
  /** A folder holding each of `files` (empty), by path; removed when the test ends. */
  async function folder(files: string[]): Promise<string> {
    const root = await tempFolder('class-folders-hand-');
    for (const name of files) {
      await mkdir(join(root, name, '..'), { recursive: true });
      await writeFile(join(root, name), '');
    }
    return root;
  }

  /** The problems importing `dir` gives, each as `file: message`. */
  async function problemsOf(dir: string, classes?: readonly string[]): Promise<string[]> {
    const error = await importClassFolders(dir, classes ? { classes } : {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputProblemsError);
    expect((error as Error).message.split('\n')[0]).toMatch(
      new RegExp(`^Cannot import the class folders in ${dir}: \\d+ problems?$`),
    );
    return (error as InputProblemsError).problems.map(formatProblem);
  }

  it('skips dot folders and dotfiles, and loose non-images at the top', async () => {
    const dir = await folder([
      'happy/b.TIF',
      'happy/a.jpeg',
      '.cache/sad/x.png',
      'sad/.thumbs/y.png',
      'sad/.z.png',
      'README.md',
    ]);
    expect(await importClassFolders(dir)).toEqual([
      { file: 'happy/a.jpeg', faces: [{ points: [], expression: 'happy' }] },
      { file: 'happy/b.TIF', faces: [{ points: [], expression: 'happy' }] },
    ]);
  });

  // Linux and macOS allow `\` in a file name: there it is part of the name, not a separator.
  it.skipIf(process.platform === 'win32')(
    'keeps a backslash in an image name as part of the name, in its class folder',
    async () => {
      const dir = await folder(['happy/a\\b.png', 'sad/c.png']);
      const set = await importClassFolders(dir);
      expect(set).toEqual([
        { file: 'happy/a\\b.png', faces: [{ points: [], expression: 'happy' }] },
        { file: 'sad/c.png', faces: [{ points: [], expression: 'sad' }] },
      ]);
      expect(await readFile(join(dir, set[0]!.file), 'utf8')).toBe('');
    },
  );

  it.skipIf(process.platform === 'win32')(
    'takes a loose image named sad\\c.png for one outside a class folder, not one in sad/',
    async () => {
      const dir = await folder(['sad\\c.png', 'happy/a.png']);
      expect(await problemsOf(dir)).toEqual(['sad\\c.png: image outside a class folder']);
    },
  );

  it('calls a file whose name only contains an image extension not an image', async () => {
    const dir = await folder(['happy/a.png', 'happy/b.png.txt', 'happy/c.', 'happy/d.tiff']);
    expect(await problemsOf(dir)).toEqual([
      'happy/b.png.txt: not an image',
      'happy/c.: not an image',
    ]);
  });

  it('refuses an image four levels deep, even under a split folder', async () => {
    const dir = await folder(['train/happy/more/a.png', 'train/sad/b.png']);
    expect(await problemsOf(dir)).toEqual([
      'train/happy/more/a.png: image nested below its class folder',
    ]);
  });

  it('names the classes a folder is not one of', async () => {
    const dir = await folder(['sleepy/a.png', 'happy/b.png']);
    expect(await problemsOf(dir, ['happy', 'sad'])).toEqual([
      'sleepy/a.png: "sleepy" is not one of the classes happy, sad nor a name for one',
    ]);
  });

  it('refuses a folder of no images, and says only what is wrong when there are problems', async () => {
    const empty = await folder([]);
    expect(await problemsOf(empty)).toEqual([`${empty}: no images in class folders`]);
    expect(await problemsOf(await folder(['happy/notes.txt']))).toEqual([
      'happy/notes.txt: not an image',
    ]);
  });

  it('takes subjects only from names that start with them, and none from an empty match', async () => {
    const dir = await folder(['happy/xS010_001.png', 'sad/aS011_002.png']);
    expect((await importClassFolders(dir)).map((i) => Object.hasOwn(i, 'subject'))).toEqual([
      false,
      false,
    ]);
    const set = await importClassFolders(dir, { subjectPattern: /^(x?)\w/ });
    expect(set.map((i) => [i.file, Object.hasOwn(i, 'subject'), i.subject])).toEqual([
      ['happy/xS010_001.png', true, 'x'],
      ['sad/aS011_002.png', false, undefined],
    ]);
  });

  it('passes the classes and the subject pattern through the format', async () => {
    const dir = await folder(['angry/S005_001.png', 'happy/k7_002.png']);
    const context = { path: dir, isFile: false } as ReadContext;
    expect(await classFoldersFormat.read(context)).toEqual([
      { file: 'angry/S005_001.png', faces: [{ points: [], expression: 'angry' }] },
      { file: 'happy/k7_002.png', faces: [{ points: [], expression: 'happy' }] },
    ]);
    const read = await classFoldersFormat.read({
      ...context,
      expressions: builtinAttributeSchema('fer7').expressions!,
      subjectPattern: /^([a-z]\d)_/,
    });
    expect(read.map((i) => [i.faces[0]!.expression, i.subject])).toEqual([
      ['anger', undefined],
      ['happy', 'k7'],
    ]);
  });

  it('is detected by a folder of folders that each hold images only', () => {
    const detect = (files: string[], folders: [string, string[]][]) =>
      classFoldersFormat.detect({ files, folders: new Map(folders) });
    expect(
      detect(
        [],
        [
          ['happy', ['a.png', 'b.JPG']],
          ['sad', ['c.png']],
        ],
      ),
    ).toBe(true);
    expect(detect(['x.png'], [['happy', ['a.png']]])).toBe(false);
    expect(detect([], [])).toBe(false);
    expect(
      detect(
        [],
        [
          ['happy', ['a.png']],
          ['sad', []],
        ],
      ),
    ).toBe(false);
    expect(
      detect(
        [],
        [
          ['happy', ['a.png']],
          ['sad', ['c.png', 'notes.txt']],
        ],
      ),
    ).toBe(false);
  });

  it('plans files without an extension or with a leading dot, and a third of a name', () => {
    const happy = (file: string) => ({
      file,
      faces: [{ points: [] }, { points: [], expression: 'happy' }],
    });
    expect(
      classFoldersFormat.write(
        [happy('a/img'), happy('b/img'), happy('a/.png'), happy('b/.png'), happy('c/img')],
        {} as never,
      ),
    ).toEqual({
      texts: [],
      placement: [
        { source: 'a/img', target: 'happy/img' },
        { source: 'b/img', target: 'happy/img_2' },
        { source: 'a/.png', target: 'happy/.png' },
        { source: 'b/.png', target: 'happy/.png_2' },
        { source: 'c/img', target: 'happy/img_3' },
      ],
    });
  });
});
