/**
 * A landmark head on a frozen face backbone as a model (docs/ARCHITECTURE.md, "Backbones and
 * tasks"): the card record that describes it (`CardHead`: the backbone with its licence, the crop
 * record, the σ calibration) and the engine's own runner of it, with the exported graph's contract
 * (`ExportedModel`: crops `[n, S, S, 3]` in [0, 1] in, one shape per crop out, not flip-averaged).
 * The fine-tuning job measures its model through this runner and `predictFaces`, the path
 * `predict`, `eval` and pre-labelling take with the exported graph, which equals it within 1e-4.
 */
import { shippedBackbones } from '../backbones/backbone-registry';
import type * as tf from '@tensorflow/tfjs';
import {
  CardHead,
  type CardBackbone,
  type HeadCropRecord,
  type ModelCard,
} from '../../shared/model-card';
import { StudioError } from '../../shared/errors';
import { headInputOf, landmarkTapNames, type HeadTaps } from '../backbones/embed-faces';
import type { FaceBackbone } from '../backbones/face-backbone';
import type { ExportedModel } from '../export/load-model';
import { predictLandmarkCrops, type LandmarkRidgeModel } from './landmark-ridge-head';

/** A fitted landmark head and what it reads. */
export interface LandmarkHead {
  task: 'landmarks';
  model: LandmarkRidgeModel;
  taps: HeadTaps;
}

/**
 * The taps a landmark head reads of `backbone`: the registry's for a backbone it offers (the ones
 * the comparison scores); else its first points tap and its coarsest map (the one with fewest
 * values, as FaceMesh's stride-32 `p_re_lu_15` that issue 22's probe measured).
 */
export function landmarkTapsOf(backbone: FaceBackbone): HeadTaps {
  // The registry states the taps for the backbones it offers, so a run fits the head the
  // backbone comparison scored; any other backbone reads its points and its smallest map.
  const offered = shippedBackbones().find((b) => b.id === backbone.id);
  if (offered) return offered.taps.landmarks;
  const points = backbone.taps.find((t) => t.kind === 'points')?.name ?? null;
  const maps = backbone.taps
    .filter((t) => t.kind === 'map')
    .sort((a, b) => a.shape.reduce((x, y) => x * y, 1) - b.shape.reduce((x, y) => x * y, 1));
  const map = maps[0]?.name ?? null;
  if (!points && !map)
    throw new StudioError(
      'invalid-payload',
      `Backbone ${backbone.id} offers no points or map tap a landmark head can read`,
    );
  return { points, map };
}

/** The card's record of a backbone: what it is, which taps the head reads, its licence. */
export function cardBackboneOf(backbone: FaceBackbone, taps: readonly string[]): CardBackbone {
  return {
    id: backbone.id,
    name: backbone.name,
    kind: backbone.kind,
    taps: [...taps],
    licence: backbone.licence.spdx,
    attribution: backbone.licence.attribution,
    package: backbone.licence.package,
    notice: backbone.licence.noticeFile ? `NOTICE-${backbone.id}.txt` : null,
  };
}

/** The card's `head` for a landmark head fitted on `backbone` with crops cut by `crop`. */
export function landmarkCardHead(
  backbone: FaceBackbone,
  head: LandmarkHead,
  crop: HeadCropRecord,
): CardHead {
  const { refine, refineCheck } = head.model;
  const taps = landmarkTapNames(head.taps, refine !== null);
  return CardHead.parse({
    method: 'ridge',
    backbones: [cardBackboneOf(backbone, taps)],
    crop,
    uncertainty: {
      a: head.model.uncertainty.a,
      c: head.model.uncertainty.c,
      pointError: Array.from(head.model.looError),
    },
    refinement:
      refineCheck && head.taps.local
        ? {
            tap: head.taps.local,
            applied: refine !== null,
            unrefined: refineCheck.unrefined,
            refined: refineCheck.refined,
            faces: refineCheck.faces,
          }
        : null,
  });
}

/**
 * The engine's runner of a landmark head with the exported model's contract: `card` must be the
 * card the head's export carries. The backbone stays the caller's (not disposed here).
 */
export function landmarkHeadModel(
  card: ModelCard,
  backbone: FaceBackbone,
  head: LandmarkHead,
): ExportedModel {
  // A head that dropped its refinement reads no local map (its graph has none either).
  const refined = head.model.refine !== null;
  const taps = landmarkTapNames(head.taps, refined);
  const readTaps: HeadTaps = refined ? head.taps : { ...head.taps, local: null };
  return {
    card,
    inputSize: backbone.inputSize,
    predict: async (images: tf.Tensor4D) => {
      if (images.shape[1] !== backbone.inputSize || images.shape[2] !== backbone.inputSize)
        throw new StudioError(
          'invalid-payload',
          `${backbone.id} takes ${backbone.inputSize} px crops, not ${images.shape[1]}×${images.shape[2]}`,
        );
      const features = await backbone.embed(images, taps);
      const input = headInputOf(
        backbone,
        { count: features.count, taps: features.taps, flipped: null, msPerFace: 0 },
        readTaps,
        false,
      );
      return { landmarks: Float32Array.from(await predictLandmarkCrops(head.model, input)) };
    },
    dispose: () => undefined,
  };
}
