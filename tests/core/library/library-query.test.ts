/**
 * Counting and filtering faces by who placed their points: a face with points a model or template
 * placed that no person confirmed needs review and is not labelled, in the header's summary, the
 * library's stats and its filters alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryLibrary } from '../../../src-main/core/library/library-query';
import { libraryStats } from '../../../src-main/core/library/library-service';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { FaceAnnotation, Landmark } from '../../../src-main/shared/domain';
import { imageId, imageRecord } from '../../support/project-data';

const HUMAN = { source: 'human', confirmed: true } as const;

function face(n: number, points: Landmark[], extra: Partial<FaceAnnotation> = {}) {
  return {
    imageId: imageId(n),
    points,
    attributes: {},
    expression: null,
    note: '',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

function fivePoints(make: (i: number) => Omit<Landmark, 'x' | 'y' | 'v'>): Landmark[] {
  return Array.from({ length: 5 }, (_, i) => ({ x: 10 + i, y: 20, v: 2 as const, ...make(i) }));
}

let dir: string;
let store: ProjectStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-counts-'));
  store = await ProjectStore.create(
    path.join(dir, 'p'),
    { name: 'Counts', landmarkSchema: 'five', attributeSchema: null },
    { labelDebounceMs: 0 },
  );
  await store.putImages([0, 1, 2, 3, 4, 5].map(imageRecord));
  // 0: a person's face. 1: a template dropped, untouched. 2: pre-labelled by a model.
  // 3: pre-labelled, every point confirmed by a person. 4: an expression only. 5: nothing.
  await store.saveFace(
    face(
      0,
      fivePoints(() => HUMAN),
    ),
  );
  await store.saveFace(
    face(
      1,
      fivePoints(() => ({ source: 'template', confirmed: false })),
    ),
  );
  await store.saveFace(
    face(
      2,
      fivePoints((i) => ({ source: 'model', confirmed: false, uncertainty: i / 100 })),
    ),
  );
  await store.saveFace(
    face(
      3,
      fivePoints(() => ({ source: 'model', confirmed: true })),
    ),
  );
  await store.saveFace(
    face(
      4,
      fivePoints(() => HUMAN).map((p) => ({ ...p, v: 0 as const })),
      { expression: 'happy' },
    ),
  );
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('labelled vs needs review', () => {
  it('counts only confirmed faces as labelled in the summary and the library stats', () => {
    expect(store.summary()).toMatchObject({
      imageCount: 6,
      labelledCount: 3,
      needsReviewCount: 2,
    });
    expect(libraryStats(store)).toMatchObject({ labelled: 3, needsReview: 2 });
  });

  it('filters and marks grid items by state', () => {
    const faceOf = (id: string) => store.getFace(id);
    const ids = (filter: Parameters<typeof queryLibrary>[2]) =>
      queryLibrary(store.listImages(), faceOf, filter, 0, 100).items.map((item) =>
        [0, 1, 2, 3, 4, 5].find((n) => imageId(n) === item.id),
      );
    expect(ids({ labelled: true })).toEqual([0, 3, 4]);
    expect(ids({ needsReview: true })).toEqual([1, 2]);
    expect(ids({ labelled: false, needsReview: false })).toEqual([5]);
    const items = queryLibrary(store.listImages(), faceOf, {}, 0, 100).items;
    expect(items.map((item) => [item.labelled, item.needsReview])).toEqual([
      [true, false],
      [false, true],
      [false, true],
      [true, false],
      [true, false],
      [false, false],
    ]);
  });

  it('a face leaves review once a person confirms its last point', async () => {
    const prelabelled = store.getFace(imageId(2))!;
    await store.saveFace({
      ...prelabelled,
      points: prelabelled.points.map((p) => ({ ...p, confirmed: true })),
    });
    expect(store.summary()).toMatchObject({ labelledCount: 4, needsReviewCount: 1 });
  });
});
