/// <reference types="node" />
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { LandmarkSchema } from '$shared/schemas';
import {
  UNGROUPED,
  canvasSchemaOf,
  checkCanvasSchema,
  groupIndices,
  groupNames,
  templateOf,
} from '../../../src-renderer/src/features/labelling/model/canvas-schema';
import { CanvasModel } from '../../../src-renderer/src/features/labelling/model/canvas-model';

async function builtin(id: string): Promise<LandmarkSchema> {
  const text = await readFile(`resources/schemas/landmarks.${id}.json`, 'utf8');
  return LandmarkSchema.parse(JSON.parse(text));
}

describe('canvasSchemaOf', () => {
  it('derives groups and mirror pairs from the built-in 68-point schema', async () => {
    const stored = await builtin('ibug68');
    const schema = canvasSchemaOf(stored);
    expect(schema.points).toHaveLength(68);
    expect(groupNames(schema)).toEqual(stored.groups.map((g) => g.name));
    expect(groupIndices(schema, 'jaw')).toEqual(
      stored.groups.find((g) => g.name === 'jaw')?.points,
    );
    expect(schema.mirrorPairs).toEqual(stored.mirror);
  });

  it('puts unlisted points in their own group and the first listing wins', async () => {
    const stored = await builtin('five');
    const schema = canvasSchemaOf({
      ...stored,
      groups: [
        { name: 'eyes', colour: '#fff', points: [0, 1] },
        { name: 'left side', colour: '#000', points: [0, 3] },
      ],
    });
    expect(schema.points.map((p) => p.group)).toEqual([
      'eyes',
      'eyes',
      UNGROUPED,
      'left side',
      UNGROUPED,
    ]);
  });

  it('drops the built-in five-point template into a box as a whole face', async () => {
    const stored = await builtin('five');
    const m = new CanvasModel(canvasSchemaOf(stored));
    m.load({ imageId: 'c'.repeat(64), imageSize: { width: 100, height: 100 } });
    m.dropTemplate(templateOf(stored), { x: 20, y: 30, width: 60, height: 50 });
    const [x, y] = stored.template[2]!;
    expect(m.points[2]).toEqual({
      x: 20 + x * 60,
      y: 30 + y * 50,
      v: 2,
      source: 'template',
      confirmed: false,
    });
    expect(m.nextToPlace).toBeNull();
  });
});

describe('checkCanvasSchema', () => {
  const points = [
    { name: 'a', group: 'g' },
    { name: 'b', group: 'g' },
    { name: 'c', group: 'g' },
  ];

  it('refuses a schema with no points', () => {
    expect(() => checkCanvasSchema({ id: 'none', points: [], mirrorPairs: [] })).toThrow(
      'Landmark schema "none" has no points',
    );
  });

  it('refuses a mirror pair outside the points, naming it', () => {
    for (const pair of [
      [0, 3],
      [-1, 2],
      [0.5, 2],
    ] as const) {
      expect(() => checkCanvasSchema({ id: 's', points, mirrorPairs: [pair] })).toThrow(
        `Landmark schema "s": mirror pair [${pair[0]}, ${pair[1]}] is outside 0..2`,
      );
    }
  });

  it('refuses a point in two mirror pairs, and accepts pairs that share nothing', () => {
    expect(() =>
      checkCanvasSchema({
        id: 's',
        points,
        mirrorPairs: [
          [0, 1],
          [1, 2],
        ],
      }),
    ).toThrow('Landmark schema "s": point 1 is in more than one mirror pair');
    const ok = { id: 's', points, mirrorPairs: [[0, 2] as const] };
    expect(checkCanvasSchema(ok)).toBe(ok);
  });
});
