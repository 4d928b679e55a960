/**
 * Loads a TF.js graph model that ships inside an installed npm package (`model.json` plus its
 * weight files) through an in-memory IOHandler: Node has no `file://` loader without tfjs-node,
 * and the app never downloads weights (docs/ARCHITECTURE.md, "Backbones and tasks").
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';

const requireFromHere = createRequire(import.meta.url);

/** Absolute path of `file` inside the installed package `pkg` (e.g. `@vladmandic/human`). */
export function packageFile(pkg: string, file: string): string {
  // Packages with an `exports` map (like @vladmandic/human) hide package.json from
  // require.resolve, so look for the folder along Node's own search paths.
  for (const dir of requireFromHere.resolve.paths(pkg) ?? []) {
    const root = path.join(dir, pkg);
    if (existsSync(path.join(root, 'package.json'))) return path.join(root, file);
  }
  throw new StudioError('not-found', `The package ${pkg} is not installed (needed for ${file})`);
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
}

/** The model artifacts of a graph-model `model.json` and the weight files beside it. */
export async function readGraphArtifacts(jsonPath: string): Promise<tf.io.ModelArtifacts> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (cause) {
    throw new StudioError(
      'invalid-payload',
      `Cannot read the model file ${jsonPath}: ${String(cause)}`,
      {
        cause,
      },
    );
  }
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new StudioError(
      'invalid-payload',
      `${jsonPath} is not a TF.js graph model (no modelTopology or weightsManifest)`,
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(await readFile(path.join(path.dirname(jsonPath), p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? null,
    signature: json.signature as tf.io.ModelArtifacts['signature'],
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    weightSpecs: specs,
    weightData,
  };
}

/** `tf.loadGraphModel` on `file` of the installed package `pkg`. */
export async function loadPackageGraphModel(pkg: string, file: string): Promise<tf.GraphModel> {
  const artifacts = await readGraphArtifacts(packageFile(pkg, file));
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}
