/**
 * The one crop policy of training and prediction (docs/ARCHITECTURE.md, "Training recipe"): which
 * square of an image a face model sees, how it is cut out, and how points move between image pixels
 * and the crop.
 *
 * Coordinates. Boxes and points are in image pixels, 0-based, pixel centres on integers (as
 * landmarks are stored). A crop of side S over `box` puts its pixel i's centre at
 * `box.x + (i + 0.5)·box.width / S`, so a point's crop coordinate is `u = (x − box.x) / box.width`,
 * which is finetune-data.ts's `u = (px + 0.5) / S` for crop pixel px. The mapping does not depend
 * on S: the same u is right for any input size.
 *
 * Cutting. The image is decoded once (the library's decoders: JPEG, PNG, WebP, BMP, Netpbm, EXIF
 * orientation applied), shrunk by sharp when the box is much larger than the crop (so downscaling
 * averages instead of aliasing), then sampled bilinearly at the crop's pixel centres. Samples
 * outside the image are black, so a face at the border keeps its place in the crop.
 */
import sharp, { type Sharp } from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { openImage, rejectionFromSharp, type OpenedImage } from '../../core/library/image-source';
import type { Box, FaceDetection, PlacedPoint } from '../../shared/domain';
import { boundsOf, type Point } from '../../shared/geometry';
import type { CropPolicy } from '../../shared/model-card';
import { StudioError } from '../../shared/errors';

/**
 * Margin 0.25 per side: curation's own crop margin (face-detect.ts), so a face's training crop is
 * its curation crop and pre-training and fine-tuning see faces framed alike.
 *
 * landmarksToFaceBox 1.0: the detections a project stores are not raw detector boxes; curation
 * maps them onto the 68 landmarks' box (DETECTOR_TO_LANDMARKS in face-detect.ts, fitted on
 * 300w-helen/train). The raw SSD box is ~1.27× the landmarks' box (docs/ARCHITECTURE.md,
 * "Pitfalls"); the stored box is ~1.0×, and that is what a labelled face without a detection must
 * match. Schemas with fewer points (5-point faces span less than the face) need a larger ratio:
 * labelled-faces.ts measures it on the project's faces that have both a detection and points, and
 * the card records it.
 */
export const DEFAULT_CROP_POLICY: CropPolicy = {
  from: 'face-box',
  margin: 0.25,
  landmarksToFaceBox: 1,
};

/** What is known about one face: curation's detection and/or labelled points (image px). */
export interface FaceToCrop {
  detection?: FaceDetection | null;
  points?: readonly PlacedPoint[];
}

/**
 * The square a model sees for `face`: about the centre of the detection's box, side = its longer
 * side; else about the labelled points' box (points with v > 0), side = its longer side ×
 * `landmarksToFaceBox`; then grown by `margin` of the side on each side. A face with neither is
 * the whole image, squared about its centre. May run past the image; `cropFaces` pads there.
 */
export function faceCropBox(
  image: { width: number; height: number },
  face: FaceToCrop,
  policy: CropPolicy,
): Box {
  let centre: Point;
  let side: number;
  const placed = boundsOf((face.points ?? []).filter((p) => p.v > 0));
  if (face.detection) {
    const b = face.detection.box;
    centre = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    side = Math.max(b.width, b.height);
  } else if (placed) {
    const b = placed;
    centre = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    side = Math.max(b.width, b.height) * policy.landmarksToFaceBox;
  } else {
    return squareAbout(
      { x: (image.width - 1) / 2, y: (image.height - 1) / 2 },
      Math.max(image.width, image.height),
    );
  }
  // A degenerate box (one point, a zero-size detection) would give an empty crop.
  if (!(side > 0)) {
    throw new StudioError('invalid-payload', 'The face box has no size: cannot crop around it');
  }
  return squareAbout(centre, side * (1 + 2 * policy.margin));
}

function squareAbout(centre: Point, side: number): Box {
  return { x: centre.x - side / 2, y: centre.y - side / 2, width: side, height: side };
}

/** Image px → crop coordinates 0..1 (u = (x − box.x) / box.width; see the module comment). */
export function toCrop(points: readonly Point[], box: Box): Point[] {
  return points.map((p) => ({ x: (p.x - box.x) / box.width, y: (p.y - box.y) / box.height }));
}

/** Crop coordinates 0..1 → image px: the inverse of `toCrop`. */
export function fromCrop(uv: readonly Point[], box: Box): Point[] {
  return uv.map((p) => ({ x: box.x + p.x * box.width, y: box.y + p.y * box.height }));
}

/** Decoded pixels: `width·height·channels` bytes, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** A file path (read with the library's decoders), an image it opened, or decoded pixels. */
export type CropSource = string | OpenedImage | RgbImage;

/**
 * Each box of `source` as a `size×size` RGB crop, `[n, size, size, 3]` floats in [0, 1]. Decode
 * errors name the file.
 */
export async function cropFaces(
  source: CropSource,
  boxes: readonly Box[],
  size: number,
): Promise<tf.Tensor4D> {
  const crops = await cropFaceBytes(source, boxes, size);
  const perCrop = size * size * 3;
  const pixels = new Float32Array(crops.length * perCrop);
  crops.forEach((crop, row) => {
    for (let i = 0; i < perCrop; i++) pixels[row * perCrop + i] = crop[i]! / 255;
  });
  return tf.tensor4d(pixels, [crops.length, size, size, 3]);
}

/** As `cropFaces`, as bytes (one `size²·3` RGB array per box): a quarter of the memory to cache. */
export async function cropFaceBytes(
  source: CropSource,
  boxes: readonly Box[],
  size: number,
): Promise<Uint8Array[]> {
  if (!Number.isInteger(size) || size < 1) {
    throw new StudioError('invalid-payload', `Crop size must be a positive integer, got ${size}`);
  }
  for (const box of boxes) {
    if (!(box.width > 0 && box.height > 0) || ![box.x, box.y].every(Number.isFinite)) {
      throw new StudioError(
        'invalid-payload',
        `Cannot crop an empty or non-finite box ${JSON.stringify(box)}`,
      );
    }
  }
  if (boxes.length === 0) return [];
  const image = await decodeShrunk(
    source,
    Math.min(...boxes.map((b) => Math.min(b.width, b.height))) / size,
  );
  return boxes.map((box) => sampleCrop(image, box, size));
}

/** RGB pixels and the factor from their pixels back to the source image's. */
interface Decoded {
  data: Uint8Array;
  width: number;
  height: number;
  /** Source px per decoded px, along x and y (1 when not shrunk). */
  fx: number;
  fy: number;
}

/**
 * Decodes to RGB, shrunk so the smallest box is about `size` decoded px when it is over twice as
 * large (the bilinear sampler only sees 4 pixels per sample; sharp's shrink averages them all).
 */
async function decodeShrunk(source: CropSource, boxToCrop: number): Promise<Decoded> {
  let width: number;
  let height: number;
  let pipeline: () => Sharp;
  let file: string | null = null;
  let opened: OpenedImage | null = null;
  if (typeof source === 'string') {
    opened = await openImage(source);
    file = source;
  } else if ('pipeline' in source) {
    opened = source;
    file = source.file;
  }
  if (opened) {
    ({ width, height } = opened);
    pipeline = opened.pipeline.bind(opened);
  } else {
    const raw = source as RgbImage;
    if (raw.data.length !== raw.width * raw.height * raw.channels) {
      throw new StudioError(
        'invalid-payload',
        `Decoded image of ${raw.width}×${raw.height}×${raw.channels} needs ${raw.width * raw.height * raw.channels} bytes, got ${raw.data.length}`,
      );
    }
    ({ width, height } = raw);
    pipeline = () =>
      sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  }
  const shrink = boxToCrop > 2 ? boxToCrop : 1;
  const w = Math.max(1, Math.round(width / shrink));
  const h = Math.max(1, Math.round(height / shrink));
  try {
    let p = pipeline();
    if (w !== width || h !== height) p = p.resize(w, h, { fit: 'fill' });
    const { data, info } = await p
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: toRgb(data, info.channels, w * h),
      width: info.width,
      height: info.height,
      fx: width / info.width,
      fy: height / info.height,
    };
  } catch (error) {
    if (opened && file) throw rejectionFromSharp(file, opened.format, error);
    throw new StudioError(
      'invalid-payload',
      `Decoded image cannot be cropped: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function toRgb(data: Buffer, channels: number, pixels: number): Uint8Array {
  if (channels === 3) return data;
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + (channels < 3 ? 0 : c)]!;
  }
  return out;
}

/** Bilinear samples at the crop's pixel centres; black outside the image. */
function sampleCrop(image: Decoded, box: Box, size: number): Uint8Array {
  const { data, width: W, height: H, fx, fy } = image;
  const out = new Uint8Array(size * size * 3);
  // Source px (centres on integers) → decoded px: a shrink by f maps centres by (x + 0.5)/f − 0.5.
  const xs = Array.from(
    { length: size },
    (_, i) => (box.x + ((i + 0.5) * box.width) / size + 0.5) / fx - 0.5,
  );
  const ys = Array.from(
    { length: size },
    (_, j) => (box.y + ((j + 0.5) * box.height) / size + 0.5) / fy - 0.5,
  );
  for (let j = 0; j < size; j++) {
    const y = ys[j]!;
    if (y < -0.5 || y > H - 0.5) continue;
    const y0 = Math.max(0, Math.min(H - 1, Math.floor(y)));
    const y1 = Math.min(H - 1, y0 + 1);
    const ty = Math.max(0, Math.min(1, y - y0));
    for (let i = 0; i < size; i++) {
      const x = xs[i]!;
      if (x < -0.5 || x > W - 0.5) continue;
      const x0 = Math.max(0, Math.min(W - 1, Math.floor(x)));
      const x1 = Math.min(W - 1, x0 + 1);
      const tx = Math.max(0, Math.min(1, x - x0));
      const a = (y0 * W + x0) * 3;
      const b = (y0 * W + x1) * 3;
      const c = (y1 * W + x0) * 3;
      const d = (y1 * W + x1) * 3;
      const o = (j * size + i) * 3;
      for (let k = 0; k < 3; k++) {
        const top = data[a + k]! + (data[b + k]! - data[a + k]!) * tx;
        const bottom = data[c + k]! + (data[d + k]! - data[c + k]!) * tx;
        out[o + k] = Math.round(top + (bottom - top) * ty);
      }
    }
  }
  return out;
}
