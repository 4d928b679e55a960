/**
 * Next, previous and next-unlabelled over the library's order ('library:list'). Positions index
 * the unfiltered list, so next and previous step one image whatever is labelled. Takes the list
 * request as a function so it is tested without the bridge.
 */
import type { LibraryFilter, LibraryItem } from '$shared/library';

export type ListImages = (request: {
  offset: number;
  limit: number;
  filter: LibraryFilter;
}) => Promise<{ total: number; items: LibraryItem[] }>;

export interface ImageAt {
  position: number;
  item: LibraryItem;
  total: number;
}

/**
 * A scan for the next unlabelled image reads FIRST_SCAN_PAGE records, then pages four times larger
 * up to SCAN_PAGE per request: the next one is most often a few images on (Label's opening waits on
 * it), and a page of 1,000 items was ~70–100 ms of the server and 336 KB at 100k images.
 */
export const FIRST_SCAN_PAGE = 25;
export const SCAN_PAGE = 1000;

export async function imageAt(list: ListImages, position: number): Promise<ImageAt | null> {
  if (position < 0) return null;
  const page = await list({ offset: position, limit: 1, filter: {} });
  const item = page.items[0];
  return item ? { position, item, total: page.total } : null;
}

/**
 * The first unlabelled image after `from` in library order, wrapping round to the start; never
 * the image at `from` itself. Asks the filtered list's first item and the library's size at once:
 * a fully labelled project costs those two requests, and so does the first unlabelled image when
 * it lies after `from` (Label's opening: from -1); else the images after `from` are scanned.
 */
export async function nextUnlabelled(list: ListImages, from: number): Promise<ImageAt | null> {
  const [unlabelled, first] = await Promise.all([
    list({ offset: 0, limit: 1, filter: { labelled: false } }),
    list({ offset: 0, limit: 1, filter: {} }),
  ]);
  const earliest = unlabelled.items[0];
  if (unlabelled.total === 0 || !earliest) return null;
  const total = first.total;
  if (earliest.position > from) return { position: earliest.position, item: earliest, total };
  // After `from` to the end, then from the start up to `from`.
  const ranges: [number, number][] = [
    [from + 1, total],
    [0, Math.min(from, total)],
  ];
  let size = FIRST_SCAN_PAGE;
  for (const [start, end] of ranges) {
    for (let offset = start; offset < end; offset += size, size = Math.min(SCAN_PAGE, size * 4)) {
      const page = await list({ offset, limit: Math.min(size, end - offset), filter: {} });
      const found = page.items.findIndex((item) => !item.labelled);
      const item = page.items[found];
      if (item) return { position: offset + found, item, total: page.total };
    }
  }
  return null;
}
