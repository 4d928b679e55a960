import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  celebaFormat,
  parseCelebaAttributes,
  serialiseCelebaAttributes,
} from '../../../src-main/core/formats/celeba';
import type { ReadContext, WriteContext } from '../../../src-main/core/formats/format';
import { InputProblemsError, formatProblem } from '../../../src-main/core/problems';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { builtinAttributeSchema } from '../../../src-main/core/schemas/builtin';

/** A deterministic pseudo-random set (no CelebA files here): 200 images × 40 attributes. */
function syntheticSet(names: readonly string[]): LabelledSet {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: 200 }, (_, i) => ({
    file: `${String(i + 1).padStart(6, '0')}.jpg`,
    faces: [{ points: [], attributes: Object.fromEntries(names.map((n) => [n, next() < 0.5])) }],
  }));
}

describe('CelebA attribute lists', () => {
  const names = builtinAttributeSchema('celeba40').attributes.map((a) => a.name);

  it('gives back every attribute of its own export, in the 40 standard names', () => {
    const set = syntheticSet(names);
    const text = serialiseCelebaAttributes(set, names);
    expect(text.split('\n')[0]).toBe('200');
    const back = parseCelebaAttributes(text, 'list_attr_celeba.txt', { attributeNames: names });
    expect(back.attributeNames).toEqual(names);
    expect(back.set).toEqual(set);
  });

  it('refuses a list whose names differ from the set, naming the line', () => {
    const text = serialiseCelebaAttributes(syntheticSet(names.slice(0, 39)), names.slice(0, 39));
    expect(() => parseCelebaAttributes(text, 'short.txt', { attributeNames: names })).toThrow(
      /short\.txt:2: attribute names differ from the set's 40 \(missing Young\)/,
    );
  });
});

/** The problems the list `text` (named `l.txt`) has, each as `file:line: message`, and the heading. */
function problemsOf(text: string, attributeNames?: readonly string[]): string[] {
  try {
    parseCelebaAttributes(text, 'l.txt', { attributeNames });
  } catch (error) {
    expect(error).toBeInstanceOf(InputProblemsError);
    const { message, problems } = error as InputProblemsError;
    expect(message.split('\n')[0]).toMatch(/^Cannot import l\.txt: \d+ problems?$/);
    return problems.map(formatProblem);
  }
  throw new Error('expected the list to be refused');
}

describe('CelebA attribute lists, hand-written', () => {
  it('reads rows of 1 and -1, skipping blank lines and surrounding spaces', () => {
    const text = '\n  2  \n\n Male  Smiling\tYoung \n a.jpg 1 -1 1\n\n   \nsub\\b.png -1  1 -1\n\n';
    expect(parseCelebaAttributes(text, 'l.txt')).toEqual({
      attributeNames: ['Male', 'Smiling', 'Young'],
      set: [
        {
          file: 'a.jpg',
          faces: [{ points: [], attributes: { Male: true, Smiling: false, Young: true } }],
        },
        {
          file: 'sub/b.png',
          faces: [{ points: [], attributes: { Male: false, Smiling: true, Young: false } }],
        },
      ],
    });
  });

  it('reads a list of no images', () => {
    expect(parseCelebaAttributes('0\nMale Young\n', 'l.txt')).toEqual({
      attributeNames: ['Male', 'Young'],
      set: [],
    });
  });

  it.each(['-1', '2.5', 'two', '1 2'])('refuses the count "%s", by its line', (count) => {
    expect(problemsOf(`\n${count}\nMale\na.jpg 1\n`)).toEqual([
      'l.txt:2: expected the image count on the first line',
    ]);
  });

  it('refuses an empty list: no count and no names', () => {
    expect(problemsOf('')).toEqual([
      'l.txt:1: expected the image count on the first line',
      'l.txt:2: expected the attribute names',
    ]);
    expect(problemsOf('\n\n1\n')).toEqual(['l.txt:2: expected the attribute names']);
  });

  it('refuses a name given twice, and reads no row after a problem in the head', () => {
    expect(problemsOf('1\n\nMale Young Male\na.jpg 0 0 0 0\n')).toEqual([
      'l.txt:3: duplicate attribute name "Male"',
    ]);
  });

  it("says which of the set's names are missing, at most five, or that the order differs", () => {
    const set = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
    expect(problemsOf('1\nB A C D E F G\na.jpg 1 1 1 1 1 1 1\n', set)).toEqual([
      "l.txt:2: attribute names differ from the set's 7 (different order)",
    ]);
    expect(problemsOf('1\nG X\na.jpg 1 1\n', set)).toEqual([
      "l.txt:2: attribute names differ from the set's 7 (missing A, B, C, D, E)",
    ]);
    expect(problemsOf('1\n\n', set)).toEqual(['l.txt:2: expected the attribute names']);
    expect(
      parseCelebaAttributes('1\nB A\na.jpg 1 -1\n', 'l.txt', { attributeNames: ['B', 'A'] }).set,
    ).toHaveLength(1);
  });

  it('lists every bad row with its line', () => {
    expect(
      problemsOf('5\nMale Young\n../a.jpg 1 1\nb.jpg 1\nc.jpg 1 0\nd\\e.jpg 1 1\nd/e.jpg -1 +1\n'),
    ).toEqual([
      'l.txt:3: file name "../a.jpg" leaves the dataset root ("..")',
      'l.txt:4: expected a file name and 2 values, found 2 fields',
      'l.txt:5: Young must be -1 or 1, not "0"',
      'l.txt:7: "d/e.jpg" is listed twice',
      'l.txt:7: Young must be -1 or 1, not "+1"',
    ]);
  });

  it('refuses a count that differs from the rows, by the count line', () => {
    expect(problemsOf('\n3\nMale\na.jpg 1\nb.jpg -1\n')).toEqual([
      'l.txt:2: the count says 3 images but 2 rows follow',
    ]);
  });

  it("writes each image's first face as 1 and -1 under the count and the names", () => {
    const set = [
      { file: 'a.jpg', faces: [{ points: [], attributes: { Young: false, Male: true } }] },
      {
        file: 'd/b.png',
        faces: [
          { points: [], attributes: { Male: false, Young: true } },
          { points: [], attributes: { Male: true, Young: false } },
        ],
      },
    ];
    expect(serialiseCelebaAttributes(set, ['Male', 'Young'])).toBe(
      '2\nMale Young\na.jpg  1 -1\nd/b.png -1  1\n',
    );
  });

  it('refuses to write an image without one of the attributes, naming it', () => {
    const set = [
      { file: 'a.jpg', faces: [{ points: [], attributes: { Male: true } }] },
      { file: 'b.jpg', faces: [] },
    ];
    let error: unknown;
    try {
      serialiseCelebaAttributes(set, ['Male', 'Young']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputProblemsError);
    expect((error as InputProblemsError).message.split('\n')[0]).toBe(
      'Cannot write a CelebA attribute list: 3 problems',
    );
    expect((error as InputProblemsError).problems.map(formatProblem)).toEqual([
      'a.jpg: has no "Young" attribute',
      'b.jpg: has no "Male" attribute',
      'b.jpg: has no "Young" attribute',
    ]);
  });

  it('is detected by list_attr_celeba.txt, and cannot write a set with no yes/no attributes', () => {
    const folders = new Map<string, string[]>();
    expect(celebaFormat.detect({ files: ['a.jpg', 'list_attr_celeba.txt'], folders })).toBe(true);
    expect(celebaFormat.detect({ files: ['list_attr.txt', 'a.jpg'], folders })).toBe(false);
    const context = { attributeNames: [] } as unknown as WriteContext;
    expect(() => celebaFormat.write([], context)).toThrow(
      'Cannot export CelebA attributes: the attribute set has no yes/no attributes',
    );
    expect(() => celebaFormat.write([], context)).toThrow(
      expect.objectContaining({ code: 'invalid-payload' }),
    );
    expect(celebaFormat.write([], { attributeNames: ['Male'] } as unknown as WriteContext)).toEqual(
      {
        texts: [{ file: 'list_attr_celeba.txt', text: '0\nMale\n' }],
      },
    );
  });
});

describe('CelebA folders, hand-written', () => {
  /** Reads a folder of `files` with the format, each image marked with the list it came from. */
  async function readFolder(files: Record<string, string>) {
    const dir = await mkdtemp(join(tmpdir(), 'celeba-folder-'));
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      const context = { path: dir, isFile: false, labelFile: async (f: string) => f };
      const set = await celebaFormat.read(context as unknown as ReadContext);
      return set.map((image) => ({ ...image, labelsFrom: image.labelsFrom?.slice(dir.length) }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('reads list_attr_celeba.txt before any other .txt', async () => {
    expect(
      await readFolder({
        'a.txt': 'not a list',
        'list_attr_celeba.txt': '1\nMale Young\nb.jpg -1 1\n',
        'z.txt': 'nor this',
      }),
    ).toEqual([
      {
        file: 'b.jpg',
        faces: [{ points: [], attributes: { Male: false, Young: true } }],
        labelsFrom: '/list_attr_celeba.txt',
      },
    ]);
  });

  it('reads the one .txt of a folder when none is named list_attr_celeba.txt', async () => {
    expect(
      await readFolder({ 'attributes.txt': '1\nSmiling\nc.png 1\n', 'c.png': '', 'notes.md': '' }),
    ).toEqual([
      {
        file: 'c.png',
        faces: [{ points: [], attributes: { Smiling: true } }],
        labelsFrom: '/attributes.txt',
      },
    ]);
  });
});
