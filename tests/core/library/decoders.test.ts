import { describe, expect, it } from 'vitest';
import { decodeBmp } from '../../../src-main/core/library/bmp';
import {
  formatFromContent,
  formatFromExtension,
} from '../../../src-main/core/library/image-formats';
import { MalformedImage } from '../../../src-main/core/library/image-rejected';
import { decodePnm } from '../../../src-main/core/library/pnm';
import { encodeBmp } from './test-images';

/** 5×3 pixels (odd width: BMP rows need padding) with distinct values everywhere. */
const width = 5;
const height = 3;
const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 17) % 256);

describe('BMP reader', () => {
  it.each([24, 32] as const)('reads %i-bit pixels in the right order', (bits) => {
    const raw = decodeBmp(encodeBmp(rgb, width, height, bits));
    expect([raw.width, raw.height, raw.channels]).toEqual([width, height, 3]);
    expect([...raw.data]).toEqual([...rgb]);
  });

  it('rejects a file cut inside its pixels as truncated', () => {
    const bytes = encodeBmp(rgb, width, height, 24);
    const cut = bytes.subarray(0, bytes.length - 8);
    expect(() => decodeBmp(cut)).toThrow(MalformedImage);
    expect(() => decodeBmp(cut)).toThrow(expect.objectContaining({ reason: 'truncated' }));
  });

  it('reports 8-bit palette files as unsupported', () => {
    const bytes = encodeBmp(rgb, width, height, 24);
    bytes.writeUInt16LE(8, 28);
    expect(() => decodeBmp(bytes)).toThrow(/8-bit BMP is not supported/);
  });
});

describe('Netpbm reader', () => {
  it('reads text P3 with comments the same as binary P6', () => {
    const p6 = Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), Buffer.from(rgb)]);
    const p3 = Buffer.from(`P3\n# a comment\n${width} ${height}\n255\n${[...rgb].join(' ')}\n`);
    expect([...decodePnm(p6).data]).toEqual([...rgb]);
    expect([...decodePnm(p3).data]).toEqual([...rgb]);
    expect(decodePnm(p3).channels).toBe(3);
  });

  it('scales 16-bit samples to 8 bits', () => {
    const samples = Buffer.alloc(2 * 3);
    [0, 32768, 65535].forEach((v, i) => samples.writeUInt16BE(v, 2 * i));
    const raw = decodePnm(Buffer.concat([Buffer.from('P5 3 1 65535\n'), samples]));
    expect([...raw.data]).toEqual([0, 128, 255]);
    expect(raw.channels).toBe(1);
  });

  it('rejects a file that ends before its pixels', () => {
    expect(() => decodePnm(Buffer.from('P6\n4 4\n255\nabc'))).toThrow(/ends before its last pixel/);
    expect(() => decodePnm(Buffer.from('P3\n2 2\n255\n1 2 3'))).toThrow(MalformedImage);
  });
});

describe('format sniffing', () => {
  it('trusts the bytes, not the extension', () => {
    expect(formatFromExtension('a/B.JPEG')).toBe('jpeg');
    expect(formatFromExtension('notes.txt')).toBeNull();
    expect(formatFromContent(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      'png',
    );
    expect(formatFromContent(Buffer.from('RIFF\0\0\0\0WEBP'))).toBe('webp');
    expect(formatFromContent(Buffer.from('P6 1 1 255\n'))).toBe('pnm');
    expect(formatFromContent(Buffer.from('This is text'))).toBeNull();
  });
});
