/**
 * Labelled faces through a face backbone, for the backbone table (bench/backbone-table.bench.ts)
 * and the landmark tests: each face cropped by its backbone's crop policy around the true
 * landmarks' box (as issue 22's probe did), embedded once as it is and once mirrored (the flip
 * augmentation needs the backbone's view of the mirrored crop), in chunks so 870 faces never sit
 * in memory as pixels.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parsePtsFile } from '../src-main/core/formats/pts';
import type { FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { tapSize } from '../src-main/engine/backbones/face-backbone';
import { readCrops, type CropBox } from '../tests/support/square-crops';

export const SHARED_DATA = new URL('../../shared/data', import.meta.url).pathname;

/** One labelled face: the image and its points in image pixels. */
export interface LabelledFace {
  file: string;
  /** `[x0, y0, x1, y1, …]` image px. */
  points: number[];
}

/** Embedded faces: per tap `[n · tapSize]`, as is and mirrored; points in crop units. */
export interface EmbeddedFaces {
  count: number;
  taps: Record<string, Float32Array>;
  flipped: Record<string, Float32Array>;
  /** `[n · K · 2]` crop coordinates 0..1 (u = (x − left) / side). */
  points: Float32Array;
  pointCount: number;
  /** Milliseconds the backbone took per face (embedding as is only). */
  msPerFace: number;
}

/** HELEN faces of `split` (sorted by name), their 68 points in image px. */
export async function readHelen(split: 'train' | 'test'): Promise<LabelledFace[]> {
  const dir = path.join(SHARED_DATA, '300w-helen', split);
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.pts')).sort();
  return Promise.all(
    names.map(async (name) => {
      const pts = parsePtsFile(await fs.readFile(path.join(dir, name), 'utf8'), name, {
        pointCount: 68,
      });
      return {
        file: path.join(dir, name.replace(/\.pts$/, '.jpg')),
        points: pts.flatMap((p) => [p.x, p.y]),
      };
    }),
  );
}

/** MTFL rows of `list` (training.txt / testing.txt): the five points in image px. */
export async function readMtflFaces(
  list: 'training.txt' | 'testing.txt',
  rows: readonly number[] | null,
): Promise<LabelledFace[]> {
  const dir = path.join(SHARED_DATA, 'mtfl');
  const lines = (await fs.readFile(path.join(dir, list), 'utf8')).trim().split('\n');
  const picked = rows ?? lines.map((_, i) => i);
  return picked.map((row) => {
    const f = lines[row]!.trim().split(/\s+/);
    const n = f.slice(1).map(Number);
    const points: number[] = [];
    for (let i = 0; i < 5; i++) points.push(n[i]!, n[5 + i]!);
    return { file: path.join(dir, f[0]!), points };
  });
}

/**
 * The square crop box: about the points' box centre, side = its longer side × `scale` — the
 * landmark-extent crop of `FaceBackbone.cropPolicy.scaleOfLandmarkExtent`.
 */
export function extentBox(points: readonly number[], scale: number, file: string): CropBox {
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const side = Math.max(x1 - x0, y1 - y0) * scale;
  return { file, left: (x0 + x1 - side) / 2, top: (y0 + y1 - side) / 2, side };
}

/** Embeds `faces` with `backbone` (taps `taps`), cropped at `scale` × the landmarks' extent. */
export async function embedFaces(
  backbone: FaceBackbone,
  faces: readonly LabelledFace[],
  taps: readonly string[],
  scale = backbone.cropPolicy.scaleOfLandmarkExtent,
  chunk = 32,
): Promise<EmbeddedFaces> {
  const n = faces.length;
  const pointCount = faces[0]!.points.length / 2;
  const sizes = taps.map((name) => {
    const tap = backbone.taps.find((t) => t.name === name);
    if (!tap) throw new Error(`${backbone.id} has no tap ${name}`);
    return tapSize(tap);
  });
  const out: Record<string, Float32Array> = {};
  const flipped: Record<string, Float32Array> = {};
  taps.forEach((name, i) => {
    out[name] = new Float32Array(n * sizes[i]!);
    flipped[name] = new Float32Array(n * sizes[i]!);
  });
  const points = new Float32Array(n * pointCount * 2);
  let ms = 0;
  for (let start = 0; start < n; start += chunk) {
    const part = faces.slice(start, start + chunk);
    const boxes = part.map((f) => extentBox(f.points, scale, f.file));
    part.forEach((f, j) => {
      const b = boxes[j]!;
      for (let p = 0; p < pointCount; p++) {
        points[((start + j) * pointCount + p) * 2] = (f.points[2 * p]! - b.left) / b.side;
        points[((start + j) * pointCount + p) * 2 + 1] = (f.points[2 * p + 1]! - b.top) / b.side;
      }
    });
    const crops = await readCrops(boxes, backbone.inputSize);
    const mirrored = tf.reverse(crops, 2);
    const t0 = performance.now();
    const a = await backbone.embed(crops, taps);
    ms += performance.now() - t0;
    const b = await backbone.embed(mirrored, taps);
    tf.dispose([crops, mirrored]);
    taps.forEach((name, i) => {
      out[name]!.set(a.taps[name]!, start * sizes[i]!);
      flipped[name]!.set(b.taps[name]!, start * sizes[i]!);
    });
  }
  return { count: n, taps: out, flipped, points, pointCount, msPerFace: ms / n };
}
