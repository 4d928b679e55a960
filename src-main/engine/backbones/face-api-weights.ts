/**
 * Weights of a face-api.js network as named tensors, read from the installed
 * `@vladmandic/face-api` package (`model/<name>-weights_manifest.json` plus its `.bin` shards).
 * face-api's networks are code, not graph models: the package builds each net in TypeScript from
 * these named weights, so the studio reads the same weights and builds the same layers itself
 * (face-api-age-gender-backbone.ts), nothing downloaded (docs/ARCHITECTURE.md, "Backbones and
 * tasks"). The manifests carry uint8-quantised weights; `tf.io.decodeWeights` dequantises them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { packageFile } from './package-graph-model';

export const FACE_API_PACKAGE = '@vladmandic/face-api';

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** Path of `model/<name>-weights_manifest.json` in the installed package. */
export function faceApiManifestPath(name: string): string {
  return packageFile(FACE_API_PACKAGE, `model/${name}-weights_manifest.json`);
}

/** The named weights of the manifest at `manifestPath` (shards in the same folder). */
export async function readFaceApiWeights(manifestPath: string): Promise<tf.NamedTensorMap> {
  let groups: ManifestGroup[];
  try {
    groups = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as ManifestGroup[];
  } catch (error) {
    throw new StudioError(
      'io',
      `Cannot read the weights manifest ${manifestPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g.paths) || !g.weights))
    throw new StudioError(
      'invalid-payload',
      `${manifestPath}: not a TF.js weights manifest (a list of { paths, weights })`,
    );
  const out: tf.NamedTensorMap = {};
  for (const group of groups) {
    const shards: Uint8Array[] = [];
    for (const file of group.paths) {
      const shard = path.join(path.dirname(manifestPath), file);
      try {
        shards.push(await fs.readFile(shard));
      } catch (error) {
        throw new StudioError(
          'io',
          `Cannot read the weights ${shard} of ${manifestPath}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    const total = shards.reduce((n, s) => n + s.byteLength, 0);
    const data = new Uint8Array(total);
    let at = 0;
    for (const s of shards) {
      data.set(s, at);
      at += s.byteLength;
    }
    Object.assign(out, tf.io.decodeWeights(data.buffer, group.weights));
  }
  return out;
}

/** The weight `name` of `weights`, or an error naming the manifest's network and the weight. */
export function weightOf<T extends tf.Tensor1D | tf.Tensor2D | tf.Tensor4D>(
  weights: tf.NamedTensorMap,
  name: string,
  rank: T['rank'],
  net: string,
): T {
  const t = weights[name];
  if (!t || t.rank !== rank)
    throw new StudioError(
      'invalid-payload',
      `${net}: weight "${name}" is missing or not of rank ${rank}`,
    );
  return t as T;
}
