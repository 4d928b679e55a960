/**
 * Square crops of image files as one `[n, size, size, 3]` batch, for the tests' and benches' face
 * readers (helen-crops.ts, research/fewshot-data.ts): the landmark tests' crop arithmetic, in one
 * place.
 */
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';

/** A square region of an image file, in source pixels (it may run past the image: black there). */
export interface CropBox {
  file: string;
  left: number;
  top: number;
  side: number;
}

/**
 * Crops `[n, size, size, 3]` in [0, 1]. Output pixel i's centre is at left + (i + 0.5)·side/size
 * in source pixels (centres on integers), so labels u = (x − left) / side line up with it
 * (finetune-data.ts). Grey images are repeated over the three channels (the backbone takes RGB).
 */
export async function readCrops(boxes: readonly CropBox[], size: number): Promise<tf.Tensor4D> {
  const parts: tf.Tensor4D[] = [];
  for (const c of boxes) {
    const { data, info } = await sharp(c.file)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    parts.push(
      tf.tidy(() => {
        let src = tf.div(
          tf.tensor4d(new Uint8Array(data), [1, info.height, info.width, info.channels], 'int32'),
          255,
        ) as tf.Tensor4D;
        if (info.channels === 1) src = tf.tile(src, [1, 1, 1, 3]);
        const step = c.side / size;
        const first = (edge: number): number => edge + step / 2;
        const last = (edge: number): number => edge + c.side - step / 2;
        return tf.image.cropAndResize(
          src,
          [
            [
              first(c.top) / (info.height - 1),
              first(c.left) / (info.width - 1),
              last(c.top) / (info.height - 1),
              last(c.left) / (info.width - 1),
            ],
          ],
          [0],
          [size, size],
        );
      }),
    );
  }
  const images = tf.concat(parts, 0);
  tf.dispose(parts);
  return images;
}
