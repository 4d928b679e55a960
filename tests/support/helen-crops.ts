/**
 * 300-W HELEN faces as fine-tuning data for tests: each image cropped to its landmarks' box grown
 * by 25% (square, about the box centre; black beyond the image), resized to `size` px, and its 68
 * points moved into the crop as normalised coordinates u = (x − left) / side (finetune-data.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { parsePtsFile } from '../../src-main/core/formats/pts';
import type { PlacedPoint } from '../../src-main/shared/domain';
import { readCrops } from './square-crops';

export const HELEN = new URL('../../../shared/data/300w-helen', import.meta.url).pathname;

/** One HELEN face: the image file and its 68 labelled points (image px, all visible). */
export interface HelenFace {
  file: string;
  points: PlacedPoint[];
}

/** The first `count` faces (by file name) of a HELEN split. */
export async function helenFaces(split: 'train' | 'test', count: number): Promise<HelenFace[]> {
  const dir = path.join(HELEN, split);
  const names = (await fs.readdir(dir))
    .filter((n) => n.endsWith('.pts'))
    .sort()
    .slice(0, count);
  return Promise.all(
    names.map(async (name) => ({
      file: path.join(dir, name.replace(/\.pts$/, '.jpg')),
      points: parsePtsFile(await fs.readFile(path.join(dir, name), 'utf8'), name, {
        pointCount: 68,
      }).map((p) => ({ x: p.x, y: p.y, v: 2 as const })),
    })),
  );
}

export interface FaceCrops {
  /** `[n, size, size, 3]` in [0, 1]. */
  images: tf.Tensor4D;
  /** `[n·68·2]` normalised crop coordinates. */
  points: Float32Array;
}

/** The first `count` faces (by file name) of `split` ('train' or 'test'). */
export async function loadHelenCrops(
  split: 'train' | 'test',
  count: number,
  size: number,
  grow = 1.25,
): Promise<FaceCrops> {
  const dir = path.join(HELEN, split);
  const names = (await fs.readdir(dir))
    .filter((n) => n.endsWith('.pts'))
    .sort()
    .slice(0, count);
  const points = new Float32Array(names.length * 68 * 2);
  const crops = await Promise.all(
    names.map(async (name, face) => {
      const pts = parsePtsFile(await fs.readFile(path.join(dir, name), 'utf8'), name, {
        pointCount: 68,
      });
      const xs = pts.map((p) => p.x);
      const ys = pts.map((p) => p.y);
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      const side = Math.max(x1 - x0, y1 - y0) * grow;
      const left = (x0 + x1) / 2 - side / 2;
      const top = (y0 + y1) / 2 - side / 2;
      pts.forEach((p, i) => {
        points[(face * 68 + i) * 2] = (p.x - left) / side;
        points[(face * 68 + i) * 2 + 1] = (p.y - top) / side;
      });
      return { file: path.join(dir, name.replace(/\.pts$/, '.jpg')), left, top, side };
    }),
  );
  const images = await readCrops(crops, size);
  return { images, points };
}
