/**
 * The BMP reader (library/bmp.ts) on files written byte by byte here: BI_BITFIELDS with the
 * usual masks or others, V4/V5 headers, every refusal with its reason and message, and the
 * boundaries of each length check. decoders.test.ts reads the files of test-images.ts's writer.
 */
import { describe, expect, it } from 'vitest';
import { bmpDimensions, decodeBmp } from '../../../src-main/core/library/bmp';
import { MalformedImage } from '../../../src-main/core/library/image-rejected';
import { encodeBmp } from './test-images';

const u16 = (value: number): number[] => [value & 0xff, value >>> 8];
const u32 = (value: number): number[] => [
  value & 0xff,
  (value >>> 8) & 0xff,
  (value >>> 16) & 0xff,
  value >>> 24,
];
const i32 = (value: number): number[] => u32(value >>> 0);

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_BITFIELDS = 3;
/** The masks of BGRA pixels (red, green, blue), as almost every 32-bit BI_BITFIELDS file has. */
const BGRA_MASKS = [0x00ff0000, 0x0000ff00, 0x000000ff];

interface Header {
  pixelOffset: number;
  headerSize?: number;
  width: number;
  height: number;
  bits: number;
  compression: number;
}

/** The 14-byte file header and the first 40 bytes of the info header (BITMAPINFOHEADER). */
function headerBytes(h: Header, fileSize: number): number[] {
  return [
    ...[0x42, 0x4d], // 'BM'
    ...u32(fileSize),
    ...u32(0), // reserved
    ...u32(h.pixelOffset),
    ...u32(h.headerSize ?? 40),
    ...i32(h.width),
    ...i32(h.height),
    ...u16(1), // planes
    ...u16(h.bits),
    ...u32(h.compression),
    ...u32(0), // image size (may be 0 for BI_RGB)
    ...u32(2835), // 72 dpi, horizontal
    ...u32(2835), // and vertical
    ...u32(0), // colours used
    ...u32(0), // colours important
  ];
}

/** A file of these parts, its size field right. */
function file(h: Header, ...rest: number[][]): Buffer {
  const tail = rest.flat();
  return Buffer.from([...headerBytes(h, 54 + tail.length), ...tail]);
}

/** Where decodeBmp fails: its MalformedImage's reason and message. */
function refusal(bytes: Buffer): { reason: string; message: string } {
  try {
    decodeBmp(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedImage);
    const { reason, message } = error as MalformedImage;
    return { reason, message };
  }
  throw new Error('decodeBmp read the file');
}

describe('BMP with BI_BITFIELDS', () => {
  // 1×2, bottom-up: the file's first row is the image's last. Pixels are B, G, R, A.
  const bottom = [0x30, 0x20, 0x10, 0xff];
  const top = [0x03, 0x02, 0x01, 0xff];
  const layout = { width: 1, height: 2, bits: 32, compression: BI_BITFIELDS };

  it('reads 32-bit pixels with the BGRA masks after a 40-byte header', () => {
    const bytes = file({ ...layout, pixelOffset: 66 }, BGRA_MASKS.flatMap(u32), bottom, top);
    expect(bytes.length).toBe(74);
    const raw = decodeBmp(bytes);
    expect(raw).toEqual({
      data: Buffer.from([0x01, 0x02, 0x03, 0x10, 0x20, 0x30]),
      width: 1,
      height: 2,
      channels: 3,
    });
  });

  it.each([108, 124])('reads the masks inside a %i-byte (V4/V5) header', (headerSize) => {
    // The V4/V5 header holds the masks at the same place, then an alpha mask, colour space…
    const rest = Array.from({ length: headerSize - 40 - 12 }, (_, i) => (i === 0 ? 0xff : 0));
    const pixelOffset = 14 + headerSize;
    const bytes = file(
      { ...layout, headerSize, pixelOffset },
      BGRA_MASKS.flatMap(u32),
      rest,
      bottom,
      top,
    );
    expect([...decodeBmp(bytes).data]).toEqual([0x01, 0x02, 0x03, 0x10, 0x20, 0x30]);
  });

  it('refuses other masks as unsupported, naming them', () => {
    // RGBA order: red and blue swapped, green where BGRA has it.
    const rgba = [0x000000ff, 0x0000ff00, 0x00ff0000];
    const bytes = file({ ...layout, pixelOffset: 66 }, rgba.flatMap(u32), bottom, top);
    expect(refusal(bytes)).toEqual({
      reason: 'unsupported',
      message: 'BMP colour masks ff/ff00/ff0000 are not supported',
    });
    // One mask off is enough.
    const oneOff = [0x00ff0000, 0x0000ff00, 0xff000000];
    expect(refusal(file({ ...layout, pixelOffset: 66 }, oneOff.flatMap(u32), bottom, top))).toEqual(
      {
        reason: 'unsupported',
        message: 'BMP colour masks ff0000/ff00/ff000000 are not supported',
      },
    );
  });

  it('refuses masks cut short by the end of the file as truncated', () => {
    const bytes = file({ ...layout, pixelOffset: 54 }, BGRA_MASKS.flatMap(u32).slice(0, 11));
    expect(bytes.length).toBe(65);
    expect(refusal(bytes)).toEqual({
      reason: 'truncated',
      message: 'BMP colour masks are cut short',
    });
  });

  it('reads masks that end the file exactly (its one pixel shares their last bytes)', () => {
    // 66 bytes: the pixel at 62 is the blue mask's bytes, ff 00 00 00: blue.
    const bytes = file(
      { width: 1, height: 1, bits: 32, compression: BI_BITFIELDS, pixelOffset: 62 },
      BGRA_MASKS.flatMap(u32),
    );
    expect(bytes.length).toBe(66);
    expect([...decodeBmp(bytes).data]).toEqual([0, 0, 0xff]);
  });

  it('refuses BI_BITFIELDS at 24 bits as compressed', () => {
    const pixels = [0x30, 0x20, 0x10, 0x00, 0x03, 0x02, 0x01, 0x00];
    const bytes = file({ ...layout, bits: 24, pixelOffset: 66 }, BGRA_MASKS.flatMap(u32), pixels);
    expect(refusal(bytes)).toEqual({
      reason: 'unsupported',
      message: 'compressed BMP (method 3) is not supported',
    });
  });
});

describe('BMP refusals and boundaries', () => {
  const rgb = { width: 1, height: 1, bits: 24, compression: BI_RGB, pixelOffset: 54 };
  const pixel = [0x03, 0x02, 0x01, 0x00];

  it('reads a plain 1×1 24-bit file', () => {
    expect(decodeBmp(file(rgb, pixel))).toEqual({
      data: Buffer.from([1, 2, 3]),
      width: 1,
      height: 1,
      channels: 3,
    });
  });

  it('refuses a file shorter than its headers as truncated', () => {
    const bytes = file(rgb, pixel).subarray(0, 53);
    expect(refusal(bytes)).toEqual({ reason: 'truncated', message: 'BMP header is cut short' });
  });

  it('reads a file of just its headers when its pixel lies inside them', () => {
    // 54 bytes, pixel offset 51: the pixel is the last 3 bytes of "colours important" (0).
    const bytes = Buffer.from(headerBytes({ ...rgb, pixelOffset: 51 }, 54));
    expect(bytes.length).toBe(54);
    expect(decodeBmp(bytes).data).toEqual(Buffer.from([0, 0, 0]));
  });

  it.each([12, 39])('refuses a %i-byte (OS/2) info header as unsupported', (headerSize) => {
    expect(refusal(file({ ...rgb, headerSize }, pixel))).toEqual({
      reason: 'unsupported',
      message: `BMP header of ${headerSize} bytes (OS/2) is not supported`,
    });
  });

  it.each([
    [0, 1],
    [-1, 1],
    [1, 0],
  ])('refuses %i×%i pixels as truncated', (width, height) => {
    expect(refusal(file({ ...rgb, width, height }, pixel))).toEqual({
      reason: 'truncated',
      message: `BMP declares ${width}×${height} pixels`,
    });
  });

  it.each([1, 8, 16])('refuses %i-bit files as unsupported', (bits) => {
    expect(refusal(file({ ...rgb, bits }, pixel))).toEqual({
      reason: 'unsupported',
      message: `${bits}-bit BMP is not supported (24- or 32-bit only)`,
    });
  });

  it('refuses RLE as unsupported, naming the method', () => {
    expect(refusal(file({ ...rgb, compression: BI_RLE8 }, pixel))).toEqual({
      reason: 'unsupported',
      message: 'compressed BMP (method 1) is not supported',
    });
  });

  it('needs every pixel of the last row but not its padding', () => {
    // 5×3 at 24 bits: rows of 15 bytes padded to 16; the last row ends at 54 + 2 × 16 + 15.
    const values = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => i + 1);
    const whole = encodeBmp(values, 5, 3, 24);
    expect(whole.length).toBe(102);
    expect([...decodeBmp(whole.subarray(0, 101)).data]).toEqual([...values]);
    expect(refusal(whole.subarray(0, 100))).toEqual({
      reason: 'truncated',
      message: 'BMP ends before its last row of pixels',
    });
    // At 32 bits no row is padded: every byte of the last row is needed.
    const wide = encodeBmp(values, 5, 3, 32);
    expect([...decodeBmp(wide).data]).toEqual([...values]);
    expect(refusal(wide.subarray(0, wide.length - 1)).message).toBe(
      'BMP ends before its last row of pixels',
    );
  });
});

describe('bmpDimensions', () => {
  const layout = { bits: 24, compression: BI_RGB, pixelOffset: 54 };

  it('reads width and height (top-down heights are negative) from the first 30 bytes', () => {
    const topDown = Buffer.from(headerBytes({ ...layout, width: 7, height: -9 }, 54));
    expect(bmpDimensions(topDown.subarray(0, 30))).toEqual({ width: 7, height: 9 });
    const bottomUp = Buffer.from(headerBytes({ ...layout, width: 3, height: 4 }, 54));
    expect(bmpDimensions(bottomUp)).toEqual({ width: 3, height: 4 });
  });

  it('refuses a header cut short, and an OS/2 header', () => {
    const header = Buffer.from(headerBytes({ ...layout, width: 7, height: 9 }, 54));
    expect(() => bmpDimensions(header.subarray(0, 29))).toThrow(
      expect.objectContaining({ reason: 'truncated', message: 'BMP header is cut short' }),
    );
    const os2 = Buffer.from(header);
    os2.writeUInt32LE(39, 14);
    expect(() => bmpDimensions(os2)).toThrow(
      expect.objectContaining({
        reason: 'unsupported',
        message: 'BMP header of 39 bytes (OS/2) is not supported',
      }),
    );
    os2.writeUInt32LE(40, 14);
    expect(bmpDimensions(os2)).toEqual({ width: 7, height: 9 });
  });
});
