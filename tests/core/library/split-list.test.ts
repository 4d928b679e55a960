/**
 * Split lists: `PATH SPLIT` lines (space, tab or comma), or paths alone with one split for all;
 * a path names an image by its absolute file, its path from the list's folder, or the end of its
 * path when that fits one image. Every bad line is named with the file and the line number.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchSplitList, parseSplitList } from '../../../src-main/core/library/split-list';
import { InputProblemsError } from '../../../src-main/core/problems';
import type { ImageRecord } from '../../../src-main/shared/domain';

const LIST = '/data/sets/lists/splits.txt';

function image(n: number, file: string): ImageRecord {
  return {
    id: String(n).repeat(64).slice(0, 64),
    path: file,
    width: 10,
    height: 10,
    split: 'pool',
  };
}

const IMAGES = [
  image(1, '/data/sets/helen/train/a.jpg'),
  image(2, '/data/sets/helen/test/a.jpg'),
  image(3, '/data/sets/helen/test/b.jpg'),
  image(4, '/data/sets/lists/c.jpg'),
];
const match = (text: string, split?: 'train' | 'val' | 'test' | 'pool') =>
  matchSplitList(parseSplitList(text, LIST, split), IMAGES, {
    listFile: LIST,
    fileOf: (record) => record.path,
  });

describe('parseSplitList', () => {
  it('reads PATH SPLIT lines with space, tab or comma, skipping comments, blanks and a header', () => {
    const text =
      'path,split\n# held out\n\nhelen/train/a.jpg train\nb.jpg\ttest\nmy photos/c.jpg, val\n';
    expect(parseSplitList(text, LIST)).toEqual([
      { line: 4, path: 'helen/train/a.jpg', split: 'train' },
      { line: 5, path: 'b.jpg', split: 'test' },
      { line: 6, path: 'my photos/c.jpg', split: 'val' },
    ]);
  });

  it('takes a line without a split, spaces and all, as a path when one split is given', () => {
    expect(parseSplitList('my photo.jpg\nb.jpg test\n', LIST, 'val')).toEqual([
      { line: 1, path: 'my photo.jpg', split: 'val' },
      { line: 2, path: 'b.jpg', split: 'test' },
    ]);
  });

  it('names each line without a split when none is given', () => {
    const error = (() => {
      try {
        parseSplitList('a.jpg train\nb.jpg\nc.jpg later\n', LIST);
      } catch (e) {
        return e as InputProblemsError;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(InputProblemsError);
    expect(error.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(error.message).toContain(LIST);
    expect(error.message).toMatch(/"c\.jpg later" names no split at its end/);
  });
});

describe('matchSplitList', () => {
  it('finds images by absolute path, by path from the list, and by the unique end of a path', () => {
    const splits = match(
      [
        '/data/sets/helen/train/a.jpg train',
        'c.jpg val', // beside the list
        'test/a.jpg test',
        'b.jpg test',
      ].join('\n'),
    );
    expect(Object.fromEntries(splits)).toEqual({
      [IMAGES[0]!.id]: 'train',
      [IMAGES[3]!.id]: 'val',
      [IMAGES[1]!.id]: 'test',
      [IMAGES[2]!.id]: 'test',
    });
  });

  it('names every line that fits no image, several, or gives one image two splits', () => {
    let error: InputProblemsError | undefined;
    try {
      match('a.jpg train\nnobody.jpg test\nb.jpg test\nhelen/test/b.jpg val\n');
    } catch (e) {
      error = e as InputProblemsError;
    }
    expect(error).toBeInstanceOf(InputProblemsError);
    expect(error!.problems).toEqual([
      { file: LIST, line: 1, message: 'a.jpg fits 2 images of the project; give more of its path' },
      { file: LIST, line: 2, message: 'nobody.jpg is no image of the project' },
      {
        file: LIST,
        line: 4,
        message: 'helen/test/b.jpg is put in val here and in test on line 3',
      },
    ]);
  });

  it('matches with the list in another folder through an absolute list path', () => {
    const splits = matchSplitList(parseSplitList('../helen/test/b.jpg', LIST, 'test'), IMAGES, {
      listFile: path.resolve(LIST),
      fileOf: (record) => record.path,
    });
    expect([...splits]).toEqual([[IMAGES[2]!.id, 'test']]);
  });

  it('reads a \\ in a list line as a separator, as lists written on Windows use it', () => {
    expect([
      ...match('helen\\test\\b.jpg test\nlists\\c.jpg val\n..\\helen\\train\\a.jpg train\n'),
    ]).toEqual([
      [IMAGES[2]!.id, 'test'],
      [IMAGES[3]!.id, 'val'],
      [IMAGES[0]!.id, 'train'],
    ]);
  });

  // Linux and macOS allow `\` in a file name: there it is part of the name, not a separator.
  it.skipIf(path.sep === '\\')(
    'tells an image named face\\1.jpg from face/1.jpg, the name as written first',
    () => {
      const images = [
        image(5, '/data/sets/lists/face\\1.jpg'),
        image(6, '/data/sets/lists/face/1.jpg'),
      ];
      const splits = matchSplitList(
        parseSplitList('face\\1.jpg train\nface/1.jpg test\n', LIST),
        images,
        { listFile: LIST, fileOf: (record) => record.path },
      );
      expect(Object.fromEntries(splits)).toEqual({
        [images[0]!.id]: 'train',
        [images[1]!.id]: 'test',
      });
    },
  );

  it.skipIf(path.sep === '\\')(
    'calls a line whose name as written fits several images ambiguous, not its \\-split reading',
    () => {
      const images = [
        image(5, '/data/sets/x/face\\1.jpg'),
        image(6, '/data/sets/y/face\\1.jpg'),
        image(7, '/data/sets/z/face/1.jpg'),
      ];
      expect(() =>
        matchSplitList(parseSplitList('face\\1.jpg train\n', LIST), images, {
          listFile: LIST,
          fileOf: (record) => record.path,
        }),
      ).toThrow('face\\1.jpg fits 2 images of the project; give more of its path');
    },
  );
});

describe('matchSplitList, path readings', () => {
  const images = [
    image(7, '/data/sets/lists/x/a.jpg'),
    image(8, '/data/other/x/a.jpg'),
    image(9, '/data/other/q/z.jpg'),
    image(5, '/data/other/a./y.jpg'),
  ];
  const matchIn = (text: string) =>
    matchSplitList(parseSplitList(text, LIST), images, {
      listFile: LIST,
      fileOf: (record) => record.path,
    });

  it('takes the image a path from the list names even when its end fits others too', () => {
    expect([...matchIn('x/a.jpg train\n')]).toEqual([[images[0]!.id, 'train']]);
  });

  it('drops a leading ./ before matching the end of a path, and only that', () => {
    expect([...matchIn('./q/z.jpg val\na./y.jpg test\n')]).toEqual([
      [images[2]!.id, 'val'],
      [images[3]!.id, 'test'],
    ]);
  });

  it('takes an image listed twice with the same split', () => {
    expect([...matchIn('q/z.jpg val\n/data/other/q/z.jpg val\n')]).toEqual([
      [images[2]!.id, 'val'],
    ]);
  });
});
