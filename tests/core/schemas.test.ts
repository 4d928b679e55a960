import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MTFL_BINARY_ATTRIBUTES, MTFL_POSES, parseMtfl } from '../../src-main/core/formats/mtfl';
import { parsePtsFile } from '../../src-main/core/formats/pts';
import { InputProblemsError } from '../../src-main/core/problems';
import { parseAttributeSchema } from '../../src-main/core/schemas/attribute-schema';
import {
  BUILTIN_ATTRIBUTE_SCHEMAS,
  BUILTIN_LANDMARK_SCHEMAS,
  builtinAttributeSchema,
  builtinLandmarkSchema,
} from '../../src-main/core/schemas/builtin';
import {
  flipIndex,
  loadLandmarkSchemaFile,
  mirrorLandmarks,
  parseLandmarkSchema,
} from '../../src-main/core/schemas/landmark-schema';
import type { Point2 } from '../../src-main/core/schemas/mean-shape';
import { meanShape } from '../../src-main/core/schemas/mean-shape';
import type { LandmarkSchema } from '../../src-main/shared/schemas';
import { tempFolder } from '../support/temp-folder';
import { DATA } from './formats/data-paths';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('built-in landmark schemas', () => {
  it.each([
    ['ibug68', 68, [36, 45]],
    ['wflw98', 98, [60, 72]],
    ['five', 5, [0, 1]],
  ] as const)(
    '%s has %i named points, groups covering each once, and its NME points',
    (id, n, norm) => {
      const schema = builtinLandmarkSchema(id);
      expect(schema.points).toHaveLength(n);
      expect(new Set(schema.points).size).toBe(n);
      expect(schema.template).toHaveLength(n);
      expect(schema.normaliser).toEqual(norm);
      expect(schema.groups.flatMap((g) => g.points).sort((a, b) => a - b)).toEqual(range(n));
      expect(schema.template.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
    },
  );

  it('lists every built-in', () => {
    expect(BUILTIN_LANDMARK_SCHEMAS).toEqual(['ibug68', 'wflw98', 'five']);
    expect(() => builtinLandmarkSchema('nope')).toThrow(/No built-in landmark schema "nope"/);
  });

  it.each(['ibug68', 'wflw98', 'five'])('%s: the mirror is an involution', (id) => {
    const flip = flipIndex(builtinLandmarkSchema(id));
    expect(flip.map((j) => flip[j])).toEqual(range(flip.length));
  });

  /**
   * The mean shapes are near-symmetric frontal faces, so flipping the template (x → 1 - x) and
   * reordering by the mirror list must land each point close to its partner; a wrong pair is off
   * by a large part of the face.
   */
  it.each(['ibug68', 'wflw98', 'five'])(
    '%s: mirror pairs swap left and right by geometry',
    (id) => {
      const schema = builtinLandmarkSchema(id);
      const flip = flipIndex(schema);
      const t = schema.template;
      const worst = Math.max(
        ...flip.map((j, i) => Math.hypot(1 - t[j]![0] - t[i]![0], t[j]![1] - t[i]![1])),
      );
      // 0.028 of the face box: the built-ins measure ≤ 0.027, while swapping the partners of any
      // two WFLW pairs (e.g. two neighbouring eyelid points) measures ≥ 0.032.
      expect(worst).toBeLessThan(0.028);
      for (const [a, b] of schema.mirror) {
        // The pair lies on opposite sides of the vertical midline.
        expect(Math.sign(t[a]![0] - 0.5)).toBe(-Math.sign(t[b]![0] - 0.5));
      }
      flip.forEach((j, i) => {
        if (j === i) expect(Math.abs(t[i]![0] - 0.5)).toBeLessThan(0.05);
      });
    },
  );

  it('ibug68 template is the mean of the 870 HELEN training shapes (within 1e-3)', async () => {
    const dir = join(DATA, '300w-helen', 'train');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.pts'));
    const shapes = await Promise.all(
      files.map(async (f) =>
        parsePtsFile(await readFile(join(dir, f), 'utf8'), f).map((p): Point2 => [p.x, p.y]),
      ),
    );
    expect(shapes).toHaveLength(870);
    const mean = meanShape(shapes);
    const template = builtinLandmarkSchema('ibug68').template;
    expect(
      Math.max(...mean.flatMap((p, i) => p.map((v, k) => Math.abs(v - template[i]![k]!)))),
    ).toBeLessThan(1e-3);
  });

  it('five template is the mean of the 10,000 MTFL training shapes (within 1e-3)', async () => {
    const set = parseMtfl(
      await readFile(join(DATA, 'mtfl', 'training.txt'), 'utf8'),
      'training.txt',
    );
    const shapes = set.flatMap((i) => i.faces.map((f) => f.points.map((p): Point2 => [p.x, p.y])));
    expect(shapes).toHaveLength(10_000);
    const mean = meanShape(shapes);
    const template = builtinLandmarkSchema('five').template;
    expect(
      Math.max(...mean.flatMap((p, i) => p.map((v, k) => Math.abs(v - template[i]![k]!)))),
    ).toBeLessThan(1e-3);
  });

  it('mirroring a real face twice gives it back, and puts the left eye on the left', async () => {
    const schema = builtinLandmarkSchema('ibug68');
    const text = await readFile(join(DATA, 'fixtures', 'breakingbad.pts'), 'utf8');
    const points = parsePtsFile(text, 'breakingbad.pts');
    const width = 2000;
    const once = mirrorLandmarks(points, schema, width);
    expect(mirrorLandmarks(once, schema, width)).toEqual(points);
    expect(once[36]!.x).toBeLessThan(once[45]!.x);
    expect(points[36]!.x).toBeLessThan(points[45]!.x);
  });
});

function customSchema(changes: Partial<LandmarkSchema>): unknown {
  return {
    id: 'custom4',
    name: 'Four points',
    points: ['a', 'b', 'c', 'd'],
    groups: [{ name: 'all', colour: '#123456', points: [0, 1, 2, 3] }],
    edges: [
      [0, 1],
      [2, 3],
    ],
    mirror: [[0, 1]],
    normaliser: [0, 1],
    template: [
      [0, 0],
      [1, 0],
      [0.5, 0.5],
      [0.5, 1],
    ],
    ...changes,
  };
}

function problemsOf(raw: unknown): string[] {
  try {
    parseLandmarkSchema(raw, 'custom.json');
  } catch (error) {
    expect(error).toBeInstanceOf(InputProblemsError);
    return (error as InputProblemsError).problems.map((p) => p.message);
  }
  return [];
}

describe('custom landmark schemas', () => {
  it('accepts a valid one', () => {
    expect(parseLandmarkSchema(customSchema({}), 'custom.json').points).toHaveLength(4);
  });

  it.each([
    [
      'duplicate names',
      { points: ['a', 'b', 'a', 'd'] },
      /points\[2\]: duplicate name "a" \(also points\[0\]\)/,
    ],
    [
      'mirror pair out of range',
      { mirror: [[0, 4]] },
      /mirror\[0\]: point 4 is out of range 0\.\.3/,
    ],
    [
      'non-involutive mirror',
      {
        mirror: [
          [0, 1],
          [1, 2],
        ],
      },
      /mirror\[1\]: not an involution — point 1 is paired with 0 and with 2/,
    ],
    ['edge out of range', { edges: [[0, 9]] }, /edges\[0\]: point 9 is out of range/],
    ['template of the wrong length', { template: [[0, 0]] }, /template has 1 points, not 4/],
    ['normaliser out of range', { normaliser: [0, 7] }, /normaliser\[1\]: point 7 is out of range/],
    [
      'bad colour',
      { groups: [{ name: 'g', colour: 'red', points: [0] }] },
      /groups\[0\]\.colour: expected a colour/,
    ],
  ] as [string, Partial<LandmarkSchema>, RegExp][])(
    'names the problem: %s',
    (_, changes, pattern) => {
      expect(problemsOf(customSchema(changes)).join('\n')).toMatch(pattern);
    },
  );

  it('lists every problem at once', () => {
    const problems = problemsOf(
      customSchema({ points: ['a', 'a', 'b', 'c'], mirror: [[0, 5]], edges: [[1, 8]] }),
    );
    expect(problems).toHaveLength(3);
  });

  it('loads a schema file with a byte-order mark and names the file in errors', async () => {
    const dir = await tempFolder('schema-');
    const good = join(dir, 'good.json');
    await writeFile(good, '\uFEFF' + JSON.stringify(customSchema({})));
    expect((await loadLandmarkSchemaFile(good)).id).toBe('custom4');
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify(
        customSchema({
          mirror: [
            [0, 1],
            [0, 2],
          ],
        }),
      ),
    );
    await expect(loadLandmarkSchemaFile(bad)).rejects.toThrow(
      /bad\.json: mirror\[1\]: not an involution/,
    );
  });
});

describe('attribute sets', () => {
  it('ships MTFL, CelebA 40 and four expression sets', () => {
    expect(BUILTIN_ATTRIBUTE_SCHEMAS).toEqual([
      'mtfl',
      'celeba40',
      'ckplus7',
      'fer7',
      'rafdb7',
      'affectnet8',
    ]);
    const celeba = builtinAttributeSchema('celeba40').attributes.map((a) => a.name);
    expect(celeba).toHaveLength(40);
    expect([celeba[0], celeba[20], celeba[31], celeba[39]]).toEqual([
      '5_o_Clock_Shadow',
      'Male',
      'Smiling',
      'Young',
    ]);
    expect(builtinAttributeSchema('ckplus7').expressions).toEqual([
      'anger',
      'contempt',
      'disgust',
      'fear',
      'happy',
      'sadness',
      'surprise',
    ]);
    expect(builtinAttributeSchema('fer7').expressions).toHaveLength(7);
    expect(builtinAttributeSchema('rafdb7').expressions).toHaveLength(7);
    expect(builtinAttributeSchema('affectnet8').expressions).toHaveLength(8);
  });

  it('MTFL set matches what the MTFL importer writes', () => {
    const mtfl = builtinAttributeSchema('mtfl');
    const binary = mtfl.attributes.filter((a) => a.kind === 'binary').map((a) => a.name);
    expect(binary).toEqual([...MTFL_BINARY_ATTRIBUTES]);
    const pose = mtfl.attributes.find((a) => a.name === 'pose');
    expect(pose?.kind === 'class' ? pose.classes : null).toEqual([...MTFL_POSES]);
  });

  it('names duplicates in a custom set', () => {
    const raw = {
      id: 'x',
      name: 'X',
      attributes: [
        { kind: 'binary', name: 'A' },
        { kind: 'binary', name: 'A' },
      ],
      expressions: ['joy', 'joy'],
    };
    expect(() => parseAttributeSchema(raw, 'x.json')).toThrow(
      /x\.json: attributes: duplicate name "A"\n.*x\.json: expressions: duplicate class "joy"/,
    );
  });
});
