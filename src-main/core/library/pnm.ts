/**
 * A small Netpbm reader, because sharp's prebuilt libvips has no PPM loader. Reads P6 (binary
 * colour), P3 (text colour), P5 (binary grey) and P2 (text grey), 8- or 16-bit; 16-bit samples and
 * other maximum values are scaled to 0–255.
 */
import { isSpace, type RawImage } from './image-formats';
import { MalformedImage } from './image-rejected';

interface PnmHeader {
  magic: 'P2' | 'P3' | 'P5' | 'P6';
  width: number;
  height: number;
  maxValue: number;
  /** Offset of the first sample byte. */
  dataOffset: number;
}

/** Width and height from the header alone, so the pixel limit is checked before any allocation. */
export function pnmDimensions(bytes: Buffer): { width: number; height: number } {
  const { width, height } = readHeader(bytes);
  return { width, height };
}

export function decodePnm(bytes: Buffer): RawImage {
  const header = readHeader(bytes);
  const { magic, width, height, maxValue, dataOffset } = header;
  const channels = magic === 'P3' || magic === 'P6' ? 3 : 1;
  const count = width * height * channels;
  const out = Buffer.allocUnsafe(count);
  const scale = (v: number): number => Math.round((Math.min(v, maxValue) * 255) / maxValue);

  if (magic === 'P5' || magic === 'P6') {
    const sampleBytes = maxValue > 255 ? 2 : 1;
    if (dataOffset + count * sampleBytes > bytes.length) {
      throw new MalformedImage('truncated', `${magic} file ends before its last pixel`);
    }
    for (let i = 0; i < count; i++) {
      const v =
        sampleBytes === 2 ? bytes.readUInt16BE(dataOffset + 2 * i) : (bytes[dataOffset + i] ?? 0);
      out[i] = maxValue === 255 ? v : scale(v);
    }
  } else {
    const reader = new TokenReader(bytes, dataOffset);
    for (let i = 0; i < count; i++) {
      const v = reader.number();
      if (v === null)
        throw new MalformedImage('truncated', `${magic} file ends before its last pixel`);
      out[i] = scale(v);
    }
  }
  return { data: out, width, height, channels };
}

function readHeader(bytes: Buffer): PnmHeader {
  const magic = bytes.toString('latin1', 0, 2);
  if (magic !== 'P2' && magic !== 'P3' && magic !== 'P5' && magic !== 'P6') {
    throw new MalformedImage('not-an-image', 'not a Netpbm file');
  }
  const reader = new TokenReader(bytes, 2);
  const width = reader.number();
  const height = reader.number();
  const maxValue = reader.number();
  if (width === null || height === null || maxValue === null) {
    throw new MalformedImage('truncated', `${magic} header is cut short`);
  }
  if (width < 1 || height < 1 || maxValue < 1 || maxValue > 65535) {
    throw new MalformedImage(
      'truncated',
      `${magic} header declares ${width}×${height}, max ${maxValue}`,
    );
  }
  // Binary samples start after exactly one whitespace byte following the max value.
  return { magic, width, height, maxValue, dataOffset: reader.offset + 1 };
}

/** Reads whitespace-separated decimal numbers, skipping `#` comments to the end of the line. */
class TokenReader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
  ) {}

  number(): number | null {
    const { bytes } = this;
    while (this.offset < bytes.length) {
      const b = bytes[this.offset] ?? 0;
      if (b === 0x23) {
        while (this.offset < bytes.length && bytes[this.offset] !== 0x0a) this.offset++;
      } else if (isSpace(b)) {
        this.offset++;
      } else break;
    }
    let value = 0;
    let digits = 0;
    while (this.offset < bytes.length) {
      const b = bytes[this.offset] ?? 0;
      if (b < 0x30 || b > 0x39) break;
      value = value * 10 + (b - 0x30);
      digits++;
      this.offset++;
    }
    if (digits === 0) {
      if (this.offset < bytes.length)
        throw new MalformedImage(
          'truncated',
          'Netpbm file has a non-number where a number belongs',
        );
      return null;
    }
    return value;
  }
}
