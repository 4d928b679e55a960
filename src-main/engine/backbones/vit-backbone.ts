/**
 * The studio's own ViT (model/vit.ts) as a `learned` face backbone (docs/ARCHITECTURE.md,
 * "Backbones and tasks"): a seeded random init (what a head learns from no pre-training at all) or
 * the weights of a ProS backbone pre-trained in the app (models/<id>/, task `backbone`), so the
 * backbone comparison shows what the lab's own pre-training bought beside the shipped backbones.
 *
 * Taps: the patch tokens after the final norm as a `[g, g, dim]` map (`tokens`, what a landmark
 * head reads), and the same tokens averaged over the face (`pooled`) and over a 2 × 2 grid
 * (`grid`), what attribute and expression heads read.
 */
import * as tf from '@tensorflow/tfjs';
import { loadBackbone } from '../export/saved-backbone';
import { IMAGE_MEAN, IMAGE_STD, normaliseImages } from '../model/normalise';
import { initParams, layoutOf, tensorsOf } from '../model/params';
import { Rng } from '../model/rng';
import { VIT_PRESETS, vitParamSpecs, vitTokens, type VitConfig } from '../model/vit';
import type {
  BackboneCropPolicy,
  BackboneFeatures,
  BackboneLicence,
  FaceBackbone,
} from './face-backbone';
import { FACEMESH_CROP } from './facemesh';

/** Seed of the random init: the same "random" backbone in every comparison. */
export const RANDOM_VIT_SEED = 1;

/** The same crop as FaceMesh, so the learned rows compare like for like. */
const VIT_CROP: BackboneCropPolicy = {
  crop: FACEMESH_CROP.crop,
  scaleOfLandmarkExtent: FACEMESH_CROP.scaleOfLandmarkExtent,
  note: 'the crop FaceMesh uses, for a like-for-like comparison',
};

/** The studio's own weights: nothing to ship, nobody else to credit. */
export const STUDIO_LICENCE: BackboneLicence = {
  spdx: 'none',
  attribution: 'Face Studio (weights made in this project)',
  package: null,
  noticeFile: null,
};

/**
 * A ViT as a face backbone. `weights` (flat, in vitParamSpecs order) null = a seeded random
 * init.
 */
export function vitBackbone(
  id: string,
  name: string,
  vit: VitConfig,
  weights: Float32Array | null,
): FaceBackbone {
  const layout = layoutOf(vitParamSpecs(vit));
  const flat = weights ?? initParams(layout, new Rng(RANDOM_VIT_SEED));
  const params = tensorsOf(layout, flat);
  const g = vit.imageSize / vit.patchSize;
  const half = Math.max(1, Math.floor(g / 2));
  const taps = [
    { name: 'tokens', kind: 'map', shape: [g, g, vit.dim], description: 'patch tokens' },
    {
      name: 'pooled',
      kind: 'vector',
      shape: [vit.dim],
      description: 'patch tokens averaged over the face',
    },
    {
      name: 'grid',
      kind: 'vector',
      shape: [Math.floor(g / half), Math.floor(g / half), vit.dim],
      description: 'patch tokens averaged over a 2 × 2 grid of the face',
    },
  ] as const;
  return {
    id,
    name,
    kind: 'learned',
    inputSize: vit.imageSize,
    channels: 3,
    normalisation: { mean: IMAGE_MEAN, std: IMAGE_STD, description: 'ImageNet mean and std' },
    cropPolicy: VIT_CROP,
    taps,
    licence: STUDIO_LICENCE,
    embed: async (crops, wanted): Promise<BackboneFeatures> => {
      const n = crops.shape[0];
      const names = new Set(wanted ?? taps.map((t) => t.name));
      const outs = tf.tidy(() => {
        const tokens = vitTokens(vit, params, normaliseImages(crops));
        const perImage = tf.reshape(tokens, [n, g * g + 1, vit.dim]);
        const map = tf.reshape(tf.slice(perImage, [0, 1, 0], [n, g * g, vit.dim]), [
          n,
          g,
          g,
          vit.dim,
        ]) as tf.Tensor4D;
        const named: Record<string, tf.Tensor> = {};
        if (names.has('tokens')) named.tokens = map;
        if (names.has('pooled')) named.pooled = tf.mean(map, [1, 2]);
        if (names.has('grid')) named.grid = tf.avgPool(map, half, half, 'valid');
        return named;
      });
      const out: Record<string, Float32Array> = {};
      for (const [tap, t] of Object.entries(outs)) out[tap] = (await t.data()) as Float32Array;
      tf.dispose(Object.values(outs));
      return { count: n, taps: out };
    },
    dispose: () => {
      for (const t of params.values()) t.dispose();
    },
  };
}

/** The studio's ViT tiny at its seeded random init: the "no pre-training" row. */
export function randomVitBackbone(): FaceBackbone {
  return vitBackbone('random', 'random init (ViT tiny)', VIT_PRESETS.tiny, null);
}

/** A ProS backbone exported to `dir` (models/<id>/ or any export folder) as a face backbone. */
export async function loadVitBackbone(
  id: string,
  name: string,
  dir: string,
): Promise<FaceBackbone> {
  const loaded = await loadBackbone(dir);
  try {
    const layout = layoutOf(vitParamSpecs(loaded.vit));
    const flat = new Float32Array(layout.total);
    for (const e of layout.entries) flat.set(loaded.weights.get(e.name)!, e.offset);
    return vitBackbone(id, name, loaded.vit, flat);
  } finally {
    loaded.dispose();
  }
}
