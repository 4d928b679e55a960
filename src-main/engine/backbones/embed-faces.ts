/**
 * Faces through a face backbone: each face cut out as the square its caller chose (the
 * backbone's crop policy applied to a labelled face's points, a detection, or a predicted shape),
 * embedded once as it is and, when asked, once mirrored — the landmark head's flip augmentation
 * and flip test need the backbone's own view of the mirrored crop (docs/ARCHITECTURE.md,
 * "Backbones and tasks"). Faces go through in chunks, so a thousand faces never sit in memory as
 * pixels; only the taps asked for are kept.
 *
 * One module for every user of a backbone head: the fine-tuning job, the backbone comparison,
 * the few-shot bench and the tests cut and embed faces alike.
 */
import * as tf from '@tensorflow/tfjs';
import type { Box } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { cropFaces, faceCropBox, type CropSource, type FaceToCrop } from '../data/face-crop';
import type { HeadInput } from '../landmarks/landmark-ridge-head';
import { findTap, tapSize, type FaceBackbone } from './face-backbone';

/** One face to embed: its image and the square (image px) the backbone sees. */
export interface FaceCrop {
  source: CropSource;
  box: Box;
}

/** Per tap `[n · tapSize]` floats, as is and (when asked) of the mirrored crops. */
export interface EmbeddedCrops {
  count: number;
  taps: Record<string, Float32Array>;
  /** The same taps for the horizontally mirrored crops; null when not asked for. */
  flipped: Record<string, Float32Array> | null;
  /** Milliseconds the backbone took per face (the as-is pass only). */
  msPerFace: number;
}

export interface EmbedCropsOptions {
  /** Also embed each crop mirrored (default true). */
  mirrored?: boolean;
  /** Faces per backbone call (default 32). */
  chunk?: number;
  /** Checked between chunks: an aborted signal throws its reason (the embedding is dropped). */
  signal?: AbortSignal;
  /** Called after each chunk. */
  onProgress?: (done: number, total: number) => void;
}

/** The square `backbone` sees of `face` in an image of this size: its crop policy applied. */
export function backboneCropBox(
  backbone: FaceBackbone,
  image: { width: number; height: number },
  face: FaceToCrop,
): Box {
  return faceCropBox(image, face, backbone.cropPolicy.crop);
}

/** Embeds `faces` with `backbone`, keeping the taps named. */
export async function embedCrops(
  backbone: FaceBackbone,
  faces: readonly FaceCrop[],
  taps: readonly string[],
  options: EmbedCropsOptions = {},
): Promise<EmbeddedCrops> {
  const n = faces.length;
  const mirrored = options.mirrored ?? true;
  const chunk = options.chunk ?? 32;
  const sizes = taps.map((name) => tapSize(findTap(backbone, name)));
  const out: Record<string, Float32Array> = {};
  const flipped: Record<string, Float32Array> = {};
  taps.forEach((name, i) => {
    out[name] = new Float32Array(n * sizes[i]!);
    if (mirrored) flipped[name] = new Float32Array(n * sizes[i]!);
  });
  let ms = 0;
  for (let start = 0; start < n; start += chunk) {
    options.signal?.throwIfAborted();
    const part = faces.slice(start, start + chunk);
    const pieces: tf.Tensor4D[] = [];
    try {
      for (const face of part)
        pieces.push(await cropFaces(face.source, [face.box], backbone.inputSize));
      const crops = tf.concat(pieces, 0);
      try {
        const t0 = performance.now();
        const a = await backbone.embed(crops, taps);
        ms += performance.now() - t0;
        taps.forEach((name, i) => out[name]!.set(a.taps[name]!, start * sizes[i]!));
        if (mirrored) {
          // Axis 2 is the crop's width: pixel px goes to S − 1 − px, so u goes to 1 − u.
          const mirror = tf.reverse(crops, 2);
          try {
            const b = await backbone.embed(mirror, taps);
            taps.forEach((name, i) => flipped[name]!.set(b.taps[name]!, start * sizes[i]!));
          } finally {
            mirror.dispose();
          }
        }
      } finally {
        crops.dispose();
      }
    } finally {
      tf.dispose(pieces);
    }
    options.onProgress?.(Math.min(start + chunk, n), n);
  }
  return { count: n, taps: out, flipped: mirrored ? flipped : null, msPerFace: n ? ms / n : 0 };
}

/** Which taps a landmark head reads as its points, its feature maps and its local map. */
export interface HeadTaps {
  /** A `points` tap (`[P, ≥2]` crop units), or null. */
  points: string | null;
  /** A `map` tap, several (concatenated per face, in this order), or null. */
  map: string | readonly string[] | null;
  /**
   * A spatial `map` tap (`[h, w, c]`) the head's refinement samples at each first guess, or
   * null/omitted for no refinement.
   */
  local?: string | null;
}

/**
 * The taps a landmark head reads, in embedding order: its points, its maps (one or
 * several), and its local map when `withLocal` (the refinement's, fitted or applied).
 */
export function landmarkTapNames(taps: HeadTaps, withLocal: boolean): string[] {
  const maps = taps.map === null ? [] : typeof taps.map === 'string' ? [taps.map] : [...taps.map];
  return [taps.points, ...maps, withLocal ? (taps.local ?? null) : null].filter(
    (t): t is string => t !== null,
  );
}

/**
 * The landmark head's view (HeadInput) of embedded faces `rows` (all when omitted), as they are
 * or mirrored.
 */
export function headInputOf(
  backbone: FaceBackbone,
  embedded: EmbeddedCrops,
  taps: HeadTaps,
  mirrored: boolean,
  rows?: readonly number[],
): HeadInput {
  const source = mirrored ? embedded.flipped : embedded.taps;
  if (!source)
    throw new StudioError('internal', `Faces embedded by ${backbone.id} have no mirrored pass`);
  const idx = rows ?? Array.from({ length: embedded.count }, (_, i) => i);
  const pick = (name: string | null) => {
    if (!name) return { values: null, size: 0, shape: [] as readonly number[] };
    const shape = findTap(backbone, name).shape;
    const size = shape.reduce((a, b) => a * b, 1);
    const all = source[name];
    if (!all) throw new StudioError('internal', `Tap ${name} of ${backbone.id} was not embedded`);
    const values = new Float32Array(idx.length * size);
    idx.forEach((i, r) => values.set(all.subarray(i * size, (i + 1) * size), r * size));
    return { values, size, shape };
  };
  const p = pick(taps.points);
  const mapNames = taps.map === null ? [] : typeof taps.map === 'string' ? [taps.map] : taps.map;
  const blocks = mapNames.map(pick);
  const mapDim = blocks.reduce((a, b) => a + b.size, 0);
  let maps: Float32Array | null = null;
  if (blocks.length === 1) maps = blocks[0]!.values;
  else if (blocks.length > 1) {
    // Row-major per face: block 0's values, then block 1's, …
    maps = new Float32Array(idx.length * mapDim);
    for (let r = 0; r < idx.length; r++) {
      let o = r * mapDim;
      for (const b of blocks) {
        maps.set(b.values!.subarray(r * b.size, (r + 1) * b.size), o);
        o += b.size;
      }
    }
  }
  const l = pick(taps.local ?? null);
  return {
    count: idx.length,
    points: p.values,
    pointCount: p.shape[0] ?? 0,
    pointDims: p.shape[1] ?? 0,
    maps,
    mapDim,
    local: l.values
      ? { values: l.values, height: l.shape[0]!, width: l.shape[1]!, channels: l.shape[2]! }
      : null,
  };
}
