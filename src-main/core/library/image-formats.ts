/**
 * Which files the library imports, and what their bytes say they are. The extension picks the
 * candidates during a scan; the first bytes decide, so a text file named `.jpg` is rejected and a
 * PNG named `.jpg` is still read as a PNG.
 */
import { extname } from 'node:path';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'bmp' | 'pnm';

const FORMAT_BY_EXTENSION: Readonly<Record<string, ImageFormat>> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jpe': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
  '.bmp': 'bmp',
  '.dib': 'bmp',
  '.ppm': 'pnm',
  '.pgm': 'pnm',
  '.pnm': 'pnm',
};

/** The format a file name claims, or null when the scan should not pick it up. */
export function formatFromExtension(path: string): ImageFormat | null {
  return FORMAT_BY_EXTENSION[extname(path).toLowerCase()] ?? null;
}

/** How many leading bytes `formatFromContent` needs. */
export const SNIFF_BYTES = 12;

/** The format the leading bytes show, or null when they are no image we read. */
export function formatFromContent(head: Uint8Array): ImageFormat | null {
  const at = (i: number): number => head[i] ?? -1;
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.every((b, i) => at(i) === b)) return 'png';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp';
  if (ascii(head, 0, 2) === 'BM') return 'bmp';
  // Netpbm: P2/P5 grey, P3/P6 colour, then whitespace.
  if (at(0) === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(at(1)) && isSpace(at(2))) return 'pnm';
  return null;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

export function isSpace(byte: number): boolean {
  return (
    byte === 0x20 ||
    byte === 0x09 ||
    byte === 0x0a ||
    byte === 0x0d ||
    byte === 0x0b ||
    byte === 0x0c
  );
}

/** Decoded pixels handed to sharp as raw input (8-bit, interleaved, rows top to bottom). */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}
