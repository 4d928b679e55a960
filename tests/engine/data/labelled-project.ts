/**
 * A small real labelled project for fine-tuning tests: the first HELEN train faces (68 points from
 * their .pts files, 0-based) copied into a temp project with the ibug68 schema and the mtfl
 * attribute set, split train / val / test as asked. The labels go through the store, so they sit
 * in the label journal as a real project's would; a few faces carry attributes.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { parsePtsFile } from '../../../src-main/core/formats/pts';
import { humanPoint } from '../../../src-main/shared/point-provenance';
import { ProjectStore } from '../../../src-main/core/project-store';
import type { ImageRecord, Split } from '../../../src-main/shared/domain';

export const HELEN_TRAIN = fileURLToPath(
  new URL('../../../../shared/data/300w-helen/train', import.meta.url),
);

export interface LabelledProjectPlan {
  train: number;
  val?: number;
  test?: number;
  /** Faces in the pool split (labelled, but no split). */
  pool?: number;
  /** The subject of the image at this index (in the order returned), if any. */
  subject?: (index: number) => string | undefined;
}

export interface LabelledProjectImage {
  id: string;
  file: string;
  split: Split;
}

/** Creates the project in `dir`; returns its images in order (train, val, test, pool). */
export async function createLabelledProject(
  dir: string,
  plan: LabelledProjectPlan,
): Promise<LabelledProjectImage[]> {
  const splits: Split[] = [
    ...Array<Split>(plan.train).fill('train'),
    ...Array<Split>(plan.val ?? 0).fill('val'),
    ...Array<Split>(plan.test ?? 0).fill('test'),
    ...Array<Split>(plan.pool ?? 0).fill('pool'),
  ];
  const names = (await readdir(HELEN_TRAIN))
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, splits.length);
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const store = await ProjectStore.create(dir, {
    name: 'helen',
    landmarkSchema: 'ibug68',
    attributeSchema: 'mtfl',
  });
  const records: ImageRecord[] = [];
  const images: LabelledProjectImage[] = [];
  for (const [i, name] of names.entries()) {
    const target = path.join(dir, 'images', name);
    await copyFile(path.join(HELEN_TRAIN, name), target);
    const meta = await sharp(target).metadata();
    const id = createHash('sha256')
      .update(await readFile(target))
      .digest('hex');
    const subject = plan.subject?.(i);
    records.push({
      id,
      path: path.join('images', name),
      width: meta.width!,
      height: meta.height!,
      split: splits[i]!,
      ...(subject !== undefined ? { subject } : {}),
    });
    images.push({ id, file: target, split: splits[i]! });
  }
  await store.putImages(records);
  for (const [i, name] of names.entries()) {
    const ptsFile = path.join(HELEN_TRAIN, name.replace(/\.jpg$/, '.pts'));
    const points = parsePtsFile(await readFile(ptsFile, 'utf8'), ptsFile, { pointCount: 68 });
    await store.saveFace({
      imageId: records[i]!.id,
      points: points.map((p) => humanPoint(p.x, p.y, 2)),
      // Every other face: attributes (Male alternating, Smiling only on some).
      attributes:
        i % 2 === 0 ? { Male: i % 4 === 0, ...(i % 3 === 0 ? { Smiling: true } : {}) } : {},
      updatedAt: new Date(0).toISOString(),
    });
  }
  await store.close();
  return images;
}
