/**
 * The labeller's schemas, from the project's meta; and its template: the schema's own mean shape
 * until enough faces are labelled in full, then the mean of those faces (box-normalised like the
 * schema's).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  labellingSchemas,
  labellingTemplate,
  MIN_FACES_FOR_MEAN,
} from '../../../src-main/core/labelling/labelling-schemas';
import { ProjectStore } from '../../../src-main/core/project-store';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { humanPoint } from '../../../src-main/shared/point-provenance';

const five = builtinLandmarkSchema('five');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'labelling-schemas-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function idOf(i: number): string {
  return createHash('sha256').update(`image ${i}`).digest('hex');
}

async function projectWith(faces: number): Promise<ProjectStore> {
  const store = await ProjectStore.create(
    dir,
    { name: 'T', landmarkSchema: 'five', attributeSchema: 'mtfl' },
    { labelDebounceMs: 0 },
  );
  const count = MIN_FACES_FOR_MEAN + 1;
  await store.putImages(
    Array.from({ length: count }, (_, i) => ({
      id: idOf(i),
      path: `${i}.jpg`,
      width: 100,
      height: 100,
      split: 'pool' as const,
    })),
  );
  for (let i = 0; i < faces; i += 1) {
    // The same square face everywhere, at different places and sizes: its mean is itself.
    const s = 20 + i * 5;
    const shape = [
      [0, 0],
      [1, 0],
      [0.5, 0.5],
      [0, 1],
      [1, 1],
    ];
    await store.saveFace({
      imageId: idOf(i),
      points: shape.map(([x, y]) => humanPoint(10 + i + x! * s, 5 + y! * s, 2)),
      updatedAt: new Date().toISOString(),
    });
  }
  return store;
}

describe('labellingSchemas', () => {
  it("names the project's landmark schema and attribute set", async () => {
    const store = await projectWith(MIN_FACES_FOR_MEAN);
    const schemas = labellingSchemas(store);
    await store.close();
    expect(schemas.landmarks).toEqual(five);
    expect(schemas.attributes?.id).toBe('mtfl');
  });
});

describe('labellingTemplate', () => {
  it("gives the schema's template while fewer faces than the minimum are labelled", async () => {
    const store = await projectWith(MIN_FACES_FOR_MEAN - 1);
    const schemas = await labellingTemplate(store);
    await store.close();
    expect(schemas.templateSource).toBe('schema');
    expect(schemas.template).toEqual(five.template);
  });

  it('gives the mean of the labelled faces once there are enough', async () => {
    const store = await projectWith(MIN_FACES_FOR_MEAN);
    const schemas = await labellingTemplate(store);
    await store.close();
    expect(schemas.templateSource).toBe('labelled');
    const expected = [
      [0, 0],
      [1, 0],
      [0.5, 0.5],
      [0, 1],
      [1, 1],
    ];
    schemas.template.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(expected[i]![0]!, 9);
      expect(y).toBeCloseTo(expected[i]![1]!, 9);
    });
  });

  it('answers again from memory until a face or an image record changes', async () => {
    const store = await projectWith(MIN_FACES_FOR_MEAN - 1);
    const first = await labellingTemplate(store);
    expect(await labellingTemplate(store)).toBe(first);

    // The last face needed for the mean: the next answer is the labelled faces' mean.
    const before = store.editCount;
    await store.saveFace({
      imageId: idOf(MIN_FACES_FOR_MEAN - 1),
      points: five.template.map(([x, y]) => humanPoint(30 + x * 40, 30 + y * 40, 2)),
      updatedAt: new Date().toISOString(),
    });
    expect(store.editCount).toBeGreaterThan(before);
    const labelled = await labellingTemplate(store);
    expect(first.templateSource).toBe('schema');
    expect(labelled.templateSource).toBe('labelled');

    // Removing a labelled image takes its face out of the mean: back to the schema's template.
    await store.removeImages([idOf(0)]);
    const afterRemove = await labellingTemplate(store);
    await store.close();
    expect(afterRemove.templateSource).toBe('schema');
    expect(afterRemove.template).toEqual(five.template);
  });
});
