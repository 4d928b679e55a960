/**
 * Labelled faces for the backbone table (bench/backbone-table.bench.ts): read from the shared
 * data, then cut and embedded by the engine's own path (engine/backbones/embed-faces.ts: the
 * backbone's crop policy through `faceCropBox`, `cropFaces`, as is and mirrored), so the bench
 * measures the crops the product cuts. Faces are cut around one of:
 *
 * - `landmarks`: the labelled points (how training cuts, and issue 22's probe);
 * - `detector`: a detector-like box — the 68 points' box (what curation's calibrated detection
 *   amounts to) with its centre moved by up to ±5% and its side scaled by up to ±10%, seeded per
 *   face (issue 22 measured about one point of NME lost to such boxes at k = 50);
 * - a list of boxes the caller made (a second pass around predicted points).
 *
 * With `cache`, embeddings are stored on disk keyed by the backbone, taps and boxes, so heads can
 * be iterated on without running the backbone again.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parsePtsFile } from '../src-main/core/formats/pts';
import { openImage } from '../src-main/core/library/image-source';
import {
  backboneCropBox,
  embedCrops,
  type EmbeddedCrops,
  type FaceCrop,
} from '../src-main/engine/backbones/embed-faces';
import type { FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { Rng, deriveSeed } from '../src-main/engine/model/rng';
import type { Box, FaceDetection, PlacedPoint } from '../src-main/shared/domain';

export const SHARED_DATA = new URL('../../shared/data', import.meta.url).pathname;

/** One labelled face: the image and its points in image pixels. */
export interface LabelledFace {
  file: string;
  /** `[x0, y0, x1, y1, …]` image px. */
  points: number[];
}

/** Embedded faces: the engine's embedding plus the boxes cut and the true points in them. */
export interface EmbeddedFaces extends EmbeddedCrops {
  /** Mirrored taps are always embedded here. */
  flipped: Record<string, Float32Array>;
  /** The square cut from each face (image px). */
  boxes: Box[];
  /** `[n · K · 2]` true points in crop units 0..1 (u = (x − box.x) / box.width). */
  points: Float32Array;
  pointCount: number;
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

/** Image px `[x, y, …]` as placed points. */
export function placed(points: ArrayLike<number>): PlacedPoint[] {
  return Array.from({ length: points.length / 2 }, (_, p) => ({
    x: points[2 * p]!,
    y: points[2 * p + 1]!,
    v: 2 as const,
  }));
}

/**
 * A detector-like box for face `index` (seeded): the points' box, centre moved by up to
 * ±`shift` of its side, side scaled by up to ±`scale`, as a detection the crop policy reads.
 */
export function detectorLike(
  points: readonly number[],
  index: number,
  seed: number,
  shift = 0.05,
  scale = 0.1,
): FaceDetection {
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const rng = new Rng(deriveSeed(seed, index));
  const w = x1 - x0;
  const h = y1 - y0;
  const cx = (x0 + x1) / 2 + rng.uniform(-shift, shift) * w;
  const cy = (y0 + y1) / 2 + rng.uniform(-shift, shift) * h;
  const f = 1 + rng.uniform(-scale, scale);
  const box = { x: cx - (w * f) / 2, y: cy - (h * f) / 2, width: w * f, height: h * f };
  return { box, crop: box, score: 1 };
}

/** Where each face is cut: around its labelled points, a detector-like box, or given boxes. */
export type CutFrom = 'landmarks' | { detectorSeed: number } | readonly Box[];

/**
 * Cuts `faces` as `from` says with `backbone`'s crop policy and embeds them (taps `taps`, as is
 * and mirrored) through the engine's embed-faces.ts.
 */
export async function embedFaces(
  backbone: FaceBackbone,
  faces: readonly LabelledFace[],
  taps: readonly string[],
  from: CutFrom = 'landmarks',
  cache: string | null = null,
): Promise<EmbeddedFaces> {
  const pointCount = faces[0]!.points.length / 2;
  const crops: FaceCrop[] = [];
  for (const [i, f] of faces.entries()) {
    const image = await openImage(f.file);
    let box: Box;
    if (from === 'landmarks') box = backboneCropBox(backbone, image, { points: placed(f.points) });
    else if ('detectorSeed' in from) {
      const detection = detectorLike(f.points, i, from.detectorSeed);
      box = backboneCropBox(backbone, image, { detection });
    } else box = from[i]!;
    crops.push({ source: image, box });
  }
  const boxes = crops.map((c) => c.box);
  const points = new Float32Array(faces.length * pointCount * 2);
  faces.forEach((f, i) => {
    const b = boxes[i]!;
    for (let p = 0; p < pointCount; p++) {
      points[(i * pointCount + p) * 2] = (f.points[2 * p]! - b.x) / b.width;
      points[(i * pointCount + p) * 2 + 1] = (f.points[2 * p + 1]! - b.y) / b.height;
    }
  });
  const key = cacheKey(backbone.id, faces, boxes);
  const stored = cache ? await readCached(cache, key, taps) : null;
  const embedded =
    stored ?? (await embedCrops(backbone, crops, taps, { mirrored: true, chunk: 32 }));
  if (cache && !stored) await writeCached(cache, key, embedded);
  return { ...embedded, flipped: embedded.flipped!, boxes, points, pointCount };
}

/** Cache entries are keyed by backbone, files and boxes; each tap is its own file. */
export function cacheKey(
  backboneId: string,
  faces: readonly LabelledFace[],
  boxes: readonly Box[],
): string {
  return createHash('sha1')
    .update(JSON.stringify([backboneId, faces.map((f) => f.file), boxes]))
    .digest('hex')
    .slice(0, 16);
}

async function readCached(
  dir: string,
  key: string,
  taps: readonly string[],
): Promise<EmbeddedCrops | null> {
  try {
    const meta = JSON.parse(await fs.readFile(path.join(dir, `${key}.json`), 'utf8')) as {
      count: number;
      msPerFace: number;
    };
    const read = async (name: string) =>
      new Float32Array((await fs.readFile(path.join(dir, `${key}.${name}.f32`))).buffer.slice(0));
    const out: Record<string, Float32Array> = {};
    const flipped: Record<string, Float32Array> = {};
    for (const t of taps) {
      out[t] = await read(t);
      flipped[t] = await read(`${t}.mirrored`);
    }
    return { count: meta.count, taps: out, flipped, msPerFace: meta.msPerFace };
  } catch {
    return null;
  }
}

async function writeCached(dir: string, key: string, e: EmbeddedCrops): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const [t, v] of Object.entries(e.taps))
    await fs.writeFile(path.join(dir, `${key}.${t}.f32`), v);
  for (const [t, v] of Object.entries(e.flipped ?? {}))
    await fs.writeFile(path.join(dir, `${key}.${t}.mirrored.f32`), v);
  await fs.writeFile(
    path.join(dir, `${key}.json`),
    JSON.stringify({ count: e.count, msPerFace: e.msPerFace }),
  );
}
