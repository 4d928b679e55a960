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
  return uv.map((p) => fromCropPoint(p.x, p.y, box));
}

/** One point's crop coordinates (u, v) → image px, as `fromCrop` maps it. */
export function fromCropPoint(u: number, v: number, box: Box): Point {
  return { x: box.x + u * box.width, y: box.y + v * box.height };
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
  const cutter = new CropCutter(source);
  const pixels = await cutter.cutFloats(boxes, size);
  return tf.tensor4d(pixels, [boxes.length, size, size, 3]);
}

/** As `cropFaces`, as bytes (one `size²·3` RGB array per box): a quarter of the memory to cache. */
export async function cropFaceBytes(
  source: CropSource,
  boxes: readonly Box[],
  size: number,
): Promise<Uint8Array[]> {
  checkCrops(boxes, size);
  if (boxes.length === 0) return [];
  const image = await new CropCutter(source).decodedFor(boxes, size);
  return boxes.map((box) => {
    const out = new Uint8Array(size * size * 3);
    sampleCrop(image, box, size, out, 0, 1);
    return out;
  });
}

function checkCrops(boxes: readonly Box[], size: number): void {
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
}

/**
 * Cuts crops of one image, keeping its decoded pixels between calls: `predict` cuts a face, then
 * maybe again around its first guess, and the second cut reuses the first's decode whenever it
 * needs the same shrink (always when neither box is over twice the crop). Each crop is exactly
 * what `cropFaces` gives for the same box.
 */
export class CropCutter {
  private readable: Readable | null = null;
  private decoded: Decoded | null = null;

  /**
   * `keepBytes`: the largest decode kept for the next cut (0: none; a batch of faces each holding
   * a full-size photo would hold hundreds of MB).
   */
  constructor(
    private readonly source: CropSource,
    private readonly keepBytes = 0,
  ) {}

  /** Drops the kept decode. */
  release(): void {
    this.decoded = null;
  }

  /** The boxes' crops as floats in [0, 1], `[n·size·size·3]`, written into `out` from `offset`. */
  async cutFloats(
    boxes: readonly Box[],
    size: number,
    out: Float32Array = new Float32Array(boxes.length * size * size * 3),
    offset = 0,
  ): Promise<Float32Array> {
    checkCrops(boxes, size);
    if (boxes.length === 0) return out;
    const image = await this.decodedFor(boxes, size);
    boxes.forEach((box, i) => sampleCrop(image, box, size, out, offset + i * size * size * 3, 255));
    return out;
  }

  /** The decode the boxes need (decodeShrunk's shrink), kept while the next needs the same. */
  async decodedFor(boxes: readonly Box[], size: number): Promise<Decoded> {
    this.readable ??= await readableOf(this.source);
    const { width, height } = this.readable;
    const boxToCrop = Math.min(...boxes.map((b) => Math.min(b.width, b.height))) / size;
    const shrink = boxToCrop > 2 ? boxToCrop : 1;
    const w = Math.max(1, Math.round(width / shrink));
    const h = Math.max(1, Math.round(height / shrink));
    const kept = this.decoded;
    if (kept && kept.shrunkTo[0] === w && kept.shrunkTo[1] === h) return kept;
    const decoded = await decodeShrunk(this.readable, boxToCrop);
    this.decoded = decoded.data.length <= this.keepBytes ? decoded : null;
    return decoded;
  }
}

/** RGB pixels and the factor from their pixels back to the source image's. */
interface Decoded {
  data: Uint8Array;
  width: number;
  height: number;
  /** Source px per decoded px, along x and y (1 when not shrunk). */
  fx: number;
  fy: number;
  /** The size asked of the decoder (shrink by the smallest box ÷ crop when over 2): the cache key. */
  shrunkTo: [number, number];
}

/**
 * Decodes to RGB, shrunk so the smallest box is about `size` decoded px when it is over twice as
 * large (the bilinear sampler only sees 4 pixels per sample; sharp's shrink averages them all).
 */
async function decodeShrunk(image: Readable, boxToCrop: number): Promise<Decoded> {
  const { width, height, pipeline, opened } = image;
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
      shrunkTo: [w, h],
    };
  } catch (error) {
    if (opened) throw rejectionFromSharp(opened.file, opened.format, error);
    throw new StudioError(
      'invalid-payload',
      `Decoded image cannot be cropped: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A crop source's size and a fresh sharp pipeline over its pixels (a path is opened here). */
interface Readable {
  width: number;
  height: number;
  pipeline: () => Sharp;
  /** The library's opened image, to name the file in decode errors; null for raw pixels. */
  opened: OpenedImage | null;
}

async function readableOf(source: CropSource): Promise<Readable> {
  if (typeof source === 'string' || 'pipeline' in source) {
    const opened = typeof source === 'string' ? await openImage(source) : source;
    const { width, height } = opened;
    return { width, height, pipeline: opened.pipeline.bind(opened), opened };
  }
  const raw = source;
  if (raw.data.length !== raw.width * raw.height * raw.channels) {
    throw new StudioError(
      'invalid-payload',
      `Decoded image of ${raw.width}×${raw.height}×${raw.channels} needs ${raw.width * raw.height * raw.channels} bytes, got ${raw.data.length}`,
    );
  }
  return {
    width: raw.width,
    height: raw.height,
    pipeline: () =>
      sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }),
    opened: null,
  };
}

function toRgb(data: Buffer, channels: number, pixels: number): Uint8Array {
  if (channels === 3) return data;
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + (channels < 3 ? 0 : c)]!;
  }
  return out;
}

/**
 * Bilinear samples at the crop's pixel centres, rounded to bytes and divided by `scale` (1: bytes,
 * 255: floats in [0, 1]), written into `out` from `offset`; black outside the image.
 */
function sampleCrop(
  image: Decoded,
  box: Box,
  size: number,
  out: Uint8Array | Float32Array,
  offset: number,
  scale: 1 | 255,
): void {
  const { data, width: W, height: H, fx, fy } = image;
  out.fill(0, offset, offset + size * size * 3);
  // Source px (centres on integers) → decoded px: a shrink by f maps centres by (x + 0.5)/f − 0.5.
  // Each column's neighbours and weight are worked out once, not once per row.
  const inside = new Uint8Array(size);
  const left = new Int32Array(size);
  const right = new Int32Array(size);
  const txs = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const x = (box.x + ((i + 0.5) * box.width) / size + 0.5) / fx - 0.5;
    if (x < -0.5 || x > W - 0.5) continue;
    const x0 = Math.max(0, Math.min(W - 1, Math.floor(x)));
    inside[i] = 1;
    left[i] = x0 * 3;
    right[i] = Math.min(W - 1, x0 + 1) * 3;
    txs[i] = Math.max(0, Math.min(1, x - x0));
  }
  for (let j = 0; j < size; j++) {
    const y = (box.y + ((j + 0.5) * box.height) / size + 0.5) / fy - 0.5;
    if (y < -0.5 || y > H - 0.5) continue;
    const y0 = Math.max(0, Math.min(H - 1, Math.floor(y)));
    const y1 = Math.min(H - 1, y0 + 1);
    const ty = Math.max(0, Math.min(1, y - y0));
    const row0 = y0 * W * 3;
    const row1 = y1 * W * 3;
    for (let i = 0; i < size; i++) {
      if (inside[i] === 0) continue;
      const tx = txs[i]!;
      const a = row0 + left[i]!;
      const b = row0 + right[i]!;
      const c = row1 + left[i]!;
      const d = row1 + right[i]!;
      const o = offset + (j * size + i) * 3;
      for (let k = 0; k < 3; k++) {
        const top = data[a + k]! + (data[b + k]! - data[a + k]!) * tx;
        const bottom = data[c + k]! + (data[d + k]! - data[c + k]!) * tx;
        out[o + k] = Math.round(top + (bottom - top) * ty) / scale;
      }
    }
  }
}
