/**
 * The benchmarks' project builder: a project of `images` made-up image records and `faces`
 * annotated faces, written through the store itself (one index batch, then the faces, then a
 * close that compacts the journal). The faces sit on evenly spread images (every
 * images / faces-th). Optionally the images get real files: HELEN photos from the shared data
 * hard-linked under each record's path, so checks that stat or read the files find them.
 */
import { link, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ProjectStore } from '../src-main/core/project-store';
import type { FaceAnnotation, ImageRecord } from '../src-main/shared/domain';
import { faceWithCounter, imageId, imageRecord } from '../tests/support/project-data';

export const SCHEMAS: Readonly<Record<number, string>> = { 68: 'ibug68', 98: 'wflw98' };

/** The real photos the records are linked to (300-W HELEN training faces). */
export const HELEN_TRAIN = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  'shared',
  'data',
  '300w-helen',
  'train',
);

/** Image records per putImages call while building. */
const BATCH = 100_000;

export interface BenchProjectOptions {
  images: number;
  faces: number;
  points: number;
  /** The record of image n; defaults to tests/support's imageRecord. */
  record?: (n: number) => ImageRecord;
  /** The face of the i-th labelled image n; defaults to faceWithCounter. */
  face?: (i: number, n: number, points: number) => FaceAnnotation;
}

/** The image number of the i-th face of a project built with these counts. */
export function facedImage(i: number, images: number, faces: number): number {
  return i * Math.max(1, Math.floor(images / faces));
}

export async function buildBenchProject(dir: string, options: BenchProjectOptions): Promise<void> {
  const { images, faces, points } = options;
  const recordOf = options.record ?? imageRecord;
  const faceOf = options.face ?? ((i: number, n: number) => faceWithCounter(imageId(n), i, points));
  const landmarkSchema = SCHEMAS[points];
  if (landmarkSchema === undefined) throw new Error(`no schema with ${points} points`);
  const store = await ProjectStore.create(dir, {
    name: 'Bench',
    landmarkSchema,
    attributeSchema: null,
  });
  // In batches: one journal line of 1,000,000 records would be a string of ~300 MB.
  for (let from = 0; from < images; from += BATCH) {
    const count = Math.min(BATCH, images - from);
    await store.putImages(Array.from({ length: count }, (_, i) => recordOf(from + i)));
  }
  const saves: Promise<number>[] = [];
  for (let i = 0; i < faces; i += 1) {
    const n = facedImage(i, images, faces);
    saves.push(store.saveFace(faceOf(i, n, points)));
  }
  await store.close();
  await Promise.all(saves);
}

/**
 * Hard-links a HELEN photo under the path of each record whose number `keep` accepts (relative
 * paths, inside `dir`); returns how many links were made. The others stay without a file.
 */
export async function linkHelenImages(
  dir: string,
  records: Iterable<ImageRecord>,
  keep: (index: number) => boolean = () => true,
): Promise<number> {
  const photos = (await readdir(HELEN_TRAIN)).filter((name) => name.endsWith('.jpg')).sort();
  if (photos.length === 0) throw new Error(`no HELEN photos in ${HELEN_TRAIN}`);
  const made = new Set<string>();
  const pending: Promise<void>[] = [];
  let linked = 0;
  let index = 0;
  for (const record of records) {
    const n = index;
    index += 1;
    if (!keep(n)) continue;
    const target = path.isAbsolute(record.path) ? record.path : path.join(dir, record.path);
    const folder = path.dirname(target);
    if (!made.has(folder)) {
      await mkdir(folder, { recursive: true });
      made.add(folder);
    }
    pending.push(link(path.join(HELEN_TRAIN, photos[n % photos.length]!), target));
    linked += 1;
    if (pending.length >= 256) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return linked;
}
