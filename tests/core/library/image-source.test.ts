/**
 * openImage: what a file's bytes are, its size from the header, the pixel limit before decoding,
 * and a rejection naming the file for each way a file fails; rejectionFromSharp's reasons.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageRejected, PixelLimitExceeded } from '../../../src-main/core/library/image-rejected';
import {
  checkImageFileSize,
  openImage,
  rejectionFromSharp,
} from '../../../src-main/core/library/image-source';
import { DATA, encodeBmp } from './test-images';

const HELEN = path.join(DATA, '300w-helen', 'test', '296814969_3.jpg');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'image-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The rejection `promise` fails with. */
async function rejection(promise: Promise<unknown>): Promise<ImageRejected> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageRejected);
  return error as ImageRejected;
}

describe('rejectionFromSharp', () => {
  it('passes a rejection through as it is', () => {
    const given = new ImageRejected('/a.png', 'empty', 'the file is empty (0 bytes)');
    expect(rejectionFromSharp('/b.png', 'png', given)).toBe(given);
  });

  it("reads sharp's pixel limit error as too many pixels", () => {
    expect(rejectionFromSharp('/a.png', 'png', new Error('Pixel Limit reached')).reason).toBe(
      'too-many-pixels',
    );
    const error = new Error(' Input image exceeds pixel limit \n');
    const rejected = rejectionFromSharp('/a.png', 'png', error);
    expect(rejected).toMatchObject({
      file: '/a.png',
      reason: 'too-many-pixels',
      code: 'invalid-payload',
      message: '/a.png: exceeds the pixel limit (Input image exceeds pixel limit)',
    });
    expect(rejected.cause).toBe(error);
  });

  it('reads a file system error as unreadable', () => {
    const error = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const rejected = rejectionFromSharp('/a.png', 'png', error);
    expect(rejected).toMatchObject({
      reason: 'unreadable',
      code: 'io',
      message: '/a.png: cannot be read (EACCES: permission denied)',
    });
    expect(rejected.cause).toBe(error);
    // A code that is not a string is no file system error.
    const odd = Object.assign(new Error('odd'), { code: 5 });
    expect(rejectionFromSharp('/a.png', 'png', odd).reason).toBe('truncated');
  });

  it('reads anything else as a file cut short or corrupt, naming the format', () => {
    const error = new Error('VipsJpeg: Premature end of input file');
    const rejected = rejectionFromSharp('/a.jpg', 'jpeg', error);
    expect(rejected).toMatchObject({
      reason: 'truncated',
      code: 'invalid-payload',
      message:
        '/a.jpg: cannot decode jpeg: cut short or corrupt (VipsJpeg: Premature end of input file)',
    });
    expect(rejected.cause).toBe(error);
    expect(rejectionFromSharp('/a.png', 'png', 'broken').message).toBe(
      '/a.png: cannot decode png: cut short or corrupt (broken)',
    );
  });
});

describe('openImage', () => {
  it('reads a JPEG header: format, size and orientation', async () => {
    const image = await openImage(HELEN);
    expect(image).toMatchObject({ file: HELEN, format: 'jpeg', orientation: 1 });
    const { info } = await image.pipeline().raw().toBuffer({ resolveWithObject: true });
    expect([image.width, image.height]).toEqual([info.width, info.height]);
  });

  it('decodes a BMP itself', async () => {
    const file = path.join(dir, 'tiny.bmp');
    const pixels = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9, 1, 2, 3, 4, 5, 6]);
    await writeFile(file, encodeBmp(pixels, 3, 2, 24));
    const image = await openImage(file);
    expect(image).toMatchObject({ file, format: 'bmp', width: 3, height: 2, orientation: 1 });
    const { data, info } = await image.pipeline().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([3, 2, 3]);
    expect([...data]).toEqual([...pixels]);
  });

  it('refuses an image over the pixel limit before decoding it, JPEG or BMP', async () => {
    const { width, height } = await openImage(HELEN);
    // Exactly at the limit is within it.
    expect((await openImage(HELEN, { pixelLimit: width * height })).width).toBe(width);
    const big = await rejection(openImage(HELEN, { pixelLimit: width * height - 1 }));
    expect(big).toBeInstanceOf(PixelLimitExceeded);
    const file = path.join(dir, 'wide.bmp');
    await writeFile(file, encodeBmp(new Uint8Array(11 * 10 * 3), 11, 10, 24));
    expect((await openImage(file, { pixelLimit: 110 })).width).toBe(11);
    const bmp = await rejection(openImage(file, { pixelLimit: 109 }));
    expect(bmp).toBeInstanceOf(PixelLimitExceeded);
    expect(bmp.file).toBe(file);
  });

  it('names an empty file, one that is no image, and one that is not there', async () => {
    const empty = path.join(dir, 'empty.jpg');
    await writeFile(empty, '');
    expect(await rejection(openImage(empty))).toMatchObject({
      reason: 'empty',
      message: `${empty}: the file is empty (0 bytes)`,
    });
    const text = path.join(dir, 'text.jpg');
    await writeFile(text, 'hello, not an image');
    expect(await rejection(openImage(text))).toMatchObject({
      reason: 'not-an-image',
      message: `${text}: is not a JPEG, PNG, WebP, BMP or PPM image`,
    });
    const gone = path.join(dir, 'gone.jpg');
    const missing = await rejection(openImage(gone));
    expect(missing).toMatchObject({ reason: 'unreadable', code: 'io' });
    expect(missing.cause).toMatchObject({ code: 'ENOENT' });
    expect(missing.message).toBe(
      `${gone}: cannot be read (ENOENT: no such file or directory, stat '${gone}')`,
    );
  });

  it('names a JPEG whose header is cut short', async () => {
    const file = path.join(dir, 'cut.jpg');
    await writeFile(file, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a]));
    const cut = await rejection(openImage(file));
    expect(cut.reason).toBe('truncated');
    expect(cut.message.startsWith(`${file}: cannot decode jpeg: cut short or corrupt (`)).toBe(
      true,
    );
  });
});

describe('checkImageFileSize', () => {
  it('refuses a file over the limit from its size alone', async () => {
    const file = path.join(dir, 'eleven.jpg');
    await writeFile(file, 'x'.repeat(11));
    await expect(checkImageFileSize(file, 11)).resolves.toBeUndefined();
    expect(await rejection(checkImageFileSize(file, 10))).toMatchObject({
      reason: 'too-large',
      message: `${file}: 11 bytes is too large for an image file (the limit is 10 bytes)`,
    });
  });
});
