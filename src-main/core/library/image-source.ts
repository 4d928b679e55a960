/**
 * Opens one image file for the library: checks that its bytes match an image format, reads its
 * size from the header (so the pixel limit is checked before anything is decoded), and hands out
 * sharp pipelines over its pixels with EXIF orientation applied. JPEG, PNG and WebP go to sharp
 * directly; BMP and Netpbm, which sharp's libvips lacks, are decoded here and passed in raw.
 */
import { open, readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { IMAGE_FILE_LIMIT, sizeProblem } from '../input-files';
import { bmpDimensions, decodeBmp } from './bmp';
import { formatFromContent, SNIFF_BYTES, type ImageFormat, type RawImage } from './image-formats';
import { ImageRejected, MalformedImage, PixelLimitExceeded } from './image-rejected';
import { decodePnm, pnmDimensions } from './pnm';

/** 100 MP: above any camera in common use, far below what a decompression bomb declares. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

export interface OpenedImage {
  readonly file: string;
  readonly format: ImageFormat;
  /** Size as shown, EXIF orientation applied (width and height swapped for orientations 5–8). */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  readonly orientation: number;
  /** A fresh pipeline over the upright pixels; decode errors surface when it runs. */
  pipeline(): Sharp;
}

export interface OpenImageOptions {
  pixelLimit?: number;
}

export async function openImage(
  file: string,
  options: OpenImageOptions = {},
): Promise<OpenedImage> {
  const pixelLimit = options.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  await checkImageFileSize(file);
  const head = await readHead(file);
  if (head.length === 0) throw new ImageRejected(file, 'empty', 'the file is empty (0 bytes)');
  const format = formatFromContent(head);
  if (format === null) {
    throw new ImageRejected(file, 'not-an-image', 'is not a JPEG, PNG, WebP, BMP or PPM image');
  }
  if (format === 'bmp' || format === 'pnm') return openDecodedHere(file, format, pixelLimit);

  let metadata: Metadata;
  try {
    // Header only: no pixels are decoded, so reading an absurd size here is safe.
    metadata = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw rejectionFromSharp(file, format, error);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new ImageRejected(file, 'truncated', `${format} header has no size`);
  if (width * height > pixelLimit) throw new PixelLimitExceeded(file, width, height, pixelLimit);
  const orientation = metadata.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  return {
    file,
    format,
    width: swap ? height : width,
    height: swap ? width : height,
    orientation,
    // failOn 'warning' turns libjpeg's "premature end" into an error instead of grey rows.
    pipeline: () => sharp(file, { limitInputPixels: pixelLimit, failOn: 'warning' }).rotate(),
  };
}

async function openDecodedHere(
  file: string,
  format: 'bmp' | 'pnm',
  pixelLimit: number,
): Promise<OpenedImage> {
  const bytes = await readFileOrReject(file);
  let raw: RawImage;
  try {
    const size = format === 'bmp' ? bmpDimensions(bytes) : pnmDimensions(bytes);
    if (size.width * size.height > pixelLimit) {
      throw new PixelLimitExceeded(file, size.width, size.height, pixelLimit);
    }
    raw = format === 'bmp' ? decodeBmp(bytes) : decodePnm(bytes);
  } catch (error) {
    if (error instanceof MalformedImage) {
      throw new ImageRejected(file, error.reason, error.message, { cause: error });
    }
    throw error;
  }
  const { data, width, height, channels } = raw;
  return {
    file,
    format,
    width,
    height,
    orientation: 1,
    pipeline: () => sharp(data, { raw: { width, height, channels } }),
  };
}

/** Maps a sharp/libvips failure to a rejection that names the file and says what went wrong. */
export function rejectionFromSharp(
  file: string,
  format: ImageFormat,
  error: unknown,
): ImageRejected {
  if (error instanceof ImageRejected) return error;
  const detail = error instanceof Error ? error.message.trim() : String(error);
  if (/pixel limit/i.test(detail)) {
    return new ImageRejected(file, 'too-many-pixels', `exceeds the pixel limit (${detail})`, {
      cause: error,
    });
  }
  if (isFileSystemError(error)) {
    return new ImageRejected(file, 'unreadable', `cannot be read (${detail})`, { cause: error });
  }
  return new ImageRejected(
    file,
    'truncated',
    `cannot decode ${format}: cut short or corrupt (${detail})`,
    {
      cause: error,
    },
  );
}

/**
 * Refuses a file larger than any image within the pixel limit can be, from its size alone: a
 * 2 GB sparse `.jpg` is rejected at once instead of after being hashed or read.
 */
export async function checkImageFileSize(file: string, limit = IMAGE_FILE_LIMIT): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw unreadable(file, error);
  }
  const problem = sizeProblem(size, 'image', limit);
  if (problem !== null) throw new ImageRejected(file, 'too-large', problem);
}

async function readHead(file: string): Promise<Buffer> {
  try {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(file, error);
  }
}

async function readFileOrReject(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): ImageRejected {
  const detail = error instanceof Error ? error.message : String(error);
  return new ImageRejected(file, 'unreadable', `cannot be read (${detail})`, { cause: error });
}

function isFileSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
