/**
 * A PretrainData source over image files: decoded with sharp to `size×size` RGB floats in [0, 1]
 * (squashed to a square, as face crops are near-square already). Files decode in parallel on
 * sharp's thread pool, so a batch requested while a step runs is ready when the step ends.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import type { PretrainData } from '../pretrain/pretrain-data';
import { rgbBatch } from './rgb-batch';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.ppm']);

export class ImageFolderData implements PretrainData {
  private constructor(
    readonly files: string[],
    readonly imageSize: number,
  ) {}

  get size(): number {
    return this.files.length;
  }

  /** Image files directly in `dir`, sorted by name (the order is shuffled per epoch by the loop). */
  static async open(dir: string, imageSize: number, limit?: number): Promise<ImageFolderData> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (error) {
      throw new StudioError(
        'not-found',
        `Image folder ${dir} cannot be read: ${(error as Error).message}`,
      );
    }
    const files = names
      .filter((n) => IMAGE_EXT.has(path.extname(n).toLowerCase()))
      .sort()
      .slice(0, limit)
      .map((n) => path.join(dir, n));
    if (files.length === 0)
      throw new StudioError('not-found', `Image folder ${dir} holds no images`);
    return new ImageFolderData(files, imageSize);
  }

  static fromFiles(files: string[], imageSize: number): ImageFolderData {
    return new ImageFolderData(files, imageSize);
  }

  batch(indices: number[]): Promise<tf.Tensor4D> {
    const s = this.imageSize;
    return rgbBatch(this.files, indices, s, async (file) => {
      try {
        return await sharp(file)
          .removeAlpha()
          .toColourspace('srgb')
          .resize(s, s, { fit: 'fill' })
          .raw()
          .toBuffer();
      } catch (error) {
        throw new StudioError('io', `Image ${file} cannot be decoded: ${(error as Error).message}`);
      }
    });
  }
}
