/**
 * 300-W HELEN faces as fine-tuning data for tests: each image cropped to its landmarks' box grown
 * by 25% (square, about the box centre; black beyond the image), resized to `size` px, and its 68
 * points moved into the crop as normalised coordinates u = (x − left) / side (finetune-data.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { parsePtsFile } from '../../../src-main/core/formats/pts';

export const HELEN = new URL('../../../../shared/data/300w-helen', import.meta.url).pathname;

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
      const image = sharp(path.join(dir, name.replace(/\.pts$/, '.jpg'))).removeAlpha();
      const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, left, top, side };
    }),
  );
  // Output pixel i's centre is at left + (i + 0.5)·side/size in source pixels (centres on
  // integers); cropAndResize samples y1·(H − 1) + i·(y2 − y1)·(H − 1)/(size − 1).
  const images = tf.tidy(() =>
    tf.concat(
      crops.map((c) => {
        const src = tf.div(
          tf.tensor4d(new Uint8Array(c.data), [1, c.height, c.width, 3], 'int32'),
          255,
        ) as tf.Tensor4D;
        const step = c.side / size;
        const first = (edge: number): number => edge + step / 2;
        const last = (edge: number): number => edge + c.side - step / 2;
        return tf.image.cropAndResize(
          src,
          [
            [
              first(c.top) / (c.height - 1),
              first(c.left) / (c.width - 1),
              last(c.top) / (c.height - 1),
              last(c.left) / (c.width - 1),
            ],
          ],
          [0],
          [size, size],
        );
      }),
      0,
    ),
  ) as tf.Tensor4D;
  return { images, points };
}
