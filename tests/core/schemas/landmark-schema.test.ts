import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  flipIndex,
  issuePath,
  loadLandmarkSchemaFile,
  mirrorLandmarks,
  normaliserDistance,
  parseLandmarkSchema,
  parseLandmarkSchemaText,
} from '../../../src-main/core/schemas/landmark-schema';
import { LandmarkSchema } from '../../../src-main/shared/schemas';

/** Five points, two mirror pairs (0↔1, 3↔4), point 2 on the axis. */
function schemaWith(changes: Partial<LandmarkSchema> = {}): LandmarkSchema {
  return {
    id: 'five-test',
    name: 'Five',
    points: ['le', 're', 'nose', 'lm', 'rm'],
    groups: [
      { name: 'eyes', colour: '#112233', points: [0, 1] },
      { name: 'rest', colour: '#445566', points: [2, 3, 4] },
    ],
    edges: [
      [0, 1],
      [3, 4],
    ],
    mirror: [
      [0, 1],
      [4, 3],
    ],
    normaliser: [0, 1],
    template: [
      [0, 0],
      [1, 0],
      [0.5, 0.5],
      [0.2, 1],
      [0.8, 1],
    ],
    ...changes,
  };
}

/** The message parseLandmarkSchema throws for `raw`, or a failure when it accepts it. */
function messageOf(raw: unknown): string {
  try {
    parseLandmarkSchema(raw, 'custom.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the schema to be refused');
}

describe('landmark schema checks', () => {
  it('accepts a valid schema as it is, a pair written twice or either way round included', () => {
    const schema = schemaWith({
      mirror: [
        [0, 1],
        [1, 0],
        [4, 3],
      ],
    });
    expect(parseLandmarkSchema(schema, 'custom.json')).toEqual(schema);
  });

  it('names each repeat of a point name with the first place it has', () => {
    expect(messageOf(schemaWith({ points: ['a', 'b', 'a', 'c', 'a'] }))).toBe(
      'Invalid landmark schema custom.json: 2 problems\n' +
        'custom.json: points[2]: duplicate name "a" (also points[0])\n' +
        'custom.json: points[4]: duplicate name "a" (also points[0])',
    );
  });

  it('takes the last point index and refuses one past it, naming the range', () => {
    expect(parseLandmarkSchema(schemaWith({ edges: [[0, 4]] }), 'custom.json').edges).toEqual([
      [0, 4],
    ]);
    expect(
      messageOf(
        schemaWith({
          edges: [
            [0, 1],
            [5, 2],
          ],
        }),
      ),
    ).toBe(
      'Invalid landmark schema custom.json: 1 problem\n' +
        'custom.json: edges[1]: point 5 is out of range 0..4',
    );
  });

  it('names a group point out of range by its group', () => {
    const groups = [
      { name: 'eyes', colour: '#112233', points: [0, 1] },
      { name: 'far', colour: '#445566', points: [9] },
    ];
    expect(messageOf(schemaWith({ groups }))).toBe(
      'Invalid landmark schema custom.json: 1 problem\n' +
        'custom.json: groups[1].points[0]: point 9 is out of range 0..4',
    );
  });

  it('names a point out of range in a group or the normaliser by its own place there', () => {
    const groups = [
      { name: 'eyes', colour: '#112233', points: [0, 1] },
      { name: 'far', colour: '#445566', points: [2, 3, 7] },
    ];
    expect(messageOf(schemaWith({ groups, normaliser: [0, 6] }))).toBe(
      'Invalid landmark schema custom.json: 2 problems\n' +
        'custom.json: normaliser[1]: point 6 is out of range 0..4\n' +
        'custom.json: groups[1].points[2]: point 7 is out of range 0..4',
    );
  });

  it('refuses a normaliser of one point and an edge from a point to itself', () => {
    expect(
      messageOf(
        schemaWith({
          normaliser: [2, 2],
          edges: [
            [0, 1],
            [3, 3],
          ],
        }),
      ),
    ).toBe(
      'Invalid landmark schema custom.json: 2 problems\n' +
        'custom.json: normaliser: the two points must differ\n' +
        'custom.json: edges[1]: joins point 3 to itself',
    );
  });

  it('names both ends of a mirror that is not an involution, and a short template', () => {
    expect(
      messageOf(
        schemaWith({
          mirror: [
            [0, 1],
            [3, 0],
          ],
          template: [[0, 0]],
        }),
      ),
    ).toBe(
      'Invalid landmark schema custom.json: 2 problems\n' +
        'custom.json: mirror[1]: not an involution — point 0 is paired with 1 and with 3\n' +
        'custom.json: template has 1 points, not 5',
    );
  });

  it('names where a shape problem is, or gives the message alone for the whole document', () => {
    const issue = LandmarkSchema.safeParse(5).error!.issues[0]!;
    expect(issue.path).toEqual([]);
    expect(messageOf(5)).toBe(
      `Invalid landmark schema custom.json: 1 problem\ncustom.json: ${issue.message}`,
    );
    const named = LandmarkSchema.safeParse(schemaWith({ points: ['le', ''] })).error!.issues[0]!;
    expect(messageOf(schemaWith({ points: ['le', ''] }))).toBe(
      `Invalid landmark schema custom.json: 1 problem\ncustom.json: points[1]: ${named.message}`,
    );
  });

  it('writes a zod path with dots between names and brackets round indices', () => {
    expect(issuePath([])).toBe('');
    expect(issuePath(['groups', 2, 'points', 0])).toBe('groups[2].points[0]');
    expect(issuePath([3, 'name'])).toBe('[3].name');
  });

  it('reads a schema from text with a byte-order mark, and names a file that is not JSON', () => {
    const schema = schemaWith();
    expect(parseLandmarkSchemaText('\uFEFF' + JSON.stringify(schema), 's.json')).toEqual(schema);
    // Only a leading mark is dropped: one inside a name is the name's.
    const marked = schemaWith({ name: 'Fi\uFEFFve' });
    expect(parseLandmarkSchemaText(JSON.stringify(marked), 's.json').name).toBe('Fi\uFEFFve');
    expect(() => parseLandmarkSchemaText('{"id": ', 's.json')).toThrow(/^s\.json: not JSON: /);
    expect(() => parseLandmarkSchemaText('{"id": ', 's.json')).toThrow(
      expect.objectContaining({ code: 'invalid-payload' }),
    );
  });

  it('names a schema file it cannot read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'landmark-schema-'));
    try {
      const file = join(dir, 'missing.json');
      await expect(loadLandmarkSchemaFile(file)).rejects.toThrow(
        expect.objectContaining({
          code: 'io',
          message: `Cannot read ${file}: ENOENT: no such file or directory, open '${file}'`,
          cause: expect.objectContaining({ code: 'ENOENT', path: file }) as unknown,
        }),
      );
      await writeFile(join(dir, 'ok.json'), JSON.stringify(schemaWith()));
      expect(await loadLandmarkSchemaFile(join(dir, 'ok.json'))).toEqual(schemaWith());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('landmark schema tables', () => {
  it('flips each mirror pair both ways and keeps other points', () => {
    expect(flipIndex(schemaWith())).toEqual([1, 0, 2, 4, 3]);
  });

  it('mirrors x about the image centre (x → width - 1 - x) and swaps the pairs', () => {
    const points = [
      { x: 10, y: 1, v: 2 as const },
      { x: 80, y: 2, v: 1 as const },
      { x: 50, y: 3, v: 2 as const },
      { x: 20, y: 4, v: 0 as const },
      { x: 70, y: 5, v: 2 as const },
    ];
    expect(mirrorLandmarks(points, schemaWith(), 100)).toEqual([
      { x: 19, y: 2, v: 1 },
      { x: 89, y: 1, v: 2 },
      { x: 49, y: 3, v: 2 },
      { x: 29, y: 5, v: 2 },
      { x: 79, y: 4, v: 0 },
    ]);
  });

  it('measures the distance between the normaliser points', () => {
    const points = [
      { x: 0, y: 0, v: 2 as const },
      { x: 7, y: 9, v: 2 as const },
      { x: 3, y: 5, v: 2 as const },
    ];
    // From (3, 5) to (7, 9) is 4 across and 4 down; from (0, 0) it would be 7 and 9.
    expect(normaliserDistance(points, schemaWith({ normaliser: [2, 1] }))).toBeCloseTo(
      Math.SQRT2 * 4,
      12,
    );
    expect(normaliserDistance(points, schemaWith({ normaliser: [0, 1] }))).toBeCloseTo(
      Math.hypot(7, 9),
      12,
    );
  });
});
