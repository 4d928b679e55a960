import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseCoco, serialiseCoco } from '../../../src-main/core/formats/coco';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { importPtsFolder } from '../../../src-main/core/formats/pts';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { DATA, maxPointError } from './data-paths';

async function helenTestWithSizes(): Promise<LabelledSet> {
  const dir = join(DATA, '300w-helen', 'test');
  const set = await importPtsFolder(dir, { pointCount: 68 });
  for (const [i, image] of set.entries()) {
    const meta = await sharp(join(dir, image.file)).metadata();
    image.width = meta.width;
    image.height = meta.height;
    // Mark some points occluded or unlabelled so visibility has to survive too.
    image.faces[0]!.points[i % 68]!.v = 1;
    image.faces[0]!.points[(i + 7) % 68] = { x: 0, y: 0, v: 0 };
  }
  return set;
}

describe('COCO keypoints', () => {
  it('gives back the 330 HELEN test faces within 1e-3 px, with visibility and sizes', async () => {
    const schema = builtinLandmarkSchema('ibug68');
    const set = await helenTestWithSizes();
    const { set: back, category } = parseCoco(serialiseCoco(set, schema), 'helen.json', {
      pointCount: 68,
    });
    expect(back).toHaveLength(330);
    expect(back.map((i) => [i.file, i.width, i.height])).toEqual(
      set.map((i) => [i.file, i.width, i.height]),
    );
    const all = (s: LabelledSet) => s.flatMap((i) => i.faces.flatMap((f) => f.points));
    expect(maxPointError(all(back), all(set))).toBeLessThan(1e-3);
    expect(all(back).map((p) => p.v)).toEqual(all(set).map((p) => p.v));
    expect(category.keypoints).toEqual(schema.points);
    expect(category.skeleton).toEqual(schema.edges);
  });

  it('writes the skeleton 1-based and num_keypoints as the labelled count', () => {
    const schema = builtinLandmarkSchema('five');
    const points = [2, 2, 1, 0, 2].map((v, i) => ({ x: i, y: i, v: v as 0 | 1 | 2 }));
    const json = JSON.parse(
      serialiseCoco([{ file: 'a.jpg', width: 10, height: 10, faces: [{ points }] }], schema),
    );
    expect(json.categories[0].skeleton).toEqual(schema.edges.map(([a, b]) => [a + 1, b + 1]));
    expect(json.annotations[0].num_keypoints).toBe(4);
  });

  it('needs image sizes to write', () => {
    const schema = builtinLandmarkSchema('five');
    expect(() => serialiseCoco([{ file: 'a.jpg', faces: [] }], schema)).toThrow(
      /a\.jpg: width and height are needed/,
    );
  });

  it('needs both the width and the height, each on its own', () => {
    const schema = builtinLandmarkSchema('five');
    expect(() =>
      serialiseCoco(
        [
          { file: 'a.jpg', width: 10, faces: [] },
          { file: 'b.jpg', height: 10, faces: [] },
        ],
        schema,
      ),
    ).toThrow(
      'Cannot write COCO keypoints: 2 problems\n' +
        'a.jpg: width and height are needed for COCO\n' +
        'b.jpg: width and height are needed for COCO',
    );
  });

  it("names a face whose point count is not the schema's", () => {
    const schema = builtinLandmarkSchema('five');
    const points = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ x: i, y: i, v: 2 as const }));
    expect(() =>
      serialiseCoco(
        [
          {
            file: 'a.jpg',
            width: 10,
            height: 10,
            faces: [{ points: points(5) }, { points: points(3) }],
          },
        ],
        schema,
      ),
    ).toThrow('Cannot write COCO keypoints: 1 problem\na.jpg: face 2 has 3 points, the schema 5');
  });
});
