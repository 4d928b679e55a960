/**
 * The backbones the few-shot table compares (bench/backbone-table.bench.ts), one row each, and
 * how a landmark head reads each one's taps. A new backbone (the appearance one) adds an entry
 * to `BENCH_BACKBONES` with its loader and the taps its head uses.
 */
import * as tf from '@tensorflow/tfjs';
import type { FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../src-main/engine/backbones/facemesh';
import { layoutOf, initParams, tensorsOf } from '../src-main/engine/model/params';
import { IMAGE_MEAN, IMAGE_STD, normaliseImages } from '../src-main/engine/model/normalise';
import { Rng } from '../src-main/engine/model/rng';
import {
  VIT_PRESETS,
  vitParamSpecs,
  vitTokens,
  type VitConfig,
} from '../src-main/engine/model/vit';
import { loadBackbone } from '../src-main/engine/export/saved-backbone';

export interface BenchBackbone {
  /** Row label. */
  label: string;
  load(): Promise<FaceBackbone>;
  /** Tap read as the head's points (`[P, ≥2]` crop units), or null. */
  pointsTap: string | null;
  /** Tap(s) read as the head's feature maps (concatenated), or null. */
  mapTap: string | readonly string[] | null;
  /** Spatial tap the head's refinement samples at each first guess, or null (no refinement). */
  localTap: string | null;
}

/**
 * A ViT of the studio's own (vit.ts) as a `learned` backbone: its patch tokens after the final
 * norm as a `[g, g, dim]` map. `weights` null = a seeded random init (the "random" row).
 */
export function vitBackbone(
  id: string,
  name: string,
  vit: VitConfig,
  weights: Float32Array | null,
): FaceBackbone {
  const layout = layoutOf(vitParamSpecs(vit));
  const flat = weights ?? initParams(layout, new Rng(1));
  const params = tensorsOf(layout, flat);
  const g = vit.imageSize / vit.patchSize;
  return {
    id,
    name,
    kind: 'learned',
    inputSize: vit.imageSize,
    channels: 3,
    normalisation: { mean: IMAGE_MEAN, std: IMAGE_STD, description: 'ImageNet mean and std' },
    cropPolicy: {
      crop: { from: 'face-box', margin: 0.3, landmarksToFaceBox: 1 },
      scaleOfLandmarkExtent: 1.6,
      note: 'same crop as FaceMesh, for a like-for-like row',
    },
    taps: [{ name: 'tokens', kind: 'map', shape: [g, g, vit.dim], description: 'patch tokens' }],
    licence: { spdx: 'none', attribution: 'Face Studio', package: null, noticeFile: null },
    embed: async (crops) => {
      const n = crops.shape[0];
      const map = tf.tidy(() => {
        const tokens = vitTokens(vit, params, normaliseImages(crops));
        const perImage = tf.reshape(tokens, [n, g * g + 1, vit.dim]);
        return tf.slice(perImage, [0, 1, 0], [n, g * g, vit.dim]);
      });
      const values = (await map.data()) as Float32Array;
      map.dispose();
      return { count: n, taps: { tokens: values } };
    },
    dispose: () => {
      for (const t of params.values()) t.dispose();
    },
  };
}

/** The rows, in table order. `prosDir`: an exported ProS backbone folder, or none. */
export function benchBackbones(prosDir: string | null): BenchBackbone[] {
  const rows: BenchBackbone[] = [
    {
      label: 'random init (ViT tiny, patch tokens)',
      load: async () => vitBackbone('random', 'random ViT tiny', VIT_PRESETS.tiny, null),
      pointsTap: null,
      mapTap: 'tokens',
      localTap: null,
    },
  ];
  if (prosDir) {
    rows.push({
      label: `own ProS ViT (${prosDir})`,
      load: async () => {
        const loaded = await loadBackbone(prosDir);
        const layout = layoutOf(vitParamSpecs(loaded.vit));
        const flat = new Float32Array(layout.total);
        for (const e of layout.entries) flat.set(loaded.weights.get(e.name)!, e.offset);
        loaded.dispose();
        return vitBackbone('pros', 'ProS ViT', loaded.vit, flat);
      },
      pointsTap: null,
      mapTap: 'tokens',
      localTap: null,
    });
  }
  rows.push({
    label: 'FaceMesh (MediaPipe, Apache-2.0): mesh + p_re_lu_12 + p_re_lu_15, refined on p_re_lu_9',
    load: () => loadFaceMesh(),
    pointsTap: 'mesh',
    mapTap: ['p_re_lu_12', 'p_re_lu_15'],
    localTap: 'p_re_lu_9',
  });
  // Appearance backbone: its row goes here (branch `appearance`).
  return rows;
}
