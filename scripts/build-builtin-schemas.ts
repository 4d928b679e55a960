/**
 * Writes the built-in schema files in resources/schemas from the definitions below and the mean
 * shapes of the research data (tests and this script only; the data is never shipped, only the
 * averaged numbers). Run once after changing a definition:
 *   npx tsx scripts/build-builtin-schemas.ts ../shared/data
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributeSchema, LandmarkSchema } from '../src-main/shared/schemas';
import { parseMtfl } from '../src-main/core/formats/mtfl';
import { parsePtsFile } from '../src-main/core/formats/pts';
import { CELEBA_40 } from '../src-main/core/schemas/attribute-names';
import type { Point2 } from '../src-main/core/schemas/mean-shape';
import { meanShape, normaliseToBox } from '../src-main/core/schemas/mean-shape';

const COLOURS = {
  jaw: '#4e79a7',
  eyebrows: '#f28e2b',
  nose: '#59a14f',
  eyes: '#e15759',
  mouth: '#b07aa1',
};

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const names = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
const polyline = (points: number[], closed = false): [number, number][] => {
  const edges = points.slice(1).map((p, i): [number, number] => [points[i]!, p]);
  if (closed) edges.push([points[points.length - 1]!, points[0]!]);
  return edges;
};
const round4 = (shape: Point2[]): [number, number][] =>
  shape.map((p) => [Number(p[0].toFixed(4)), Number(p[1].toFixed(4))]);
const mid = (a: Point2, b: Point2): Point2 => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
const centroid = (ps: Point2[]): Point2 => [
  ps.reduce((s, p) => s + p[0], 0) / ps.length,
  ps.reduce((s, p) => s + p[1], 0) / ps.length,
];

function ibug68(template: Point2[]): LandmarkSchema {
  const points = [
    ...Array.from({ length: 17 }, (_, i) => `jaw_${String(i).padStart(2, '0')}`),
    ...names('left_brow', 5), // outer to inner
    ...names('right_brow', 5), // inner to outer
    ...names('nose_bridge', 4), // top to tip
    ...names('nose_base', 5), // left to right
    ...['outer', 'top_outer', 'top_inner', 'inner', 'bottom_inner', 'bottom_outer'].map(
      (s) => `left_eye_${s}`,
    ),
    ...['inner', 'top_inner', 'top_outer', 'outer', 'bottom_outer', 'bottom_inner'].map(
      (s) => `right_eye_${s}`,
    ),
    'mouth_outer_left',
    ...names('upper_lip_outer', 5),
    'mouth_outer_right',
    ...names('lower_lip_outer', 5), // right to left
    'mouth_inner_left',
    ...names('upper_lip_inner', 3),
    'mouth_inner_right',
    ...names('lower_lip_inner', 3), // right to left
  ];
  const mirror: [number, number][] = [
    ...range(0, 7).map((i): [number, number] => [i, 16 - i]),
    ...range(17, 21).map((i): [number, number] => [i, 43 - i]),
    [31, 35],
    [32, 34],
    [36, 45],
    [37, 44],
    [38, 43],
    [39, 42],
    [40, 47],
    [41, 46],
    [48, 54],
    [49, 53],
    [50, 52],
    [55, 59],
    [56, 58],
    [60, 64],
    [61, 63],
    [65, 67],
  ];
  return {
    id: 'ibug68',
    name: '68 points (iBUG 300-W)',
    description:
      'The 300-W 68-point markup: jaw 0-16, eyebrows 17-26, nose 27-35, eyes 36-47, mouth 48-67 ' +
      '(0-based). Left and right as seen in the image. NME normalised by the outer eye corners.',
    points,
    groups: [
      { name: 'jaw', colour: COLOURS.jaw, points: range(0, 16) },
      { name: 'eyebrows', colour: COLOURS.eyebrows, points: range(17, 26) },
      { name: 'nose', colour: COLOURS.nose, points: range(27, 35) },
      { name: 'eyes', colour: COLOURS.eyes, points: range(36, 47) },
      { name: 'mouth', colour: COLOURS.mouth, points: range(48, 67) },
    ],
    edges: [
      ...polyline(range(0, 16)),
      ...polyline(range(17, 21)),
      ...polyline(range(22, 26)),
      ...polyline(range(27, 30)),
      ...polyline(range(31, 35)),
      ...polyline(range(36, 41), true),
      ...polyline(range(42, 47), true),
      ...polyline(range(48, 59), true),
      ...polyline(range(60, 67), true),
    ],
    mirror,
    normaliser: [36, 45],
    template: round4(template),
    templateSource: 'mean of the 870 HELEN training shapes of 300-W, each scaled to its box',
  };
}

/**
 * WFLW's 98 points, with the template laid out from the 68-point mean (no WFLW data here): the
 * shared points are copied, the extra contour, eye and eyebrow points interpolated, the pupils put
 * at the eye centres.
 */
function wflw98(m: Point2[]): LandmarkSchema {
  const p = (i: number): Point2 => m[i]!;
  const down = (q: Point2): Point2 => [q[0], q[1] + 0.03]; // eyebrow thickness, of face height
  const contour = range(0, 32).map((i) =>
    i % 2 === 0 ? p(i / 2) : mid(p((i - 1) / 2), p((i + 1) / 2)),
  );
  const template: Point2[] = [
    ...contour,
    ...range(17, 21).map(p),
    ...[
      [21, 20],
      [20, 19],
      [19, 18],
      [18, 17],
    ].map(([a, b]) => down(mid(p(a!), p(b!)))),
    ...range(22, 26).map(p),
    ...[
      [26, 25],
      [25, 24],
      [24, 23],
      [23, 22],
    ].map(([a, b]) => down(mid(p(a!), p(b!)))),
    ...range(27, 35).map(p),
    ...[p(36), p(37), mid(p(37), p(38)), p(38), p(39), p(40), mid(p(40), p(41)), p(41)],
    ...[p(42), p(43), mid(p(43), p(44)), p(44), p(45), p(46), mid(p(46), p(47)), p(47)],
    ...range(48, 67).map(p),
    centroid(range(36, 41).map(p)),
    centroid(range(42, 47).map(p)),
  ];
  const points = [
    ...Array.from({ length: 33 }, (_, i) => `contour_${String(i).padStart(2, '0')}`),
    ...names('left_brow_top', 5), // outer to inner
    ...names('left_brow_bottom', 4), // inner to outer
    ...names('right_brow_top', 5), // inner to outer
    ...names('right_brow_bottom', 4), // outer to inner
    ...names('nose_bridge', 4),
    ...names('nose_base', 5),
    'left_eye_outer',
    ...names('left_eye_top', 3),
    'left_eye_inner',
    ...names('left_eye_bottom', 3), // inner to outer
    'right_eye_inner',
    ...names('right_eye_top', 3),
    'right_eye_outer',
    ...names('right_eye_bottom', 3), // outer to inner
    'mouth_outer_left',
    ...names('upper_lip_outer', 5),
    'mouth_outer_right',
    ...names('lower_lip_outer', 5),
    'mouth_inner_left',
    ...names('upper_lip_inner', 3),
    'mouth_inner_right',
    ...names('lower_lip_inner', 3),
    'left_pupil',
    'right_pupil',
  ];
  // The flip list used by WFLW training code (HRNet's MATCHED_PARTS), checked by geometry in tests.
  const mirror: [number, number][] = [
    ...range(0, 15).map((i): [number, number] => [i, 32 - i]),
    ...range(33, 37).map((i): [number, number] => [i, 79 - i]),
    ...range(38, 41).map((i): [number, number] => [i, 88 - i]),
    ...range(60, 64).map((i): [number, number] => [i, 132 - i]),
    ...range(65, 67).map((i): [number, number] => [i, 140 - i]),
    [55, 59],
    [56, 58],
    [76, 82],
    [77, 81],
    [78, 80],
    [83, 87],
    [84, 86],
    [88, 92],
    [89, 91],
    [93, 95],
    [96, 97],
  ];
  return {
    id: 'wflw98',
    name: '98 points (WFLW)',
    description:
      'The WFLW 98-point markup: contour 0-32, eyebrows 33-50, nose 51-59, eyes 60-75, mouth ' +
      '76-95, pupils 96-97 (0-based). Left and right as seen in the image. NME normalised by the ' +
      'outer eye corners 60 and 72.',
    points,
    groups: [
      { name: 'jaw', colour: COLOURS.jaw, points: range(0, 32) },
      { name: 'eyebrows', colour: COLOURS.eyebrows, points: range(33, 50) },
      { name: 'nose', colour: COLOURS.nose, points: range(51, 59) },
      { name: 'eyes', colour: COLOURS.eyes, points: [...range(60, 75), 96, 97] },
      { name: 'mouth', colour: COLOURS.mouth, points: range(76, 95) },
    ],
    edges: [
      ...polyline(range(0, 32)),
      ...polyline(range(33, 41), true),
      ...polyline(range(42, 50), true),
      ...polyline(range(51, 54)),
      ...polyline(range(55, 59)),
      ...polyline(range(60, 67), true),
      ...polyline(range(68, 75), true),
      ...polyline(range(76, 87), true),
      ...polyline(range(88, 95), true),
    ],
    mirror,
    normaliser: [60, 72],
    template: round4(normaliseToBox(template)),
    templateSource:
      'laid out from the ibug68 mean shape (shared points copied, others interpolated)',
  };
}

function five(template: Point2[]): LandmarkSchema {
  return {
    id: 'five',
    name: '5 points',
    description:
      'Eye centres, nose tip and mouth corners, as in MTFL. Left and right as seen in the image. ' +
      'NME normalised by the distance between the eye centres.',
    points: ['left_eye', 'right_eye', 'nose_tip', 'mouth_left', 'mouth_right'],
    groups: [
      { name: 'eyes', colour: COLOURS.eyes, points: [0, 1] },
      { name: 'nose', colour: COLOURS.nose, points: [2] },
      { name: 'mouth', colour: COLOURS.mouth, points: [3, 4] },
    ],
    edges: [[3, 4]],
    mirror: [
      [0, 1],
      [3, 4],
    ],
    normaliser: [0, 1],
    template: round4(template),
    templateSource: 'mean of the 10,000 MTFL training shapes, each scaled to its box',
  };
}

const expressions = (id: string, name: string, description: string, list: string[]) =>
  ({ id, name, description, attributes: [], expressions: list }) satisfies AttributeSchema;

const ATTRIBUTE_SETS: AttributeSchema[] = [
  {
    id: 'mtfl',
    name: 'MTFL attributes',
    description:
      'Gender, smile, glasses (yes/no, under the CelebA names) and head pose in five classes.',
    attributes: [
      { kind: 'binary', name: 'Male' },
      { kind: 'binary', name: 'Smiling' },
      { kind: 'binary', name: 'Eyeglasses' },
      {
        kind: 'class',
        name: 'pose',
        classes: ['left profile', 'left', 'frontal', 'right', 'right profile'],
      },
    ],
    expressions: null,
  },
  {
    id: 'celeba40',
    name: 'CelebA 40 attributes',
    description: 'The 40 binary attributes of CelebA, in the order of list_attr_celeba.txt.',
    attributes: CELEBA_40.map((n) => ({ kind: 'binary' as const, name: n })),
    expressions: null,
  },
  expressions('ckplus7', 'CK+ 7 expressions', 'CK+ emotion labels 1-7 (neutral is 0, unused).', [
    'anger',
    'contempt',
    'disgust',
    'fear',
    'happy',
    'sadness',
    'surprise',
  ]),
  expressions('fer7', 'FER2013 7 expressions', 'FER2013 labels 0-6 in this order.', [
    'anger',
    'disgust',
    'fear',
    'happy',
    'sadness',
    'surprise',
    'neutral',
  ]),
  expressions('rafdb7', 'RAF-DB 7 expressions', 'RAF-DB basic labels 1-7 in this order.', [
    'surprise',
    'fear',
    'disgust',
    'happy',
    'sadness',
    'anger',
    'neutral',
  ]),
  expressions('affectnet8', 'AffectNet 8 expressions', 'AffectNet labels 0-7 in this order.', [
    'neutral',
    'happy',
    'sadness',
    'surprise',
    'fear',
    'disgust',
    'anger',
    'contempt',
  ]),
];

/** Indented JSON with number pairs kept on one line, so a template reads one point a line. */
const toJson = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(/\[\s+(-?[\d.e-]+),\s+(-?[\d.e-]+)\s+\]/g, '[$1, $2]') +
  '\n';

async function helenShapes(dir: string): Promise<Point2[][]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.pts')).sort();
  return Promise.all(
    files.map(async (f) => {
      const points = parsePtsFile(await readFile(join(dir, f), 'utf8'), f, { pointCount: 68 });
      return points.map((q): Point2 => [q.x, q.y]);
    }),
  );
}

async function main(dataDir: string): Promise<void> {
  const out = new URL('../resources/schemas/', import.meta.url);
  const helen = meanShape(await helenShapes(join(dataDir, '300w-helen/train')));
  const mtfl = parseMtfl(
    await readFile(join(dataDir, 'mtfl/training.txt'), 'utf8'),
    'training.txt',
  );
  const mtflMean = meanShape(
    mtfl.flatMap((i) => i.faces.map((f) => f.points.map((q): Point2 => [q.x, q.y]))),
  );
  const landmarks = [ibug68(helen), wflw98(helen), five(mtflMean)];
  for (const schema of landmarks) {
    await writeFile(new URL(`landmarks.${schema.id}.json`, out), toJson(schema));
  }
  for (const set of ATTRIBUTE_SETS) {
    await writeFile(new URL(`attributes.${set.id}.json`, out), toJson(set));
  }
}

await main(process.argv[2] ?? '../shared/data');
