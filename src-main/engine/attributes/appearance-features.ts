/**
 * Faces → backbone features and per-face quality notes, the input of the attribute and expression
 * heads (docs/ARCHITECTURE.md, "Backbones and tasks"). Crops are cut by the engine's one crop
 * path (`cropFaces`), at the backbone's input size, so training, evaluation and prediction see
 * faces alike; each face also gets a quality note (face-quality.ts) so a head can refuse a face
 * too small or too blurred instead of guessing.
 */
import * as tf from '@tensorflow/tfjs';
import type { Box } from '../../shared/domain';
import type { FaceBackbone } from '../backbones/face-backbone';
import { findTap, tapSize } from '../backbones/face-backbone';
import { cropFaces, type CropSource } from '../data/face-crop';
import {
  DEFAULT_QUALITY_LIMITS,
  judgeFaces,
  type FaceQuality,
  type QualityLimits,
} from './face-quality';
import {
  concatFeatures,
  stackRows,
  ridgeScores,
  type FeatureRows,
  type RidgeClassifier,
} from './ridge-classifier';

/** One face: its image and the square the crop policy chose (image pixels). */
export interface FaceInput {
  source: CropSource;
  box: Box;
}

export interface EmbeddedFaces {
  /** The taps asked for, side by side per face, in the order asked. */
  features: FeatureRows;
  quality: FaceQuality[];
}

export interface EmbedOptions {
  batchSize?: number;
  limits?: QualityLimits;
}

/** Features of `taps` of `backbone` for each face, with each face's quality note. */
export async function embedFaces(
  backbone: FaceBackbone,
  faces: readonly FaceInput[],
  taps: readonly string[],
  options: EmbedOptions = {},
): Promise<EmbeddedFaces> {
  const sizes = taps.map((t) => tapSize(findTap(backbone, t)));
  const batchSize = options.batchSize ?? 32;
  const blocks: FeatureRows[][] = taps.map(() => []);
  const quality: FaceQuality[] = [];
  for (let start = 0; start < faces.length; start += batchSize) {
    const batch = faces.slice(start, start + batchSize);
    const parts: tf.Tensor4D[] = [];
    for (const face of batch)
      parts.push(await cropFaces(face.source, [face.box], backbone.inputSize));
    const crops = tf.concat(parts, 0);
    tf.dispose(parts);
    try {
      quality.push(
        ...(await judgeFaces(
          crops,
          batch.map((f) => Math.max(f.box.width, f.box.height)),
          options.limits ?? DEFAULT_QUALITY_LIMITS,
        )),
      );
      const out = await backbone.embed(crops, taps);
      taps.forEach((tap, i) =>
        blocks[i]!.push({ rows: batch.length, dim: sizes[i]!, data: out.taps[tap]! }),
      );
    } finally {
      crops.dispose();
    }
  }
  const joined = taps.map((_, i) => stackRows(blocks[i]!, sizes[i]!));
  return { features: concatFeatures(...joined), quality };
}

/** A head's answer for one face: a class and its scores, or the reason there is none. */
export type FacePrediction =
  | { ok: true; label: number; scores: Float64Array }
  | { ok: false; reason: 'too-small' | 'too-blurred'; message: string };

/**
 * The head's prediction for each embedded face; a face whose quality note says it is unusable
 * gets that note instead of a class.
 */
export function predictFaces(head: RidgeClassifier, faces: EmbeddedFaces): FacePrediction[] {
  const scores = ridgeScores(head, faces.features);
  return faces.quality.map((q, i): FacePrediction => {
    if (!q.usable) return { ok: false, reason: q.reason, message: q.message };
    const row = scores.slice(i * head.classes, (i + 1) * head.classes);
    let label = 0;
    for (let c = 1; c < head.classes; c++) if (row[c]! > row[label]!) label = c;
    return { ok: true, label, scores: row };
  });
}
