/**
 * A pre-trained backbone on disk (DESIGN §6, §8): models/<id>/ holds
 * - model.json: the ViT config and a standard TensorFlow.js `weightsManifest`, so
 *   `tf.io.decodeWeights` (or `tf.io.loadWeights` over http/file handlers) reads the shards;
 * - weights-shardNofM.bin: the teacher's backbone weights, float32, split at 4 MiB as tfjs does;
 * - card.json: task, preset, input size, normalisation, the training config, the data, final loss.
 * `loadBackbone` rebuilds the ViT from it and gives CLS features, for fine-tuning and probes.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../shared/errors';
import { layoutOf } from './params';
import type { TensorMap } from './params';
import { IMAGE_MEAN, IMAGE_STD } from './normalise';
import { vitForward, vitParamSpecs } from './vit';
import type { VitConfig } from './vit';

const SHARD_BYTES = 4 * 1024 * 1024;
/** ImageNet statistics, as the augmentations normalise the views pre-training saw. */
export const NORMALISATION = { mean: [...IMAGE_MEAN], std: [...IMAGE_STD] };

export interface BackboneCard {
  task: 'backbone';
  preset: string;
  inputSize: number;
  normalisation: typeof NORMALISATION;
  /** What the model expects: RGB in [0, 1], resized to inputSize, then normalised. */
  input: string;
  createdAt: string;
  runId: string;
  trainingConfig: unknown;
  data: { projectDir: string | null; images: number };
  steps: number;
  finalLoss: number | null;
}

interface ModelJson {
  format: 'face-studio-vit';
  formatVersion: 1;
  vit: VitConfig;
  weightsManifest: tf.io.WeightsManifestConfig;
}

/**
 * Writes the backbone part of `weights` (a flat array in the pre-training layout, whose first
 * entries are the ViT's, as model.ts lays them out) into `dir`, replacing what was there.
 */
export async function exportBackbone(
  dir: string,
  vit: VitConfig,
  weights: Float32Array,
  card: BackboneCard,
): Promise<void> {
  const layout = layoutOf(vitParamSpecs(vit));
  const bytes = Buffer.from(weights.buffer, weights.byteOffset, layout.total * 4);
  const shardCount = Math.max(1, Math.ceil(bytes.length / SHARD_BYTES));
  const paths = Array.from(
    { length: shardCount },
    (_, i) => `weights-shard${i + 1}of${shardCount}.bin`,
  );
  const modelJson: ModelJson = {
    format: 'face-studio-vit',
    formatVersion: 1,
    vit,
    weightsManifest: [
      {
        paths,
        weights: layout.entries.map((e) => ({ name: e.name, shape: e.shape, dtype: 'float32' })),
      },
    ],
  };
  // Write beside, then swap in: a crash leaves the old export or none, never a mix.
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (let i = 0; i < shardCount; i++)
    await writeFile(
      path.join(tmp, paths[i]!),
      bytes.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES),
    );
  await writeFile(path.join(tmp, 'model.json'), `${JSON.stringify(modelJson, null, 2)}\n`);
  await writeFile(path.join(tmp, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  await rename(tmp, dir);
}

export interface LoadedBackbone {
  vit: VitConfig;
  card: BackboneCard;
  params: TensorMap;
  /** Images `[n, S, S, 3]` RGB in [0, 1] (any S; resized) → CLS features `[n, dim]`. */
  features(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export async function loadBackbone(dir: string): Promise<LoadedBackbone> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(path.join(dir, name));
    } catch (error) {
      throw new StudioError(
        'not-found',
        `Backbone ${dir}: ${name} cannot be read: ${(error as Error).message}`,
      );
    }
  };
  const modelJson = JSON.parse((await read('model.json')).toString()) as ModelJson;
  const card = JSON.parse((await read('card.json')).toString()) as BackboneCard;
  if (modelJson.format !== 'face-studio-vit')
    throw new StudioError('invalid-payload', `${dir}/model.json is not a Face Studio backbone`);
  const group = modelJson.weightsManifest[0]!;
  const shards = await Promise.all(group.paths.map(read));
  const all = Buffer.concat(shards);
  const named = tf.io.decodeWeights(
    all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    group.weights,
  );
  const vit = modelJson.vit;
  const params: TensorMap = new Map();
  for (const spec of vitParamSpecs(vit)) {
    const t = named[spec.name];
    if (!t) throw new StudioError('invalid-payload', `${dir}: weight ${spec.name} is missing`);
    params.set(spec.name, t);
  }
  return {
    vit,
    card,
    params,
    features: (images) =>
      tf.tidy(() => {
        const s = vit.imageSize;
        const sized = images.shape[1] === s ? images : tf.image.resizeBilinear(images, [s, s]);
        const x = tf.div(tf.sub(sized, NORMALISATION.mean), NORMALISATION.std) as tf.Tensor4D;
        return vitForward(vit, params, x);
      }),
    dispose: () => {
      for (const t of params.values()) t.dispose();
    },
  };
}
