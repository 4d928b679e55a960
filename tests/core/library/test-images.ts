/** Helpers for the library tests: a BMP writer (the product only reads BMP) and data paths. */
import { join } from 'node:path';

export const DATA = join(import.meta.dirname, '../../../../shared/data');
export const BAD_IMAGES = join(import.meta.dirname, '../../fixtures/bad-input/images');

/** Encodes RGB pixels as an uncompressed BMP: 24-bit bottom-up or 32-bit (BGRA) top-down. */
export function encodeBmp(rgb: Uint8Array, width: number, height: number, bits: 24 | 32): Buffer {
  const bytesPerPixel = bits / 8;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  // Negative height: rows stored top-down; exercise both orders.
  out.writeInt32LE(bits === 32 ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  for (let y = 0; y < height; y++) {
    const row = 54 + (bits === 32 ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = row + x * bytesPerPixel;
      const s = (y * width + x) * 3;
      out[p] = rgb[s + 2] ?? 0;
      out[p + 1] = rgb[s + 1] ?? 0;
      out[p + 2] = rgb[s] ?? 0;
      if (bits === 32) out[p + 3] = 255;
    }
  }
  return out;
}
