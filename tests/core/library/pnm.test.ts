/**
 * The Netpbm reader (library/pnm.ts): each of P2, P3, P5 and P6, the scaling of other maximum
 * values, comments and whitespace in the header, and every refusal with its reason and message.
 * decoders.test.ts compares P3 with P6 and reads 16-bit P5.
 */
import { describe, expect, it } from 'vitest';
import { MalformedImage } from '../../../src-main/core/library/image-rejected';
import { decodePnm, pnmDimensions } from '../../../src-main/core/library/pnm';

/** A header in text and binary samples after it. */
const binary = (header: string, samples: number[]): Buffer =>
  Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(samples)]);

/** Where decodePnm fails: its MalformedImage's reason and message. */
function refusal(bytes: Buffer | string): { reason: string; message: string } {
  try {
    decodePnm(Buffer.from(bytes));
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedImage);
    const { reason, message } = error as MalformedImage;
    return { reason, message };
  }
  throw new Error('decodePnm read the file');
}

describe('Netpbm pixels', () => {
  it('reads binary grey (P5) as one channel, samples as they are at max 255', () => {
    expect(decodePnm(binary('P5\n3 1\n255\n', [0, 10, 255]))).toEqual({
      data: Buffer.from([0, 10, 255]),
      width: 3,
      height: 1,
      channels: 1,
    });
  });

  it('reads binary colour (P6) as three channels, rows in order', () => {
    const samples = [1, 2, 3, 4, 5, 6];
    expect(decodePnm(binary('P6\n1 2\n255\n', samples))).toEqual({
      data: Buffer.from(samples),
      width: 1,
      height: 2,
      channels: 3,
    });
  });

  it('reads text grey (P2) and text colour (P3)', () => {
    expect(decodePnm(Buffer.from('P2\n2 2\n255\n0 1\n2 255\n'))).toEqual({
      data: Buffer.from([0, 1, 2, 255]),
      width: 2,
      height: 2,
      channels: 1,
    });
    expect(decodePnm(Buffer.from('P3 1 1 255 7 8 9'))).toEqual({
      data: Buffer.from([7, 8, 9]),
      width: 1,
      height: 1,
      channels: 3,
    });
  });

  it('scales other maximum values to 0–255, and clamps samples above the maximum', () => {
    // Max 15: v × 255 / 15 = v × 17; 200 is above the maximum and reads as 15.
    const grey = decodePnm(binary('P5 5 1 15\n', [0, 7, 8, 15, 200]));
    expect([...grey.data]).toEqual([0, 119, 136, 255, 255]);
    // Text at max 1000: 500 × 255 / 1000 = 127.5 rounds up; 4000 is clamped.
    const text = decodePnm(Buffer.from('P2 4 1 1000 0 500 1000 4000'));
    expect([...text.data]).toEqual([0, 128, 255, 255]);
    // Max 1: a bilevel image in grey.
    expect([...decodePnm(binary('P5 2 1 1\n', [0, 1])).data]).toEqual([0, 255]);
  });

  it('reads two bytes a sample, big-endian, from max 256 up', () => {
    // 256: 128 × 255 / 256 = 127.5 → 128; 256 → 255; 0x0100 is 256, not 1.
    const raw = decodePnm(binary('P5 3 1 256\n', [0x00, 0x80, 0x01, 0x00, 0x00, 0x00]));
    expect([...raw.data]).toEqual([128, 255, 0]);
    const colour = decodePnm(binary('P6 1 1 65535\n', [0xff, 0xff, 0x80, 0x00, 0x00, 0x01]));
    expect([...colour.data]).toEqual([255, 128, 0]);
  });

  it('skips comments and any whitespace in the header, then exactly one byte before binary samples', () => {
    const header = 'P5#after the magic 9\n# a line 8\n\t2\r\n#7\n1 # 6 5\n255\n';
    // The samples start with bytes that are whitespace and '#': read as samples, not skipped.
    expect([...decodePnm(binary(header, [0x20, 0x23])).data]).toEqual([0x20, 0x23]);
    expect(pnmDimensions(binary(header, [0x20, 0x23]))).toEqual({ width: 2, height: 1 });
  });

  it('reads text samples across comments and line ends', () => {
    const raw = decodePnm(Buffer.from('P2 3 1 255\n10 # 99\n20\t30'));
    expect([...raw.data]).toEqual([10, 20, 30]);
  });
});

describe('Netpbm refusals', () => {
  it.each(['P1', 'P4', 'P7', 'PX', 'BM', 'p6', ''])(
    'refuses magic %j as not a Netpbm file',
    (magic) => {
      expect(refusal(`${magic} 1 1 255\n\0\0\0`)).toEqual({
        reason: 'not-an-image',
        message: 'not a Netpbm file',
      });
    },
  );

  it.each(['P6', 'P6 1', 'P6 1 1', 'P6 1 1 # no max\n', 'P2 2\n'])(
    'refuses the header %j as cut short',
    (text) => {
      expect(refusal(text)).toEqual({
        reason: 'truncated',
        message: `${text.slice(0, 2)} header is cut short`,
      });
    },
  );

  it.each([
    ['P5 0 1 255\n', '0×1, max 255'],
    ['P5 1 0 255\n', '1×0, max 255'],
    ['P5 1 1 0\n', '1×1, max 0'],
    ['P5 1 1 65536\n', '1×1, max 65536'],
  ])('refuses %j: it declares %s', (header, declared) => {
    expect(refusal(binary(header, [0, 0, 0]))).toEqual({
      reason: 'truncated',
      message: `P5 header declares ${declared}`,
    });
  });

  it('refuses a non-number where a number belongs, in the header or the samples', () => {
    const nonNumber = {
      reason: 'truncated',
      message: 'Netpbm file has a non-number where a number belongs',
    };
    expect(refusal('P5 2x2 255\n\0\0\0\0')).toEqual(nonNumber);
    expect(refusal('P2 -1 1 255\n0')).toEqual(nonNumber);
    expect(refusal('P2 2 1 255\n7 x')).toEqual(nonNumber);
    expect(refusal('P3 1 1 255\n7 8.5 9')).toEqual(nonNumber);
  });

  it('refuses samples that end early, binary and text', () => {
    expect(refusal(binary('P6 1 2 255\n', [1, 2, 3, 4, 5]))).toEqual({
      reason: 'truncated',
      message: 'P6 file ends before its last pixel',
    });
    // Two bytes a sample: 3 samples need 6 bytes.
    expect(refusal(binary('P5 3 1 1000\n', [0, 1, 0, 2, 0]))).toEqual({
      reason: 'truncated',
      message: 'P5 file ends before its last pixel',
    });
    expect(refusal('P2 2 2 255\n1 2 3 # the fourth is missing')).toEqual({
      reason: 'truncated',
      message: 'P2 file ends before its last pixel',
    });
  });
});

describe('pnmDimensions', () => {
  it('reads width and height from the header alone', () => {
    expect(pnmDimensions(Buffer.from('P6\n640 480\n255\n'))).toEqual({ width: 640, height: 480 });
    expect(() => pnmDimensions(Buffer.from('P6\n640'))).toThrow('P6 header is cut short');
  });
});
