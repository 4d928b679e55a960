/**
 * A small BMP reader, because sharp (libvips) does not decode BMP. It reads what cameras, Windows
 * tools and dataset scripts write: uncompressed 24- and 32-bit (BI_RGB, or BI_BITFIELDS with the
 * usual BGRA masks), bottom-up or top-down, with a BITMAPINFOHEADER or a larger V4/V5 header.
 * Palette and RLE files are reported as unsupported rather than guessed at.
 */
import type { RawImage } from './image-formats';
import { MalformedImage } from './image-rejected';

const FILE_HEADER = 14;
const BI_RGB = 0;
const BI_BITFIELDS = 3;

/** Width and height from the header alone, so the pixel limit is checked before any allocation. */
export function bmpDimensions(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < FILE_HEADER + 16)
    throw new MalformedImage('truncated', 'BMP header is cut short');
  const headerSize = bytes.readUInt32LE(FILE_HEADER);
  if (headerSize < 40)
    throw new MalformedImage(
      'unsupported',
      `BMP header of ${headerSize} bytes (OS/2) is not supported`,
    );
  return {
    width: bytes.readInt32LE(FILE_HEADER + 4),
    height: Math.abs(bytes.readInt32LE(FILE_HEADER + 8)),
  };
}

export function decodeBmp(bytes: Buffer): RawImage {
  if (bytes.length < FILE_HEADER + 40)
    throw new MalformedImage('truncated', 'BMP header is cut short');
  const pixelOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(FILE_HEADER);
  if (headerSize < 40)
    throw new MalformedImage(
      'unsupported',
      `BMP header of ${headerSize} bytes (OS/2) is not supported`,
    );
  const width = bytes.readInt32LE(FILE_HEADER + 4);
  const rawHeight = bytes.readInt32LE(FILE_HEADER + 8);
  const bitsPerPixel = bytes.readUInt16LE(FILE_HEADER + 14);
  const compression = bytes.readUInt32LE(FILE_HEADER + 16);
  if (width <= 0 || rawHeight === 0)
    throw new MalformedImage('truncated', `BMP declares ${width}×${rawHeight} pixels`);
  if (bitsPerPixel !== 24 && bitsPerPixel !== 32) {
    throw new MalformedImage(
      'unsupported',
      `${bitsPerPixel}-bit BMP is not supported (24- or 32-bit only)`,
    );
  }
  const bitfields = compression === BI_BITFIELDS && bitsPerPixel === 32;
  if (compression !== BI_RGB && !bitfields) {
    throw new MalformedImage(
      'unsupported',
      `compressed BMP (method ${compression}) is not supported`,
    );
  }
  if (bitfields) checkStandardMasks(bytes);

  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  const bytesPerPixel = bitsPerPixel / 8;
  // Rows are padded to a multiple of 4 bytes.
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  if (pixelOffset + stride * (height - 1) + width * bytesPerPixel > bytes.length) {
    throw new MalformedImage('truncated', 'BMP ends before its last row of pixels');
  }
  const out = Buffer.allocUnsafe(width * height * 3);
  for (let row = 0; row < height; row++) {
    const source = pixelOffset + (topDown ? row : height - 1 - row) * stride;
    let target = row * width * 3;
    for (let col = 0; col < width; col++) {
      const p = source + col * bytesPerPixel;
      // Stored as B, G, R(, A).
      out[target++] = bytes[p + 2] ?? 0;
      out[target++] = bytes[p + 1] ?? 0;
      out[target++] = bytes[p] ?? 0;
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** BI_BITFIELDS: only the common BGRA layout; other masks would need per-pixel bit shuffling. */
function checkStandardMasks(bytes: Buffer): void {
  // Masks follow a 40-byte header, or sit inside a V4/V5 header at the same offset.
  const at = FILE_HEADER + 40;
  if (at + 12 > bytes.length)
    throw new MalformedImage('truncated', 'BMP colour masks are cut short');
  const masks = [bytes.readUInt32LE(at), bytes.readUInt32LE(at + 4), bytes.readUInt32LE(at + 8)];
  const standard = [0x00ff0000, 0x0000ff00, 0x000000ff];
  if (masks.some((m, i) => m !== standard[i])) {
    throw new MalformedImage(
      'unsupported',
      `BMP colour masks ${masks.map((m) => m.toString(16)).join('/')} are not supported`,
    );
  }
}
