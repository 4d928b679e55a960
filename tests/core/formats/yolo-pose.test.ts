import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDataYaml } from '../../../src-main/core/formats/data-yaml';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { importPtsFolder } from '../../../src-main/core/formats/pts';
import type { WriteContext } from '../../../src-main/core/formats/format';
import {
  exportYoloPose,
  importYoloPose,
  labelPathFor,
  parseYoloLabel,
  serialiseYoloLabel,
  yoloFormat,
} from '../../../src-main/core/formats/yolo-pose';
import { ProblemList, formatProblem } from '../../../src-main/core/problems';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { flipIndex } from '../../../src-main/core/schemas/landmark-schema';
import { tempFolder } from '../../support/temp-folder';
import { DATA, maxPointError } from './data-paths';

/** HELEN test faces under images/, with a made-up size per image and a box around the points. */
async function helenAsYoloSet(): Promise<LabelledSet> {
  const set = await importPtsFolder(join(DATA, '300w-helen', 'test'), { pointCount: 68 });
  return set.map((image, i) => {
    const points = image.faces[0]!.points;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const box = {
      x: Math.min(...xs),
      y: Math.min(...ys),
      width: Math.max(...xs) - Math.min(...xs),
      height: Math.max(...ys) - Math.min(...ys),
    };
    if (i % 5 === 0) points[3] = { x: 0, y: 0, v: 0 };
    // Sizes that differ per image, so a swapped width/height would show.
    return {
      file: `images/${image.file}`,
      width: 320 + (i % 3),
      height: 330 + (i % 7),
      faces: [{ box, points }],
    };
  });
}

describe('YOLO pose', () => {
  it('gives back the 330 HELEN test faces within 1e-3 px through data.yaml and labels', async () => {
    const schema = builtinLandmarkSchema('ibug68');
    const set = await helenAsYoloSet();
    const root = await tempFolder('yolo-');
    const { dataYaml, labels } = exportYoloPose(set, schema);
    await writeFile(join(root, 'data.yaml'), dataYaml);
    for (const image of set) {
      await mkdir(dirname(join(root, image.file)), { recursive: true });
      await writeFile(join(root, image.file), '');
    }
    for (const label of labels) {
      await mkdir(dirname(join(root, label.file)), { recursive: true });
      await writeFile(join(root, label.file), label.text);
    }
    const sizes = new Map(set.map((i) => [i.file, { width: i.width!, height: i.height! }]));
    const { set: back, data } = await importYoloPose(root, async (file) => sizes.get(file)!, {
      pointCount: 68,
    });
    expect(data.kptShape).toEqual([68, 3]);
    expect(data.flipIdx).toEqual(flipIndex(schema));
    expect(back.map((i) => i.file)).toEqual(set.map((i) => i.file).sort());
    const byFile = new Map(set.map((i) => [i.file, i]));
    let worst = 0;
    let visibilityDiffers = 0;
    for (const image of back) {
      const original = byFile.get(image.file)!.faces[0]!;
      const face = image.faces[0]!;
      worst = Math.max(worst, maxPointError(face.points, original.points));
      const [a, b] = [face.box!, original.box!];
      worst = Math.max(
        worst,
        ...[a.x - b.x, a.y - b.y, a.width - b.width, a.height - b.height].map(Math.abs),
      );
      if (face.points.some((p, k) => p.v !== original.points[k]!.v)) visibilityDiffers += 1;
    }
    expect(worst).toBeLessThan(1e-3);
    expect(visibilityDiffers).toBe(0);
  });

  // Linux and macOS allow `\` in a file name: there it is part of the name, not a separator.
  it.skipIf(process.platform === 'win32')(
    'reads an image named with a backslash under its own name, with its own label file',
    async () => {
      const root = await tempFolder('yolo-backslash-');
      await writeFile(join(root, 'data.yaml'), 'kpt_shape: [1, 3]\nnames: [face]\n');
      await mkdir(join(root, 'images'));
      await writeFile(join(root, 'images', 'face\\1.jpg'), '');
      await mkdir(join(root, 'labels', 'face'), { recursive: true });
      await writeFile(join(root, 'labels', 'face\\1.txt'), '0 0.5 0.5 0.25 0.5 0.25 0.75 2\n');
      // The label file a backslash read as a separator would pair the image with instead.
      await writeFile(join(root, 'labels', 'face', '1.txt'), '0 0.5 0.5 0.5 0.5 0.5 0.5 1\n');
      const asked: string[] = [];
      const { set } = await importYoloPose(root, async (file) => {
        asked.push(file);
        return { width: 200, height: 100 };
      });
      expect(asked).toEqual(['images/face\\1.jpg']);
      expect(set).toEqual([
        {
          file: 'images/face\\1.jpg',
          width: 200,
          height: 100,
          faces: [
            { box: { x: 75, y: 25, width: 50, height: 50 }, points: [{ x: 50, y: 75, v: 2 }] },
          ],
        },
      ]);
    },
  );

  it('maps images/ to labels/ the way YOLO does', () => {
    expect(labelPathFor('images/train/a.b.jpg')).toBe('labels/train/a.b.txt');
    expect(labelPathFor('faces/a.png')).toBe('labels/faces/a.txt');
  });

  it('reads names as a flow list, a block list or an index map', () => {
    const problems = new ProblemList();
    const forms = [
      'kpt_shape: [5, 2]\nnames: [face]\n',
      'kpt_shape: [5, 2] # five points\nnames:\n  - face\n',
      "kpt_shape: [5, 2]\nnames:\n  0: 'face'\n",
    ].map((text) => parseDataYaml(text, 'data.yaml', problems));
    expect(problems.problems).toEqual([]);
    for (const data of forms) expect(data).toEqual({ kptShape: [5, 2], names: ['face'] });
  });
});

/** A fresh folder holding `files` (path → text), removed when the test ends. */
async function folderOf(files: Record<string, string>): Promise<string> {
  const root = await tempFolder('yolo-hand-');
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), text);
  }
  return root;
}

/** The message a rejected promise gives, with the folder written as <root>. */
async function rejection(promise: Promise<unknown>, root: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message.replaceAll(root, '<root>');
  }
  throw new Error('expected a rejection');
}

const SIZES: Record<string, { width: number; height: number }> = {
  'images/C.JPEG': { width: 10, height: 20 },
  'images/a.jpg': { width: 200, height: 100 },
  'images/link.jpg': { width: 30, height: 40 },
  'images/sub/b.png': { width: 400, height: 300 },
  'images/z.jpg': { width: 50, height: 60 },
};

describe('YOLO pose datasets, hand-written', () => {
  it('reads every image file under images/, nested and linked, each with its label file', async () => {
    const root = await folderOf({
      'data.yaml': 'kpt_shape: [1, 3]\nnames: [face]\n',
      'images/a.jpg': '',
      'images/C.JPEG': '',
      'images/notes.txt': 'not an image',
      'images/album.jpg/readme.md': 'a folder with an image name',
      'images/sub/b.png': '',
      'images/z.jpg': '',
      'originals/o.jpg': '',
      'labels/a.txt': '0 0.5 0.5 0.25 0.5 0.25 0.75 2\n',
      'labels/sub/b.txt': '0 0.25 0.5 0.5 0.2 0.75 0.5 1\n',
    });
    await symlink(join(root, 'originals', 'o.jpg'), join(root, 'images', 'link.jpg'));
    const asked: string[] = [];
    const { set, data } = await importYoloPose(
      root,
      async (file) => {
        asked.push(file);
        return SIZES[file]!;
      },
      { pointCount: 1 },
    );
    expect(data).toEqual({ kptShape: [1, 3], names: ['face'] });
    expect(asked).toEqual([
      'images/C.JPEG',
      'images/a.jpg',
      'images/link.jpg',
      'images/sub/b.png',
      'images/z.jpg',
    ]);
    expect(set).toEqual([
      { file: 'images/C.JPEG', width: 10, height: 20, faces: [] },
      {
        file: 'images/a.jpg',
        width: 200,
        height: 100,
        faces: [{ box: { x: 75, y: 25, width: 50, height: 50 }, points: [{ x: 50, y: 75, v: 2 }] }],
      },
      { file: 'images/link.jpg', width: 30, height: 40, faces: [] },
      {
        file: 'images/sub/b.png',
        width: 400,
        height: 300,
        faces: [
          { box: { x: 0, y: 120, width: 200, height: 60 }, points: [{ x: 300, y: 150, v: 1 }] },
        ],
      },
      // Sorted by path: the nested image before z.jpg, which a folder listing gives first.
      { file: 'images/z.jpg', width: 50, height: 60, faces: [] },
    ]);
  });

  it("refuses a data.yaml whose point count is not the schema's, before reading any image", async () => {
    const root = await folderOf({
      'data.yaml': 'kpt_shape: [2, 3]\nnames: [face]\n',
      'images/a.jpg': '',
    });
    const sizeOf = async () => {
      throw new Error('no image should be read');
    };
    expect(await rejection(importYoloPose(root, sizeOf, { pointCount: 5 }), root)).toBe(
      'Cannot import the YOLO dataset in <root>: 1 problem\n' +
        'data.yaml: kpt_shape has 2 points, the schema has 5',
    );
  });

  it('names a bad label line with the dataset folder', async () => {
    const root = await folderOf({
      'data.yaml': 'kpt_shape: [1, 2]\nnames: [face]\n',
      'images/a.jpg': '',
      'labels/a.txt': '0 0.5 0.5 0.25\n',
    });
    expect(
      await rejection(
        importYoloPose(root, async () => SIZES['images/a.jpg']!),
        root,
      ),
    ).toBe(
      'Cannot import the YOLO dataset in <root>: 1 problem\n' +
        'labels/a.txt:1: expected 7 values (class, box, 1×2), found 4',
    );
  });

  it('does not read a label file that links out of the dataset, and says where it lies', async () => {
    const outside = await folderOf({ 'a.txt': 'not a label line\n' });
    const root = await folderOf({
      'data.yaml': 'kpt_shape: [1, 2]\nnames: [face]\n',
      'images/a.jpg': '',
    });
    await mkdir(join(root, 'labels'));
    await symlink(join(outside, 'a.txt'), join(root, 'labels', 'a.txt'));
    const real = await realpath(join(outside, 'a.txt'));
    const message = await rejection(
      importYoloPose(root, async () => SIZES['images/a.jpg']!),
      root,
    );
    expect(message.replace(real, '<outside>')).toBe(
      'Cannot import the YOLO dataset in <root>: 1 problem\n' +
        'labels/a.txt: really lies at <outside>, outside the folder being imported ' +
        '(a symbolic link leads out of it)',
    );
  });

  it('does not read a data.yaml that links out of the dataset', async () => {
    const outside = await folderOf({ 'data.yaml': 'kpt_shape: [1, 2]\nnames: [face]\n' });
    const root = await folderOf({ 'images/a.jpg': '' });
    await symlink(join(outside, 'data.yaml'), join(root, 'data.yaml'));
    const real = await realpath(join(outside, 'data.yaml'));
    const message = await rejection(
      importYoloPose(root, async () => SIZES['images/a.jpg']!),
      root,
    );
    expect(message.replace(real, '<outside>')).toBe(
      'Cannot import the YOLO dataset in <root>: 2 problems\n' +
        'data.yaml: really lies at <outside>, outside the folder being imported ' +
        '(a symbolic link leads out of it)\n' +
        'data.yaml: no kpt_shape (needed for pose labels)',
    );
  });

  it('writes class 0, the box and the points, with visibility only for 3 values a point', () => {
    const face = {
      box: { x: 75, y: 25, width: 50, height: 50 },
      points: [
        { x: 50, y: 75, v: 2 as const },
        { x: 100, y: 10, v: 0 as const },
      ],
    };
    const size = { width: 200, height: 100 };
    expect(serialiseYoloLabel([face, face], size, 2)).toBe(
      '0 0.5 0.5 0.25 0.5 0.25 0.75 0.5 0.1\n'.repeat(2),
    );
    expect(serialiseYoloLabel([face], size, 3)).toBe('0 0.5 0.5 0.25 0.5 0.25 0.75 2 0.5 0.1 0\n');
  });

  it('refuses to export an image without a size, a face without a box or with other points', () => {
    const schema = builtinLandmarkSchema('five');
    const five = Array.from({ length: 5 }, (_, i) => ({ x: i, y: i, v: 2 as const }));
    const box = { x: 0, y: 0, width: 4, height: 4 };
    expect(() =>
      exportYoloPose(
        [
          { file: 'images/a.jpg', faces: [{ box, points: five }] },
          { file: 'images/b.jpg', width: 9, height: 9, faces: [{ points: five }] },
          { file: 'images/c.jpg', width: 9, height: 9, faces: [{ box, points: five.slice(1) }] },
          { file: 'images/d.jpg', height: 9, faces: [] },
          { file: 'images/e.jpg', width: 9, faces: [] },
        ],
        schema,
      ),
    ).toThrow(
      'Cannot write YOLO pose labels: 5 problems\n' +
        'images/a.jpg: width and height are needed for YOLO\n' +
        'images/b.jpg: face 1 has no box (YOLO needs one)\n' +
        'images/c.jpg: face 1 has 4 points, the schema 5\n' +
        'images/d.jpg: width and height are needed for YOLO\n' +
        'images/e.jpg: width and height are needed for YOLO',
    );
  });

  it('detects data.yaml beside an images folder', () => {
    const images = new Map([['images', ['a.jpg']]]);
    expect(yoloFormat.detect({ files: ['data.yaml'], folders: images })).toBe(true);
    expect(yoloFormat.detect({ files: ['data.yml'], folders: images })).toBe(false);
    expect(yoloFormat.detect({ files: ['data.yaml'], folders: new Map([['imgs', []]]) })).toBe(
      false,
    );
  });

  it("writes a face without a box with its placed points' bounds, and needs a schema", () => {
    const schema = builtinLandmarkSchema('five');
    const points = [
      { x: 10, y: 20, v: 2 as const },
      { x: 30, y: 10, v: 1 as const },
      { x: 90, y: 90, v: 0 as const },
      { x: 20, y: 40, v: 2 as const },
      { x: 15, y: 25, v: 2 as const },
    ];
    const context = { landmarks: schema } as unknown as WriteContext;
    const { texts } = yoloFormat.write(
      [{ file: 'images/a.jpg', width: 100, height: 50, faces: [{ points }] }],
      context,
    );
    expect(texts.map((t) => t.file)).toEqual(['data.yaml', 'labels/a.txt']);
    expect(texts[1]!.text).toBe(
      '0 0.2 0.5 0.2 0.6 0.1 0.4 2 0.3 0.2 1 0.9 1.8 0 0.2 0.8 2 0.15 0.5 2\n',
    );
    expect(() => yoloFormat.write([], { landmarks: null } as unknown as WriteContext)).toThrow(
      'Cannot write YOLO pose labels without a landmark schema',
    );
  });
});

describe('YOLO pose label lines, hand-written', () => {
  const size = { width: 200, height: 100 };

  /** The faces read from `lines` and the problems, as `file:line: message`. */
  function read(lines: string[], names: string[], kptShape: [number, 2 | 3] = [1, 3]) {
    const problems = new ProblemList();
    const faces = parseYoloLabel(lines.join('\n'), 'l.txt', { kptShape, names }, size, problems);
    return { faces, problems: problems.problems.map(formatProblem) };
  }

  it('takes classes 0..names - 1 and refuses the others, negative or fractional', () => {
    const { faces, problems } = read(
      [
        '1 0.5 0.5 0.5 0.5 0.5 0.5 2',
        '-1 0.5 0.5 0.5 0.5 0.5 0.5 2',
        '2 0.5 0.5 0.5 0.5 0.5 0.5 2',
        '0.5 0.5 0.5 0.5 0.5 0.5 0.5 2',
      ],
      ['face', 'mask'],
    );
    expect(problems).toEqual([
      'l.txt:2: class -1 is not one of 0..1',
      'l.txt:3: class 2 is not one of 0..1',
      'l.txt:4: class 0.5 is not one of 0..1',
    ]);
    expect(faces).toEqual([
      { box: { x: 50, y: 25, width: 100, height: 50 }, points: [{ x: 100, y: 50, v: 2 }] },
    ]);
  });

  it('takes any whole class when data.yaml names none, but not a negative one', () => {
    const { faces, problems } = read(
      ['7 0.5 0.5 0.5 0.5 0.5 0.5 2', '-1 0.5 0.5 0.5 0.5 0.5 0.5 2'],
      [],
    );
    expect(problems).toEqual(['l.txt:2: class -1 is not one of 0..0']);
    expect(faces).toHaveLength(1);
  });

  it('takes box values and keypoints at 0 and 1, and refuses them past either end', () => {
    const { faces, problems } = read(
      [
        '0 0 1 1 0 0 1 0',
        '0 -0.1 0.5 0.5 0.5 0.5 0.5 2',
        '0 0.5 1.1 0.5 0.5 0.5 0.5 2',
        '0 0.5 0.5 -0.2 0.5 0.5 0.5 2',
        '0 0.5 0.5 0.5 1.2 0.5 0.5 2',
        '0 0.5 0.5 0.5 0.5 1.5 0.5 2',
        '0 0.5 0.5 0.5 0.5 -0.5 0.5 2',
        '0 0.5 0.5 0.5 0.5 0.5 1.25 2',
        '0 0.5 0.5 0.5 0.5 0.5 -0.25 2',
        '0 1 0 0 1 1 0 1',
      ],
      ['face'],
    );
    expect(problems).toEqual([
      'l.txt:2: cx -0.1 is outside 0..1',
      'l.txt:3: cy 1.1 is outside 0..1',
      'l.txt:4: w -0.2 is outside 0..1',
      'l.txt:5: h 1.2 is outside 0..1',
      'l.txt:6: keypoint 0 (1.5, 0.5) is outside 0..1',
      'l.txt:7: keypoint 0 (-0.5, 0.5) is outside 0..1',
      'l.txt:8: keypoint 0 (0.5, 1.25) is outside 0..1',
      'l.txt:9: keypoint 0 (0.5, -0.25) is outside 0..1',
    ]);
    expect(faces).toEqual([
      { box: { x: -100, y: 100, width: 200, height: 0 }, points: [{ x: 0, y: 100, v: 0 }] },
      { box: { x: 200, y: -50, width: 0, height: 100 }, points: [{ x: 200, y: 0, v: 1 }] },
    ]);
  });

  it('counts values from 1 when naming one that is not a number, and gives 2 values a point v 2', () => {
    const { faces, problems } = read(
      ['0 0.5 0.5 0.5 0.5 0.25 x', '0 0.5 0.5 0.5 0.5 0.25 0.75'],
      ['face'],
      [1, 2],
    );
    expect(problems).toEqual(['l.txt:1: value 7 is not a finite number: "x"']);
    expect(faces).toEqual([
      { box: { x: 50, y: 25, width: 100, height: 50 }, points: [{ x: 50, y: 75, v: 2 }] },
    ]);
  });
});
