import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CK_PLUS_SUBJECT,
  importClassFolders,
  planClassFolderExport,
} from '../../../src-main/core/formats/class-folders';
import { builtinAttributeSchema } from '../../../src-main/core/schemas/builtin';
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
    const root = await mkdtemp(join(tmpdir(), 'class-folders-'));
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
    const root = await mkdtemp(join(tmpdir(), 'class-folders-'));
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
    const root = await mkdtemp(join(tmpdir(), 'class-folders-fer-'));
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
    const root = await mkdtemp(join(tmpdir(), 'class-folders-deep-'));
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
