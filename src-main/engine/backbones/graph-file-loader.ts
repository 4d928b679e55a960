/**
 * A TF.js IOHandler over a converted graph model on disk (`model.json` + weight shards), for
 * Node without tfjs-node: `tf.loadGraphModel('file://…')` needs tfjs-node's file system router,
 * and the wasm/cpu backends ship none. Reads the JSON and its shards with `fs` and hands TF.js
 * the artifacts (docs/ARCHITECTURE.md, "Backends and speed").
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  modelTopology?: object;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** An IOHandler that loads `jsonPath` and the weight files its manifest names (same folder). */
export function graphFileHandler(
  jsonPath: string,
): tf.io.IOHandler & { load: () => Promise<tf.io.ModelArtifacts> } {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      let json: ModelJson;
      try {
        json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson;
      } catch (error) {
        throw new StudioError(
          'io',
          `Cannot read the model ${jsonPath}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new StudioError(
          'invalid-payload',
          `${jsonPath}: not a TF.js graph model (no modelTopology or weightsManifest)`,
        );
      }
      const dir = path.dirname(jsonPath);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const shards: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const file of group.paths) {
          const shardPath = path.join(dir, file);
          try {
            shards.push(await fs.readFile(shardPath));
          } catch (error) {
            throw new StudioError(
              'io',
              `Cannot read the weights ${shardPath} of ${jsonPath}: ${(error as Error).message}`,
              { cause: error },
            );
          }
        }
      }
      const total = shards.reduce((n, s) => n + s.byteLength, 0);
      const weightData = new Uint8Array(total);
      let offset = 0;
      for (const s of shards) {
        weightData.set(s, offset);
        offset += s.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: weightData.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? null,
        signature: json.signature,
      };
    },
  };
}

/** Loads the graph model at `jsonPath` (see `graphFileHandler`). */
export async function loadGraphFile(jsonPath: string): Promise<tf.GraphModel> {
  return tf.loadGraphModel(graphFileHandler(jsonPath));
}
