import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReadContext, WriteContext } from '../../../src-main/core/formats/format';
import type { LabelledFace } from '../../../src-main/core/formats/model';
import {
  MTFL_POSES,
  mtflFormat,
  parseMtfl,
  serialiseMtfl,
} from '../../../src-main/core/formats/mtfl';
import { DATA, maxPointError } from './data-paths';

describe('MTFL lists', () => {
  it.each([
    ['training.txt', 10_000],
    ['testing.txt', 2995],
  ])('imports every row of %s: 5 points and 4 attributes', async (name, rows) => {
    const text = await readFile(join(DATA, 'mtfl', name), 'utf8');
    const lineCount = text.split('\n').filter((l) => l.trim() !== '').length;
    const set = parseMtfl(text, name);
    const faces = set.flatMap((i) => i.faces);
    expect(faces).toHaveLength(lineCount);
    expect(faces).toHaveLength(rows);
    // Checked in bulk and then asserted once: 10,000 separate expects cost seconds.
    const shapes = new Set(
      faces.map((f) => `${f.points.length} ${Object.keys(f.attributes!).sort()}`),
    );
    expect([...shapes]).toEqual(['5 Eyeglasses,Male,Smiling']);
    const poses = new Set(faces.map((f) => f.classes!.pose));
    expect([...poses].every((p) => (MTFL_POSES as readonly string[]).includes(p!))).toBe(true);
    // Every code occurs in the data, so a swapped 1/2 mapping could not hide.
    for (const attribute of ['Male', 'Smiling', 'Eyeglasses']) {
      const yes = faces.filter((f) => f.attributes![attribute]).length;
      expect(yes).toBeGreaterThan(0);
      expect(yes).toBeLessThan(faces.length);
    }
  });

  it('reads x values first, then y (left eye left of right eye, mouth below eyes)', async () => {
    const text = await readFile(join(DATA, 'mtfl', 'testing.txt'), 'utf8');
    const first = text.split('\n')[0]!.split(' ');
    const face = parseMtfl(text, 'testing.txt')[0]!.faces[0]!;
    expect(face.points[0]).toEqual({ x: Number(first[1]), y: Number(first[6]), v: 2 });
    expect(face.points[4]).toEqual({ x: Number(first[5]), y: Number(first[10]), v: 2 });
    const male = first[11] === '1';
    expect(face.attributes!.Male).toBe(male);
  });

  it('gives back every training value within 1e-3 px after export and import', async () => {
    const set = parseMtfl(
      await readFile(join(DATA, 'mtfl', 'training.txt'), 'utf8'),
      'training.txt',
    );
    const back = parseMtfl(serialiseMtfl(set), 'again.txt');
    expect(back.map((i) => i.file)).toEqual(set.map((i) => i.file));
    let worst = 0;
    let labelsDiffer = 0;
    back.forEach((image, i) => {
      image.faces.forEach((face, f) => {
        const original = set[i]!.faces[f]!;
        worst = Math.max(worst, maxPointError(face.points, original.points));
        const same =
          JSON.stringify([face.attributes, face.classes]) ===
          JSON.stringify([original.attributes, original.classes]);
        if (!same) labelsDiffer += 1;
      });
    });
    expect(worst).toBeLessThan(1e-3);
    expect(labelsDiffer).toBe(0);
    expect(back.flatMap((i) => i.faces)).toHaveLength(10_000);
  });

  it('refuses to write a face without the MTFL attributes, naming it', () => {
    const face = { points: Array.from({ length: 5 }, () => ({ x: 1, y: 1, v: 2 as const })) };
    expect(() => serialiseMtfl([{ file: 'a.jpg', faces: [face] }])).toThrow(
      /a\.jpg face 1: has no "Male"/,
    );
  });
});

/** The message a throwing call gives, or a failure when it does not throw. */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

/** Five distinct points: x 11..15, y 21..25. */
const FIVE = [11, 12, 13, 14, 15].map((x, i) => ({ x, y: 21 + i, v: 2 as const }));
const LABELLED: LabelledFace = {
  points: FIVE,
  attributes: { Male: true, Smiling: false, Eyeglasses: true },
  classes: { pose: 'right' },
};

describe('MTFL lists, hand-written', () => {
  it('reads a row into five points, the three yes/no codes and the pose', () => {
    const text = 'a/b.jpg 1 2 3 4 5 6 7 8 9 10 2 1 2 5\nc.jpg 1.5 2 3 4 5 6 7 8 9 10.25 1 2 1 1\n';
    expect(parseMtfl(text, 'list.txt')).toEqual([
      {
        file: 'a/b.jpg',
        faces: [
          {
            points: [
              { x: 1, y: 6, v: 2 },
              { x: 2, y: 7, v: 2 },
              { x: 3, y: 8, v: 2 },
              { x: 4, y: 9, v: 2 },
              { x: 5, y: 10, v: 2 },
            ],
            attributes: { Male: false, Smiling: true, Eyeglasses: false },
            classes: { pose: 'right profile' },
          },
        ],
      },
      {
        file: 'c.jpg',
        faces: [
          {
            points: [
              { x: 1.5, y: 6, v: 2 },
              { x: 2, y: 7, v: 2 },
              { x: 3, y: 8, v: 2 },
              { x: 4, y: 9, v: 2 },
              { x: 5, y: 10.25, v: 2 },
            ],
            attributes: { Male: true, Smiling: false, Eyeglasses: true },
            classes: { pose: 'left profile' },
          },
        ],
      },
    ]);
  });

  it('keeps two rows of one image as two faces of it, and skips blank lines', () => {
    const text = 'a.jpg 1 2 3 4 5 6 7 8 9 10 1 1 1 3\n\n  \na.jpg 1 2 3 4 5 6 7 8 9 10 2 2 2 2\n';
    const set = parseMtfl(text, 'list.txt');
    expect(set.map((i) => i.file)).toEqual(['a.jpg']);
    expect(set[0]!.faces.map((f) => f.classes!.pose)).toEqual(['frontal', 'left']);
  });

  it('names a bad y value by its number, and every bad code on the line', () => {
    const text = 'a.jpg 1 2 3 4 5 6 7 x 9 10 1 0 2.5 0\n';
    expect(messageOf(() => parseMtfl(text, 'list.txt'))).toBe(
      [
        'Cannot import list.txt: 4 problems',
        'list.txt:1: y3 is not a finite number: "x"',
        'list.txt:1: Smiling must be 1 or 2, not "0"',
        'list.txt:1: Eyeglasses must be 1 or 2, not "2.5"',
        'list.txt:1: pose must be 1..5, not "0"',
      ].join('\n'),
    );
  });

  it('writes x values first, then y, then the codes, one row per face', () => {
    expect(serialiseMtfl([{ file: 'd/e.jpg', faces: [LABELLED, LABELLED] }])).toBe(
      'd/e.jpg 11 12 13 14 15 21 22 23 24 25 1 2 1 4\n'.repeat(2),
    );
  });

  it('refuses to write a face without five points, naming the face and the count', () => {
    const face = { ...LABELLED, points: FIVE.slice(0, 4) };
    expect(messageOf(() => serialiseMtfl([{ file: 'a.jpg', faces: [LABELLED, face] }]))).toBe(
      'Cannot write an MTFL list: 1 problem\na.jpg face 2: has 4 points; MTFL needs 5',
    );
  });

  it('refuses to write a face without a pose, listing the poses MTFL has', () => {
    const face = { ...LABELLED, classes: { pose: 'upside down' } };
    expect(messageOf(() => serialiseMtfl([{ file: 'a.jpg', faces: [face] }]))).toBe(
      'Cannot write an MTFL list: 1 problem\n' +
        'a.jpg face 1: has no MTFL pose (left profile, left, frontal, right, right profile)',
    );
  });

  it('detects a folder by training.txt or testing.txt', () => {
    const listing = (files: string[]) => ({ files, folders: new Map() });
    expect(mtflFormat.detect(listing(['training.txt']))).toBe(true);
    expect(mtflFormat.detect(listing(['testing.txt']))).toBe(true);
    expect(mtflFormat.detect(listing(['train.txt', 'test.txt']))).toBe(false);
  });

  it('writes the test split to testing.txt and the rest to training.txt', () => {
    const splits: Record<string, string> = { 't.jpg': 'test', 'v.jpg': 'val' };
    const context = { splitOf: (f: string) => splits[f] } as unknown as WriteContext;
    const set = ['n.jpg', 't.jpg', 'v.jpg'].map((file) => ({ file, faces: [LABELLED] }));
    const row = (file: string) => `${file} 11 12 13 14 15 21 22 23 24 25 1 2 1 4\n`;
    expect(mtflFormat.write(set, context)).toEqual({
      texts: [
        { file: 'training.txt', text: row('n.jpg') + row('v.jpg') },
        { file: 'testing.txt', text: row('t.jpg') },
      ],
    });
    expect(mtflFormat.write(set.slice(0, 1), context)).toEqual({
      texts: [{ file: 'training.txt', text: row('n.jpg') }],
    });
  });

  describe('folders', () => {
    async function readFolder(files: Record<string, string>) {
      const dir = await mkdtemp(join(tmpdir(), 'mtfl-folder-'));
      try {
        for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
        const context = { path: dir, isFile: false, labelFile: async (f: string) => f };
        const set = await mtflFormat.read(context as unknown as ReadContext);
        return set.map((i) => ({ ...i, labelsFrom: i.labelsFrom?.slice(dir.length) }));
      } catch (error) {
        throw new Error((error as Error).message.replaceAll(dir, '<dir>'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const row = (file: string) => `${file} 1 2 3 4 5 6 7 8 9 10 1 1 1 3\n`;

    it('reads training.txt as train and testing.txt as test', async () => {
      const set = await readFolder({
        'testing.txt': row('t.jpg'),
        'training.txt': row('n.jpg'),
        'other.txt': row('o.jpg'),
      });
      expect(set.map((i) => [i.file, i.split, i.labelsFrom])).toEqual([
        ['n.jpg', 'train', '/training.txt'],
        ['t.jpg', 'test', '/testing.txt'],
      ]);
    });

    it('says a folder with neither list holds no MTFL list', async () => {
      await expect(readFolder({ 'train.txt': row('a.jpg') })).rejects.toThrow(
        /^<dir> holds no MTFL list \(training\.txt, testing\.txt\)$/,
      );
    });
  });
});
