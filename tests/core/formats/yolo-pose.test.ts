import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDataYaml } from '../../../src-main/core/formats/data-yaml';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { importPtsFolder } from '../../../src-main/core/formats/pts';
import {
  exportYoloPose,
  importYoloPose,
  labelPathFor,
} from '../../../src-main/core/formats/yolo-pose';
import { ProblemList } from '../../../src-main/core/problems';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { flipIndex } from '../../../src-main/core/schemas/landmark-schema';
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
    const root = await mkdtemp(join(tmpdir(), 'yolo-'));
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
      const root = await mkdtemp(join(tmpdir(), 'yolo-backslash-'));
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
