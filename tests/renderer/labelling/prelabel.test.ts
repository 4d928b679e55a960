import { describe, expect, it } from 'vitest';
import type { FaceAnnotation, Landmark } from '$shared/domain';
import type { LibraryItem } from '$shared/library';
import type { ListImages } from '../../../src-renderer/src/features/labelling/image-navigation';
import {
  DoubtIndex,
  DOUBT_SCAN_PAGE,
  landmarkModels,
  scanDoubts,
  UNCERTAINTY_RED_AT,
  uncertaintyColour,
} from '../../../src-renderer/src/features/labelling/prelabel';
import { modelCard, modelInfo } from '../models/fixtures';

const hex = (n: number) => n.toString(16).padStart(64, '0');

function predicted(uncertainties: (number | null)[]): Landmark[] {
  return uncertainties.map((u, i) =>
    u === null
      ? { x: i, y: i, v: 2, source: 'human', confirmed: true }
      : { x: i, y: i, v: 2, source: 'model', confirmed: false, uncertainty: u },
  );
}

describe('landmarkModels', () => {
  it('keeps landmark models with this schema’s point count, the project’s schema first', () => {
    const five = modelCard({
      schema: {
        id: 'five',
        name: '5',
        points: ['a', 'b', 'c', 'd', 'e'],
        mirror: [],
        normaliser: [0, 1],
      },
    });
    const models = [
      modelInfo({ id: 'expr', task: 'expression', card: { schema: null, classes: ['happy'] } }),
      modelInfo({ id: 'five', card: five }),
      modelInfo({
        id: 'other68',
        createdAt: '2026-11-29T00:00:00Z',
        card: { schema: { ...modelCard().schema!, id: 'custom68' } },
      }),
      modelInfo({ id: 'own68', createdAt: '2026-11-01T00:00:00Z' }),
    ];
    const ids = landmarkModels(models, { id: 'ibug68', pointCount: 68 }).map((m) => m.id);
    expect(ids).toEqual(['own68', 'other68']);
  });
});

describe('uncertaintyColour', () => {
  it('runs from green through yellow to red and stays red past the scale', () => {
    expect(uncertaintyColour(0)).toBe('hsl(120, 90%, 50%)');
    expect(uncertaintyColour(UNCERTAINTY_RED_AT / 2)).toBe('hsl(60, 90%, 50%)');
    expect(uncertaintyColour(UNCERTAINTY_RED_AT)).toBe('hsl(0, 90%, 50%)');
    expect(uncertaintyColour(1)).toBe('hsl(0, 90%, 50%)');
  });

  it('uses few colours, so the painter strokes few paths', () => {
    const colours = new Set(
      Array.from({ length: 1000 }, (_, i) => uncertaintyColour((i / 1000) * UNCERTAINTY_RED_AT)),
    );
    expect(colours.size).toBeLessThanOrEqual(21);
  });
});

describe('DoubtIndex', () => {
  it('finds the most uncertain point across faces and follows confirmations', () => {
    const index = new DoubtIndex();
    index.set(hex(1), 0, predicted([0.01, 0.03]));
    index.set(hex(2), 5, predicted([0.02, 0.08, null]));
    index.set(hex(3), 9, predicted([null, null]));
    expect(index.size).toBe(2);
    expect(index.best()).toEqual({ imageId: hex(2), position: 5, point: 1, uncertainty: 0.08 });
    // The person confirms that point: the face's next doubt is lower than face 1's.
    index.set(hex(2), 5, predicted([0.02, null, null]));
    expect(index.best()).toMatchObject({ imageId: hex(1), point: 1 });
    index.clear();
    expect(index.best()).toBeNull();
  });

  it('breaks ties by library order', () => {
    const index = new DoubtIndex();
    index.set(hex(8), 8, predicted([0.04]));
    index.set(hex(3), 3, predicted([0.04]));
    expect(index.best()?.position).toBe(3);
  });
});

describe('scanDoubts', () => {
  /**
   * A library of `n` images; every third has one unconfirmed point, so needs review; the one
   * after each of those is labelled (its points confirmed: no doubt to find there).
   */
  function library(n: number) {
    const items: LibraryItem[] = Array.from({ length: n }, (_, i) => ({
      id: hex(i + 1),
      path: `images/${i}.jpg`,
      width: 100,
      height: 100,
      split: 'pool',
      position: i,
      labelled: i % 3 === 1,
      needsReview: i % 3 === 0,
      expression: null,
    }));
    const faces = new Map<string, FaceAnnotation>();
    items.forEach((item, i) => {
      if (!item.needsReview && !item.labelled) return;
      faces.set(item.id, {
        imageId: item.id,
        points: item.labelled
          ? predicted([null, null])
          : predicted([i === 600 ? 0.09 : 0.01, null]),
        attributes: {},
        expression: null,
        note: '',
        updatedAt: '2026-11-28T00:00:00Z',
        revision: 1,
      });
    });
    const requests: { offset: number; limit: number }[] = [];
    const read: string[] = [];
    const list: ListImages = async ({ offset, limit, filter }) => {
      requests.push({ offset, limit });
      const matching = items.filter(
        (item) =>
          (filter.needsReview === undefined || item.needsReview === filter.needsReview) &&
          (filter.labelled === undefined || item.labelled === filter.labelled),
      );
      return { total: matching.length, items: matching.slice(offset, offset + limit) };
    };
    const getFace = async (id: string) => {
      read.push(id);
      return faces.get(id) ?? null;
    };
    return { list, getFace, requests, read };
  }

  it('reads only faces that need review, page by page, with positions in library order', async () => {
    const n = 2 * DOUBT_SCAN_PAGE + 250;
    const lib = library(n);
    const index = new DoubtIndex();
    await scanDoubts(lib.list, lib.getFace, index);
    // The list of faces to review (a third of the library: 417) in one page, not the library's 3.
    expect(lib.requests).toEqual([{ offset: 0, limit: DOUBT_SCAN_PAGE }]);
    expect(lib.read).toHaveLength(Math.ceil(n / 3));
    expect(index.size).toBe(Math.ceil(n / 3));
    expect(index.best()).toEqual({ imageId: hex(601), position: 600, point: 0, uncertainty: 0.09 });
  });

  it('starts from an empty index each time', async () => {
    const index = new DoubtIndex();
    index.set(hex(999), 999, predicted([0.5]));
    await scanDoubts(library(0).list, library(0).getFace, index);
    expect(index.best()).toBeNull();
  });
});
