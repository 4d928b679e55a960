/** Next / previous / next unlabelled over a fake library list. */
import { describe, expect, it } from 'vitest';
import type { LibraryItem } from '$shared/library';
import {
  imageAt,
  FIRST_SCAN_PAGE,
  nextUnlabelled,
  SCAN_PAGE,
  type ListImages,
} from '../../../src-renderer/src/features/labelling/image-navigation';

function item(n: number, labelled: boolean): LibraryItem {
  return {
    id: n.toString(16).padStart(64, '0'),
    path: `${n}.jpg`,
    width: 10,
    height: 10,
    split: 'pool',
    position: n,
    labelled,
    needsReview: false,
    expression: null,
  };
}

/** The same filtering and paging as 'library:list', counting requests and keeping their limits. */
function library(labelled: boolean[]): {
  list: ListImages;
  requests: () => number;
  limits: number[];
} {
  const items = labelled.map((l, n) => item(n, l));
  let requests = 0;
  const limits: number[] = [];
  const list: ListImages = async ({ offset, limit, filter }) => {
    requests += 1;
    limits.push(limit);
    const matching = items.filter(
      (i) => filter.labelled === undefined || i.labelled === filter.labelled,
    );
    return { total: matching.length, items: matching.slice(offset, offset + limit) };
  };
  return { list, requests: () => requests, limits };
}

describe('imageAt', () => {
  it('gives the image at a position with the total, and null outside the list', async () => {
    const { list } = library([true, false, true]);
    expect(await imageAt(list, 1)).toEqual({ position: 1, item: item(1, false), total: 3 });
    expect(await imageAt(list, 3)).toBeNull();
    expect(await imageAt(list, -1)).toBeNull();
  });
});

describe('nextUnlabelled', () => {
  it('finds the first unlabelled image after the current one', async () => {
    const { list } = library([false, true, true, false, false]);
    expect((await nextUnlabelled(list, 0))?.position).toBe(3);
  });

  it('wraps round to the start, never returning the current image', async () => {
    const { list } = library([true, false, true, false]);
    expect((await nextUnlabelled(list, 3))?.position).toBe(1);
    const single = library([true, false, true]);
    expect(await nextUnlabelled(single.list, 1)).toBeNull();
  });

  it('costs the two first requests, sent at once, when everything is labelled', async () => {
    const { list, requests, limits } = library([true, true, true]);
    const found = nextUnlabelled(list, 0);
    // Both asked before either is answered.
    expect(requests()).toBe(2);
    expect(await found).toBeNull();
    expect(limits).toEqual([1, 1]);
  });

  it('takes the first unlabelled image at once when it lies after the current one', async () => {
    const { list, limits } = library([true, true, ...Array<boolean>(5000).fill(true), false]);
    const found = await nextUnlabelled(list, 0);
    expect(found).toEqual({ position: 5002, item: item(5002, false), total: 5003 });
    expect(limits).toEqual([1, 1]);
    // From -1 (Label's opening), the first unlabelled image of all.
    const first = library([true, false, false]);
    expect((await nextUnlabelled(first.list, -1))?.position).toBe(1);
  });

  it('scans page by page past a long labelled run, small pages first', async () => {
    // Image 0 is unlabelled, so from 1 the filtered list's first item is behind: a scan.
    const labelled = Array.from(
      { length: SCAN_PAGE * 2 + 5 },
      (_, n) => n !== 0 && n !== SCAN_PAGE * 2 + 2,
    );
    const { list, limits } = library(labelled);
    expect((await nextUnlabelled(list, 1))?.position).toBe(SCAN_PAGE * 2 + 2);
    // The filtered and the total requests, then pages four times larger each up to SCAN_PAGE
    // (the last one cut at the list's end).
    expect(limits).toEqual([1, 1, 25, 100, 400, SCAN_PAGE, SCAN_PAGE * 2 + 5 - 1527]);
    expect(FIRST_SCAN_PAGE).toBe(25);
  });

  it('asks one small page when the next unlabelled image is near', async () => {
    const { list, limits } = library([
      false,
      true,
      true,
      false,
      ...Array<boolean>(5000).fill(true),
    ]);
    expect((await nextUnlabelled(list, 0))?.position).toBe(3);
    expect(limits).toEqual([1, 1, FIRST_SCAN_PAGE]);
  });
});
