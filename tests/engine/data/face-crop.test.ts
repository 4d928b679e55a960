import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { OpenedImage } from '../../../src-main/core/library/image-source';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cropFaceBytes,
  cropFaces,
  CropCutter,
  DEFAULT_CROP_POLICY,
  faceCropBox,
  fromCrop,
  toCrop,
  type RgbImage,
} from '../../../src-main/engine/data/face-crop';
import { CropPolicy } from '../../../src-main/shared/model-card';
import type { PlacedPoint } from '../../../src-main/shared/domain';
import { useWasm } from '../../support/engine-helpers';

let dir: string;
beforeAll(async () => {
  await useWasm();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-face-crop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const policy: CropPolicy = { from: 'face-box', margin: 0.25, landmarksToFaceBox: 1.2 };

/** An image whose red channel is x and green channel is y (both < 256), blue 100. */
function ramp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, 100], (y * width + x) * 3);
  }
  return { data, width, height, channels: 3 };
}

/** Red 8·x, green 8·y, blue 100 (x, y < 32): bilinear samples of it are exact even numbers. */
function steepRamp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([8 * x, 8 * y, 100], (y * width + x) * 3);
  }
  return { data, width, height, channels: 3 };
}

/** Black and white pixels alternating in both directions: detail only averaging removes. */
function checkerboard(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data.fill((x + y) % 2 ? 255 : 0, (y * width + x) * 3, (y * width + x + 1) * 3);
  }
  return { data, width, height, channels: 3 };
}

/** Pixel (i, j) of a `size`-wide crop of bytes or floats. */
function pixelOf(crop: ArrayLike<number>, size: number, i: number, j: number): number[] {
  const o = (j * size + i) * 3;
  return [crop[o]!, crop[o + 1]!, crop[o + 2]!];
}

describe('crop policy', () => {
  it('is a valid card policy', () => {
    expect(CropPolicy.parse(DEFAULT_CROP_POLICY)).toEqual(DEFAULT_CROP_POLICY);
  });

  it('squares the detection box about its centre and grows it by the margin', () => {
    const detection = {
      box: { x: 10, y: 20, width: 40, height: 60 },
      crop: { x: 0, y: 0, width: 1, height: 1 },
      score: 0.9,
    };
    // Centre (30, 50); longer side 60 × (1 + 2·0.25) = 90. Points are ignored when a box is known.
    const points: PlacedPoint[] = [
      { x: 0, y: 0, v: 2 },
      { x: 5, y: 5, v: 2 },
    ];
    expect(faceCropBox({ width: 100, height: 100 }, { detection, points }, policy)).toEqual({
      x: -15,
      y: 5,
      width: 90,
      height: 90,
    });
  });

  it('uses the labelled points box × landmarksToFaceBox, ignoring unlabelled points', () => {
    const points: PlacedPoint[] = [
      { x: 10, y: 10, v: 2 },
      { x: 60, y: 30, v: 1 },
      { x: 500, y: 500, v: 0 },
    ];
    // Box 50 × 20 about (35, 20); side 50 × 1.2 × 1.5 = 90.
    const box = faceCropBox({ width: 100, height: 100 }, { detection: null, points }, policy);
    expect(box.width).toBeCloseTo(90, 10);
    expect(box.x + box.width / 2).toBeCloseTo(35, 10);
    expect(box.y + box.height / 2).toBeCloseTo(20, 10);
  });

  it('falls back to the whole image squared about its centre', () => {
    expect(faceCropBox({ width: 40, height: 20 }, {}, policy)).toEqual({
      x: -0.5,
      y: -10.5,
      width: 40,
      height: 40,
    });
  });

  it('refuses a face box of no size', () => {
    expect(() =>
      faceCropBox({ width: 9, height: 9 }, { points: [{ x: 3, y: 3, v: 2 }] }, policy),
    ).toThrow(/no size/);
  });
});

describe('crop coordinates', () => {
  it('puts crop pixel i at u = (i + 0.5) / S and round-trips', () => {
    const box = { x: 10, y: 20, width: 64, height: 64 };
    const size = 16;
    // Crop pixel 3's centre is at 10 + 3.5 · 4 = 24 image px.
    const [u] = toCrop([{ x: 24, y: 20 + 7.5 * 4 }], box);
    expect(u!.x).toBeCloseTo((3 + 0.5) / size, 12);
    expect(u!.y).toBeCloseTo((7 + 0.5) / size, 12);
    const points = [
      { x: 1.25, y: -3 },
      { x: 99, y: 42.5 },
    ];
    const back = fromCrop(toCrop(points, box), box);
    back.forEach((p, i) => {
      expect(p.x).toBeCloseTo(points[i]!.x, 10);
      expect(p.y).toBeCloseTo(points[i]!.y, 10);
    });
  });
});

describe('cropping', () => {
  it('samples the box at the crop pixel centres, black beyond the image', async () => {
    const image = ramp(40, 30);
    // Box from pixel 9.5 to 17.5 in x (8 px, 8 crop px): crop pixel i's centre is image px 10 + i.
    // In y it starts 4 px above the image: the first 4 rows are black, then rows 0, 1, 2, 3.
    const [crop] = await cropFaceBytes(image, [{ x: 9.5, y: -4.5, width: 8, height: 8 }], 8);
    for (let j = 0; j < 8; j++) {
      for (let i = 0; i < 8; i++) {
        const o = (j * 8 + i) * 3;
        const pixel = [crop![o], crop![o + 1], crop![o + 2]];
        expect(pixel).toEqual(j < 4 ? [0, 0, 0] : [10 + i, j - 4, 100]);
      }
    }
  });

  it('puts a labelled point where toCrop says, also when the image is shrunk first', async () => {
    // A 600×500 image, black with one bright 9×9 square centred at (412, 237); the box is 300 px
    // for a 24-px crop, so sharp shrinks ~12× before sampling.
    const width = 600;
    const height = 500;
    const data = new Uint8Array(width * height * 3);
    for (let y = 233; y <= 241; y++) {
      for (let x = 408; x <= 416; x++) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
    const box = { x: 280.3, y: 101.7, width: 300, height: 300 };
    const size = 24;
    const [crop] = await cropFaceBytes({ data, width, height, channels: 3 }, [box], size);
    // The weighted centre of brightness, in crop pixels.
    let [sum, sx, sy] = [0, 0, 0];
    for (let j = 0; j < size; j++) {
      for (let i = 0; i < size; i++) {
        const v = crop![(j * size + i) * 3]!;
        sum += v;
        sx += v * i;
        sy += v * j;
      }
    }
    const [u] = toCrop([{ x: 412, y: 237 }], box);
    expect(sum).toBeGreaterThan(0);
    // Within a fifth of a crop pixel (12 image px each).
    expect(Math.abs((sx / sum + 0.5) / size - u!.x)).toBeLessThan(0.2 / size);
    expect(Math.abs((sy / sum + 0.5) / size - u!.y)).toBeLessThan(0.2 / size);
  });

  it('reads files with the library decoders and gives [n, S, S, 3] in [0, 1]', async () => {
    const image = ramp(40, 30);
    const file = path.join(dir, 'ramp.png');
    await sharp(image.data, { raw: { width: 40, height: 30, channels: 3 } })
      .png()
      .toFile(file);
    const boxes = [
      { x: 9.5, y: 4.5, width: 8, height: 8 },
      { x: 30, y: 20, width: 20, height: 20 },
    ];
    const fromFile = await cropFaces(file, boxes, 8);
    const fromPixels = await cropFaces(image, boxes, 8);
    expect(fromFile.shape).toEqual([2, 8, 8, 3]);
    const [a, b] = [await fromFile.data(), await fromPixels.data()];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a[0]).toBeCloseTo(10 / 255, 6);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    fromFile.dispose();
    fromPixels.dispose();
  });

  it('names the file that cannot be decoded', async () => {
    const file = path.join(dir, 'broken.png');
    const png = await sharp({
      create: { width: 64, height: 64, channels: 3, background: '#808080' },
    })
      .png()
      .toBuffer();
    await writeFile(file, png.subarray(0, 60));
    await expect(cropFaces(file, [{ x: 0, y: 0, width: 10, height: 10 }], 4)).rejects.toThrow(
      /broken\.png/,
    );
  });

  it('names the file whose header reads but whose pixels are cut short', async () => {
    // Noise does not compress: half the file is half the pixel data, after a whole header.
    const noise = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 2654435761) >>> 24);
    const png = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const file = path.join(dir, 'half.png');
    await writeFile(file, png.subarray(0, png.length >> 1));
    await expect(cropFaceBytes(file, [{ x: 0, y: 0, width: 10, height: 10 }], 4)).rejects.toThrow(
      /half\.png: cannot decode png: cut short or corrupt/,
    );
  });

  it('refuses an empty box', async () => {
    await expect(cropFaces(ramp(4, 4), [{ x: 0, y: 0, width: 0, height: 3 }], 4)).rejects.toThrow(
      /empty/,
    );
    await expect(
      cropFaceBytes(ramp(4, 4), [{ x: 0, y: 0, width: 3, height: 0 }], 4),
    ).rejects.toThrow(/empty or non-finite box \{"x":0,"y":0,"width":3,"height":0\}/);
  });

  it('refuses a box that starts at a non-finite place, whichever coordinate', async () => {
    for (const box of [
      { x: NaN, y: 0, width: 3, height: 3 },
      { x: 0, y: Infinity, width: 3, height: 3 },
    ]) {
      await expect(cropFaceBytes(ramp(4, 4), [box], 4)).rejects.toThrow(/non-finite box/);
    }
  });

  it('refuses a crop size that is not a positive integer; a size of 1 is one pixel', async () => {
    const image = steepRamp(4, 4);
    const box = { x: 0.5, y: 1.5, width: 2, height: 2 };
    await expect(cropFaceBytes(image, [box], 0)).rejects.toThrow(
      /Crop size must be a positive integer, got 0/,
    );
    await expect(cropFaces(image, [box], 2.5)).rejects.toThrow(/positive integer, got 2\.5/);
    // The box's one sample is at its centre, (1.5, 2.5): between pixels 1 and 2, rows 2 and 3.
    const [one] = await cropFaceBytes(image, [box], 1);
    expect(Array.from(one!)).toEqual([12, 20, 100]);
  });

  it('crops grey and RGBA pixels as RGB', async () => {
    // 2×2 grey (10, 20, 30, 40) and the same as RGBA with a varying alpha (ignored).
    const grey = {
      data: Uint8Array.from([10, 20, 30, 40]),
      width: 2,
      height: 2,
      channels: 1 as const,
    };
    const rgba = {
      data: Uint8Array.from([10, 10, 10, 0, 20, 20, 20, 90, 30, 30, 30, 180, 40, 40, 40, 255]),
      width: 2,
      height: 2,
      channels: 4 as const,
    };
    const box = { x: -0.5, y: -0.5, width: 2, height: 2 };
    const want = [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40];
    for (const image of [grey, rgba]) {
      const [crop] = await cropFaceBytes(image, [box], 2);
      expect(Array.from(crop!), `${image.channels} channels`).toEqual(want);
    }
  });

  it('refuses decoded pixels whose byte count does not match their size, naming both', async () => {
    const image = { data: new Uint8Array(47), width: 4, height: 4, channels: 3 as const };
    await expect(cropFaceBytes(image, [{ x: 0, y: 0, width: 2, height: 2 }], 2)).rejects.toThrow(
      'Decoded image of 4×4×3 needs 48 bytes, got 47',
    );
  });

  it('says which decoded pixels cannot be cropped when the decoder refuses them', async () => {
    // Zero by zero: the byte count matches (none), but sharp takes no image of no size.
    const image = { data: new Uint8Array(0), width: 0, height: 0, channels: 3 as const };
    const refused = cropFaceBytes(image, [{ x: 0, y: 0, width: 2, height: 2 }], 2);
    await expect(refused).rejects.toThrow(/^Decoded image cannot be cropped: ./);
    // sharp's own error is kept as the cause.
    await expect(refused).rejects.toHaveProperty('cause', expect.any(Error));
  });

  it('interpolates between the four nearest pixels, reads the edge pixel within half a pixel of the border and is black beyond', async () => {
    const W = 6;
    const H = 5;
    // Samples a quarter pixel apart from −0.75 to 5.75 in x and in y: crop pixel i is at
    // −0.75 + 0.25·i. The image covers −0.5..W − 0.5 (pixel centres on integers).
    const size = 27;
    const at = (i: number) => -0.75 + 0.25 * i;
    const [crop] = await cropFaceBytes(
      steepRamp(W, H),
      [{ x: -0.875, y: -0.875, width: 6.75, height: 6.75 }],
      size,
    );
    const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
    for (let j = 0; j < size; j++) {
      for (let i = 0; i < size; i++) {
        const [x, y] = [at(i), at(j)];
        const inside = x >= -0.5 && x <= W - 0.5 && y >= -0.5 && y <= H - 0.5;
        // A linear ramp's bilinear sample is the ramp at the (edge-clamped) point.
        const want = inside ? [8 * clamp(x, W - 1), 8 * clamp(y, H - 1), 100] : [0, 0, 0];
        expect(pixelOf(crop!, size, i, j), `crop pixel (${i}, ${j}) at (${x}, ${y})`).toEqual(want);
      }
    }
    // Spelled out for one row (y = 1.25): black at −0.75, the left edge pixel for x in −0.5..0, a quarter
    // pixel apart the red rises by 2 in between, the right edge pixel up to x = 5.5, black past it.
    const row = Array.from({ length: size }, (_, i) => pixelOf(crop!, size, i, 8)[0]);
    expect(row.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(pixelOf(crop!, size, 0, 8)[2]).toBe(0);
    expect(pixelOf(crop!, size, 1, 8)).toEqual([0, 10, 100]);
    expect(row.slice(4, 8)).toEqual([2, 4, 6, 8]);
    expect(row.slice(22, 27)).toEqual([38, 40, 40, 40, 0]);
    expect(pixelOf(crop!, size, 25, 8)).toEqual([40, 10, 100]);
    expect(pixelOf(crop!, size, 26, 8)).toEqual([0, 0, 0]);
  });

  it('shrinks a box much larger than the crop first, so fine detail averages instead of aliasing', async () => {
    // Every sample of the unshrunk checkerboard would land on a black pixel (centres 5 + 10·i).
    const [crop] = await cropFaceBytes(
      checkerboard(300, 300),
      [{ x: 0, y: 0, width: 240, height: 240 }],
      24,
    );
    for (const v of crop!) expect(Math.abs(v - 128)).toBeLessThan(24);
  });

  it('shrinks a one-pixel-wide or one-pixel-tall image along its length', async () => {
    // The image's one column (row) alternates black and white; the box is 10× the crop.
    const column = { ...checkerboard(1, 300) };
    const row = { ...checkerboard(300, 1) };
    const [down] = await cropFaceBytes(column, [{ x: -5, y: 0, width: 240, height: 240 }], 24);
    const [across] = await cropFaceBytes(row, [{ x: 0, y: -5, width: 240, height: 240 }], 24);
    for (let k = 0; k < 24; k++) {
      expect(Math.abs(pixelOf(down!, 24, 0, k)[0]! - 128), `row ${k}`).toBeLessThan(24);
      expect(Math.abs(pixelOf(across!, 24, k, 0)[0]! - 128), `column ${k}`).toBeLessThan(24);
    }
  });

  it('shrinks by the smallest box and its shorter side, and gives every box its own crop', async () => {
    const image = checkerboard(300, 300);
    // A box 8 × 40 for an 8-px crop is not shrunk (its shorter side is the crop's): the samples at
    // (i, 5·j + 2) are the checkerboard's pixels, black or white.
    const tall = { x: -0.5, y: -0.5, width: 8, height: 40 };
    const [tallCrop] = await cropFaceBytes(image, [tall], 8);
    for (let j = 0; j < 8; j++) {
      for (let i = 0; i < 8; i++) {
        const v = (i + 5 * j + 2) % 2 ? 255 : 0;
        expect(pixelOf(tallCrop!, 8, i, j)).toEqual([v, v, v]);
      }
    }
    // With a box 30× the crop beside it, the tall box still gets its unshrunk crop, and the large
    // one is cut from the same decode, in the second place.
    const large = { x: 0, y: 0, width: 240, height: 240 };
    const together = await cropFaces(image, [tall, large], 8);
    const floats = Array.from(await together.data());
    together.dispose();
    const bytes = await cropFaceBytes(image, [tall, large], 8);
    expect(floats.slice(0, 192)).toEqual(Array.from(tallCrop!, (v) => v / 255));
    expect(floats.slice(192)).toEqual(Array.from(bytes[1]!, (v) => v / 255));
    expect(Array.from(bytes[0]!)).toEqual(Array.from(tallCrop!));
  });
});

describe('cutting several crops of one image', () => {
  /** The ramp as an opened image whose decodes are counted. */
  function countedRamp(width: number, height: number) {
    const image = ramp(width, height);
    let decodes = 0;
    const opened: OpenedImage = {
      file: 'ramp.raw',
      format: 'png',
      width,
      height,
      orientation: 1,
      pipeline: () => {
        decodes++;
        return sharp(image.data, { raw: { width, height, channels: 3 } });
      },
    };
    return { image, opened, decodes: () => decodes };
  }
  const near = { x: 9.5, y: -4.5, width: 16, height: 16 };
  const moved = { x: 12.25, y: 3.5, width: 14, height: 14 };
  // Up to twice the crop (8 px) is cut from the full-size decode; this is shrunk first.
  const wide = { x: -20, y: -30, width: 120, height: 120 };

  it('gives each box exactly what cropFaces gives, decoding once while the shrink is the same', async () => {
    const { image, opened, decodes } = countedRamp(80, 60);
    const cutter = new CropCutter(opened, 1e6);
    for (const box of [near, moved, wide]) {
      const want = cropFaces(image, [box], 8);
      const got = await cutter.cutFloats([box], 8);
      expect(Array.from(got)).toEqual(Array.from(await (await want).data()));
      (await want).dispose();
    }
    // near and moved share the full-size decode; wide needs its own.
    expect(decodes()).toBe(2);
  });

  it('keeps no decode over keepBytes, and writes into a given array at an offset', async () => {
    const { image, opened, decodes } = countedRamp(80, 60);
    const cutter = new CropCutter(opened, 80 * 60 * 3 - 1);
    const out = new Float32Array(3 * 8 * 8 * 3).fill(7);
    await cutter.cutFloats([near], 8, out, 8 * 8 * 3);
    await cutter.cutFloats([moved], 8, out, 2 * 8 * 8 * 3);
    expect(decodes()).toBe(2);
    const want = await cropFaces(image, [near, moved], 8);
    expect(Array.from(out.subarray(8 * 8 * 3))).toEqual(Array.from(await want.data()));
    // The rows above the image are black even where the array held something else.
    expect(out[8 * 8 * 3]).toBe(0);
    expect(out[0]).toBe(7);
    want.dispose();
  });

  it('writes nothing past its crops in a larger array', async () => {
    const { opened } = countedRamp(80, 60);
    const out = new Float32Array(2 * 8 * 8 * 3).fill(7);
    // moved lies inside the image: a row or column past the crop would be a sample inside too.
    await new CropCutter(opened).cutFloats([moved], 8, out, 0);
    expect(out.subarray(0, 8 * 8 * 3).every((v) => v !== 7)).toBe(true);
    expect(out.subarray(8 * 8 * 3).every((v) => v === 7)).toBe(true);
  });

  it('keeps a decode of exactly keepBytes, reuses it for the same box, and drops it on release', async () => {
    const { opened, decodes } = countedRamp(80, 60);
    const cutter = new CropCutter(opened, 80 * 60 * 3);
    // near is exactly twice the crop: not shrunk, and the same decode serves it again.
    const first = await cutter.cutFloats([near], 8);
    expect(Array.from(await cutter.cutFloats([near], 8))).toEqual(Array.from(first));
    await cutter.cutFloats([moved], 8);
    expect(decodes()).toBe(1);
    cutter.release();
    await cutter.cutFloats([moved], 8);
    expect(decodes()).toBe(2);
  });

  it('decodes nothing for no boxes', async () => {
    const { opened, decodes } = countedRamp(80, 60);
    expect(await new CropCutter(opened, 1e6).cutFloats([], 8)).toEqual(new Float32Array(0));
    expect(await cropFaceBytes(opened, [], 8)).toEqual([]);
    // Nor opens a file: there is none here.
    expect(await cropFaceBytes(path.join(dir, 'absent.png'), [], 8)).toEqual([]);
    expect(decodes()).toBe(0);
  });

  it('decodes again when a shrink changes only the height (or only the width) it asks for', async () => {
    // Shrinks of 3 and 3.05: a 10-px side shrinks to 3 px both times, a 600-px side to 200 or 197.
    for (const [width, height] of [
      [10, 600],
      [600, 10],
    ] as const) {
      const { image, opened, decodes } = countedRamp(width, height);
      const cutter = new CropCutter(opened, 1e6);
      for (const side of [24, 24.4]) {
        const box = { x: 1, y: 2, width: side, height: side };
        const want = await cropFaces(image, [box], 8);
        expect(Array.from(await cutter.cutFloats([box], 8))).toEqual(Array.from(await want.data()));
        want.dispose();
      }
      expect(decodes(), `${width}×${height}`).toBe(2);
      // The same shrunk box again is cut from the kept decode.
      await cutter.cutFloats([{ x: 1, y: 2, width: 24.4, height: 24.4 }], 8);
      expect(decodes(), `${width}×${height}`).toBe(2);
    }
  });
});
