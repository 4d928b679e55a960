/**
 * A real exported landmarks model for prediction tests: a one-block ViT fine-tuned for a few steps
 * on HELEN training faces cropped by the default crop policy, exported as a graph model folder.
 * It is a poor model (seconds of training); the tests check the plumbing around it, not its skill.
 */
import * as tf from '@tensorflow/tfjs';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { flipIndex } from '../../../src-main/core/schemas/landmark-schema';
import {
  cropFaces,
  DEFAULT_CROP_POLICY,
  faceCropBox,
  fromCrop,
  toCrop,
} from '../../../src-main/engine/data/face-crop';
import { exportFinetunedModel } from '../../../src-main/engine/export/export-model';
import type { ExportedModel } from '../../../src-main/engine/export/load-model';
import { finetune } from '../../../src-main/engine/finetune/finetune';
import { tensorSplit } from '../../../src-main/engine/finetune/finetune-data';
import { nmeOfFace } from '../../../src-main/engine/metrics/landmark-metrics';
import { cardSchemaOf } from '../../../src-main/engine/predict/card-schema';
import { helenFaces } from '../../support/helen-crops';

/** Trains on 16 HELEN faces at 32 px and exports to `dir`; a few seconds on wasm. */
export async function exportHelenModel(dir: string): Promise<void> {
  const size = 32;
  const faces = await helenFaces('train', 16);
  const crops: tf.Tensor4D[] = [];
  const labels = new Float32Array(faces.length * 68 * 2);
  for (const [i, face] of faces.entries()) {
    // The image size only matters for a face without points or detection.
    const box = faceCropBox({ width: 0, height: 0 }, { points: face.points }, DEFAULT_CROP_POLICY);
    crops.push(await cropFaces(face.file, [box], size));
    toCrop(face.points, box).forEach((p, k) => labels.set([p.x, p.y], (i * 68 + k) * 2));
  }
  const images = tf.concat(crops) as tf.Tensor4D;
  tf.dispose(crops);
  const schema = builtinLandmarkSchema('ibug68');
  try {
    const result = await finetune(
      {
        task: 'landmarks',
        model: { preset: 'tiny', imageSize: size, patchSize: 8, dim: 32, depth: 1, heads: 2 },
        batchSize: 8,
        epochs: 2,
        warmupEpochs: 0,
        valFraction: 0,
        augment: { flip: 0.5, rotation: 0, scale: [1, 1], shift: 0, colour: 0 },
        landmarkHead: { channels: [8, 8] },
        seed: 3,
      },
      { task: 'landmarks', schema, train: tensorSplit(images, labels) },
    );
    await exportFinetunedModel(dir, result, {
      id: 'helen-test',
      runId: null,
      schema: cardSchemaOf(schema),
      attributes: null,
      classes: null,
      crop: DEFAULT_CROP_POLICY,
      metrics: [],
      data: { project: null, train: faces.length, val: 0, test: 0 },
      backbone: { pretrainedFrom: null },
    });
  } finally {
    images.dispose();
  }
}

/**
 * NME of the first `count` HELEN test faces, computed step by step without predictFaces: crop by
 * the card's policy from the labelled points, predict the crop and its mirror, un-mirror, average,
 * map back to image px, normalise by the outer eye corners.
 */
export async function directHelenNmes(model: ExportedModel, count: number): Promise<number[]> {
  return (await directHelenPredictions(model, count)).nmes;
}

/**
 * As directHelenNmes, with each point's flip-consistency uncertainty too: the distance, in
 * fractions of the crop side, between the direct prediction and the un-mirrored mirrored one.
 */
export async function directHelenPredictions(
  model: ExportedModel,
  count: number,
): Promise<{ nmes: number[]; uncertainties: number[] }> {
  const faces = await helenFaces('test', count);
  const flip = flipIndex(builtinLandmarkSchema('ibug68'));
  const nmes: number[] = [];
  const uncertainties: number[] = [];
  for (const face of faces) {
    const box = faceCropBox({ width: 0, height: 0 }, { points: face.points }, model.card.crop);
    const crop = await cropFaces(face.file, [box], model.inputSize);
    const both = tf.concat([crop, tf.reverse(crop, 2)]) as tf.Tensor4D;
    const { landmarks } = await model.predict(both);
    tf.dispose([crop, both]);
    const mirrored = landmarks!.subarray(68 * 2);
    const uv = face.points.map((_, k) => ({
      // The mirrored crop's point flip[k], its x mirrored back, averaged with the direct one.
      x: (landmarks![2 * k]! + 1 - mirrored[2 * flip[k]!]!) / 2,
      y: (landmarks![2 * k + 1]! + mirrored[2 * flip[k]! + 1]!) / 2,
    }));
    face.points.forEach((_, k) =>
      uncertainties.push(
        Math.hypot(
          landmarks![2 * k]! - (1 - mirrored[2 * flip[k]!]!),
          landmarks![2 * k + 1]! - mirrored[2 * flip[k]! + 1]!,
        ),
      ),
    );
    const predicted = fromCrop(uv, box).flatMap((p) => [p.x, p.y]);
    nmes.push(
      nmeOfFace(
        predicted,
        face.points.flatMap((p) => [p.x, p.y]),
        [36, 45],
      ),
    );
  }
  return { nmes, uncertainties };
}
