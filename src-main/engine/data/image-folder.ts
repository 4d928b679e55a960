/**
 * A PretrainData source over image files: decoded with sharp to `size×size` RGB floats in [0, 1]
 * (squashed to a square, as face crops are near-square already). Files decode in parallel on
 * sharp's thread pool, so a batch requested while a step runs is ready when the step ends.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import type { PretrainData } from '../pretrain-data';

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

  async batch(indices: number[]): Promise<tf.Tensor4D> {
    const s = this.imageSize;
    const pixels = new Float32Array(indices.length * s * s * 3);
    await Promise.all(
      indices.map(async (index, row) => {
        const file = this.files[index];
        if (file === undefined)
          throw new StudioError('not-found', `Image index ${index} is out of range`);
        let raw: Buffer;
        try {
          raw = await sharp(file)
            .removeAlpha()
            .toColourspace('srgb')
            .resize(s, s, { fit: 'fill' })
            .raw()
            .toBuffer();
        } catch (error) {
          throw new StudioError(
            'io',
            `Image ${file} cannot be decoded: ${(error as Error).message}`,
          );
        }
        const base = row * s * s * 3;
        for (let i = 0; i < s * s * 3; i++) pixels[base + i] = raw[i]! / 255;
      }),
    );
    return tf.tensor4d(pixels, [indices.length, s, s, 3]);
  }
}
