/**
 * Face boxes read from and written to hand-written files, with four distinct numbers per box
 * (x 12, y 34, width 56, height 78) so a reader or writer that swaps x with y, or width with
 * height, cannot pass. Round trips cannot catch such a swap when the reader and the writer swap
 * alike, or when the box is square at the same x and y.
 */
import { describe, expect, it } from 'vitest';
import { parseCoco, serialiseCoco } from '../../../src-main/core/formats/coco';
import { parseDlibXml, serialiseDlibXml } from '../../../src-main/core/formats/dlib-xml';
import type { LabelledFace } from '../../../src-main/core/formats/model';
import { parseStudioJson } from '../../../src-main/core/formats/studio-json';
import { parseYoloLabel, serialiseYoloLabel } from '../../../src-main/core/formats/yolo-pose';
import { ProblemList } from '../../../src-main/core/problems';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';

const BOX = { x: 12, y: 34, width: 56, height: 78 };
/** Two points inside the box, each with x ≠ y. */
const TWO_POINTS = [
  { x: 20, y: 50, v: 2 as const },
  { x: 60, y: 90, v: 2 as const },
];

describe('COCO bbox [x, y, width, height]', () => {
  const file = JSON.stringify({
    images: [{ id: 7, file_name: 'a.jpg', width: 200, height: 160 }],
    annotations: [
      {
        id: 1,
        image_id: 7,
        category_id: 1,
        keypoints: [20, 50, 2, 60, 90, 2],
        num_keypoints: 2,
        bbox: [12, 34, 56, 78],
      },
    ],
    categories: [{ id: 1, name: 'face', keypoints: ['left', 'right'] }],
  });

  it('reads the box of a hand-written file as written', () => {
    const { set } = parseCoco(file, 'hand.json');
    expect(set[0]!.faces).toEqual([{ box: BOX, points: TWO_POINTS }]);
  });

  it('writes the box in the same order', () => {
    const schema = { ...builtinLandmarkSchema('five'), points: ['left', 'right'], edges: [] };
    const json = JSON.parse(
      serialiseCoco(
        [{ file: 'a.jpg', width: 200, height: 160, faces: [{ box: BOX, points: TWO_POINTS }] }],
        schema,
      ),
    ) as { annotations: { bbox: number[]; area: number }[] };
    expect(json.annotations[0]!.bbox).toEqual([12, 34, 56, 78]);
    expect(json.annotations[0]!.area).toBe(56 * 78);
  });
});

describe('dlib <box top left width height>', () => {
  const xml = `<?xml version='1.0' encoding='ISO-8859-1'?>
<dataset>
<images>
  <image file='a.jpg' width='200' height='160'>
    <box top='34' left='12' width='56' height='78'>
      <part name='00' x='20' y='50'/>
      <part name='01' x='60' y='90'/>
    </box>
  </image>
</images>
</dataset>
`;

  it('reads top as y and left as x', () => {
    const [image] = parseDlibXml(xml, 'hand.xml', { pointCount: 2 });
    expect(image!.faces).toEqual([{ box: BOX, points: TWO_POINTS }]);
  });

  it('writes y as top and x as left', () => {
    const text = serialiseDlibXml([
      { file: 'a.jpg', width: 200, height: 160, faces: [{ box: BOX, points: TWO_POINTS }] },
    ]);
    expect(text).toContain(`<box top='34' left='12' width='56' height='78'>`);
    expect(text).toContain(`<part name='00' x='20' y='50'/>`);
  });
});

describe('YOLO pose: class cx cy w h, normalised by the image size', () => {
  const size = { width: 200, height: 160 };
  const data = { kptShape: [2, 3] as [number, 3], names: ['face'] };
  // Centre (40, 73) of a 200×160 image: 0.2, 0.45625; size 56×78: 0.28, 0.4875.
  const line = '0 0.2 0.45625 0.28 0.4875 0.1 0.3125 2 0.3 0.5625 2\n';

  it('reads the box as x, y of its top-left corner and its size in pixels', () => {
    const problems = new ProblemList();
    const faces = parseYoloLabel(line, 'a.txt', data, size, problems);
    expect(problems.count).toBe(0);
    expect(faces).toHaveLength(1);
    const [face] = faces as [LabelledFace];
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      expect(face.box![key]).toBeCloseTo(BOX[key], 9);
    }
    face.points.forEach((p, i) => {
      expect(p.x).toBeCloseTo(TWO_POINTS[i]!.x, 9);
      expect(p.y).toBeCloseTo(TWO_POINTS[i]!.y, 9);
    });
  });

  it('writes the centre and size in the same order', () => {
    const written = serialiseYoloLabel([{ box: BOX, points: TWO_POINTS }], size, 3);
    expect(written.trim().split(' ').map(Number)).toEqual(line.trim().split(' ').map(Number));
  });
});

describe("the studio's JSON", () => {
  it('reads a hand-written box by its names', () => {
    const text = JSON.stringify({
      format: 'face-studio-labels',
      version: 1,
      landmarkSchema: null,
      attributeSchema: null,
      images: [
        {
          file: 'a.jpg',
          faces: [{ box: { height: 78, width: 56, y: 34, x: 12 }, points: TWO_POINTS }],
        },
      ],
    });
    expect(parseStudioJson(text, 'hand.json').set[0]!.faces[0]!.box).toEqual(BOX);
  });
});
