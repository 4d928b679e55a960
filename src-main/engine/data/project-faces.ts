/**
 * A PretrainData source over a project's face crops: each image is decoded with sharp, cut to its
 * curation crop box (padded with black where the box runs past the image, so the face stays
 * centred and unscaled), or kept whole when curation found no face record, then resized to the
 * model's input size. The caller (core) picks the images and leaves out those flagged no-face;
 * the engine imports no store. Order and prefetch come from the loop: a seeded permutation per
 * epoch, and the next batch decoding on sharp's threads while a step computes.
 */
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import type { PretrainData } from '../pretrain/pretrain-data';
import { rgbBatch } from './rgb-batch';

export interface FaceSource {
  /** Absolute path of the image file. */
  file: string;
  /** The image's pixel size as recorded at import (crop boxes are in these pixels). */
  width: number;
  height: number;
  /** Curation's crop box in image pixels, or null to use the whole image. */
  crop: { x: number; y: number; width: number; height: number } | null;
}

/** Integer crop geometry: the part inside the image, and the black padding on each side. */
export function cropPlan(source: Pick<FaceSource, 'width' | 'height' | 'crop'>): {
  extract: { left: number; top: number; width: number; height: number };
  pad: { top: number; bottom: number; left: number; right: number };
} {
  const { width: W, height: H } = source;
  const c = source.crop ?? { x: 0, y: 0, width: W, height: H };
  const x0 = Math.round(c.x);
  const y0 = Math.round(c.y);
  const x1 = Math.max(x0 + 1, Math.round(c.x + c.width));
  const y1 = Math.max(y0 + 1, Math.round(c.y + c.height));
  const left = Math.min(Math.max(x0, 0), W - 1);
  const top = Math.min(Math.max(y0, 0), H - 1);
  const right = Math.max(Math.min(x1, W), left + 1);
  const bottom = Math.max(Math.min(y1, H), top + 1);
  return {
    extract: { left, top, width: right - left, height: bottom - top },
    pad: {
      left: Math.max(0, left - x0),
      top: Math.max(0, top - y0),
      right: Math.max(0, x1 - right),
      bottom: Math.max(0, y1 - bottom),
    },
  };
}

export class ProjectFacesData implements PretrainData {
  constructor(
    readonly sources: readonly FaceSource[],
    readonly imageSize: number,
  ) {
    if (sources.length === 0)
      throw new StudioError('not-found', 'The project has no images with a face to train on');
  }

  get size(): number {
    return this.sources.length;
  }

  /** One face crop as `size×size×3` bytes (RGB). */
  async decode(source: FaceSource): Promise<Buffer> {
    const s = this.imageSize;
    const { extract, pad } = cropPlan(source);
    try {
      // Extract and pad first, to a buffer: sharp applies resize before extend in one pipeline.
      const cut = await sharp(source.file)
        .removeAlpha()
        .toColourspace('srgb')
        .extract(extract)
        .extend({ ...pad, background: { r: 0, g: 0, b: 0 } })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return await sharp(cut.data, {
        raw: { width: cut.info.width, height: cut.info.height, channels: 3 },
      })
        .resize(s, s, { fit: 'fill' })
        .raw()
        .toBuffer();
    } catch (error) {
      throw new StudioError(
        'io',
        `Image ${source.file} cannot be decoded and cropped: ${(error as Error).message}`,
      );
    }
  }

  batch(indices: number[]): Promise<tf.Tensor4D> {
    return rgbBatch(this.sources, indices, this.imageSize, (source) => this.decode(source));
  }
}
