/**
 * Loads an exported model folder (export-model.ts) for prediction: card.json validated by the
 * shared schema, model.json + shards run by TensorFlow.js's own graph executor
 * (`tf.loadGraphModel` over an IOHandler that reads the folder from disk), so what `predict` and
 * pre-labelling get is exactly what any tfjs app loading the folder would get.
 *
 *   const model = await loadExportedModel(dir);
 *   const { landmarks } = await model.predict(crops); // crops: [n, S, S, 3] RGB in [0, 1]
 *   model.dispose();
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { MODEL_CARD_VERSION, ModelCard } from '../../shared/model-card';
import { graphInputSize, graphMetadataOf } from './graph-metadata';
import {
  CARD_JSON,
  MODEL_JSON,
  describeIssues,
  readJsonFile,
  readModelJson,
  readWeights,
} from './model-folder';
import type { ModelJsonFile, WeightsOnDisk } from './model-folder';
import { withoutIdentities } from './skip-identities';

export { graphInputSize, graphMetadataOf, type StudioGraphMetadata } from './graph-metadata';
import { loadOnnxGraphRunner, type GraphRunnerName, type OnnxGraphRunner } from './graph-runner';

/**
 * Faces per graph run: bounds the activations' memory (wasm is capped at 4 GB:
 * docs/ARCHITECTURE.md, "Pitfalls").
 */
const PREDICT_BATCH = 32;

export interface ExportedPrediction {
  /** Landmarks models: `[n·K·2]`, x then y per point, in 0..1 of the crop (u = (px + 0.5) / S). */
  landmarks?: Float32Array;
  /** Attributes (`[n·A]`, sigmoid) and expression (`[n·C]`, softmax) models. */
  probabilities?: Float32Array;
  /** Backbones: CLS features `[n·dim]`. */
  features?: Float32Array;
}

export interface ExportedModel {
  card: ModelCard;
  /** What runs the graph (graph-runner.ts); absent for the engine's own runners of a head. */
  runner?: GraphRunnerName;
  /** The square side the graph takes; other sizes are resized (bilinear) before it. */
  inputSize: number;
  /** Images `[n, S, S, 3]` RGB in [0, 1] (the caller keeps and disposes them). */
  predict(images: tf.Tensor4D): Promise<ExportedPrediction>;
  /**
   * The same on crops already in an array, `[count·S·S·3]`: the ONNX Runtime runner takes them as
   * they are, with no TF.js tensor to copy in, slice and read back (a third of a FaceMesh crop's
   * CPU time). Absent: wrap them in a tensor for `predict`.
   */
  predictPixels?(pixels: Float32Array, count: number): Promise<ExportedPrediction>;
  dispose(): void;
}

/** Reads and validates `dir/card.json`; a card from a newer Face Studio is refused by name. */
export async function readModelCard(dir: string): Promise<ModelCard> {
  const file = path.join(dir, CARD_JSON);
  const raw = await readJsonFile(file, 'card.json');
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > MODEL_CARD_VERSION)
    throw new StudioError(
      'invalid-payload',
      `${file} is card version ${version}, written by a newer Face Studio; this version reads ` +
        `up to version ${MODEL_CARD_VERSION}. Update Face Studio to use this model.`,
    );
  const parsed = ModelCard.safeParse(raw);
  if (!parsed.success)
    throw new StudioError(
      'invalid-payload',
      `${file} is not a valid model card: ${describeIssues(parsed.error.issues)}`,
    );
  return parsed.data;
}

/**
 * An IOHandler over already-read model.json and shards (tfjs's file:// handler needs tfjs-node),
 * the graph's inner Identity nodes bypassed (skip-identities.ts): `output` is kept.
 */
function folderHandler(
  modelJson: ModelJsonFile,
  weights: WeightsOnDisk,
  output: string,
): tf.io.IOHandler {
  return {
    load: async () => ({
      modelTopology:
        modelJson.modelTopology && withoutIdentities(modelJson.modelTopology, new Set([output])),
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
      signature: modelJson.signature,
      userDefinedMetadata: modelJson.userDefinedMetadata,
      weightSpecs: weights.specs,
      weightData: weights.data,
    }),
  };
}

export interface LoadModelOptions {
  /** TF.js's executor (the default) or ONNX Runtime over the converted graph (graph-runner.ts). */
  runner?: GraphRunnerName;
}

export async function loadExportedModel(
  dir: string,
  options: LoadModelOptions = {},
): Promise<ExportedModel> {
  const runner = options.runner ?? 'tfjs';
  const card = await readModelCard(dir);
  const modelJson = await readModelJson(dir);
  const meta = graphMetadataOf(dir, modelJson);
  const cardFile = path.join(dir, CARD_JSON);
  const size = graphInputSize(meta);
  if (meta.task !== card.task || size !== card.input.size)
    throw new StudioError(
      'invalid-payload',
      `${cardFile} describes a ${card.task} model of ${card.input.size} px; model.json holds a ` +
        `${meta.task} graph of ${size} px (files from two exports?)`,
    );
  const weights = await readWeights(dir, modelJson);
  let graph: tf.GraphModel | null = null;
  let onnx: OnnxGraphRunner | null = null;
  if (runner === 'onnxruntime') onnx = await loadOnnxGraphRunner(dir);
  else
    try {
      graph = await tf.loadGraphModel(folderHandler(modelJson, weights, meta.output));
    } catch (error) {
      throw new StudioError(
        'invalid-payload',
        `${path.join(dir, MODEL_JSON)} cannot be loaded as a graph model: ${(error as Error).message}`,
        { cause: error },
      );
    }
  const key =
    meta.task === 'backbone'
      ? 'features'
      : meta.task === 'landmarks'
        ? 'landmarks'
        : 'probabilities';
  const predictPixels = onnx
    ? async (pixels: Float32Array, count: number): Promise<ExportedPrediction> => {
        const perCrop = size * size * 3;
        if (pixels.length !== count * perCrop)
          throw new StudioError(
            'invalid-payload',
            `Model ${card.id} takes ${size} px crops: ${count} of them are ${count * perCrop} values, not ${pixels.length}`,
          );
        const parts: Float32Array[] = [];
        for (let from = 0; from < count; from += PREDICT_BATCH) {
          const m = Math.min(PREDICT_BATCH, count - from);
          const part = pixels.subarray(from * perCrop, (from + m) * perCrop);
          parts.push(await onnx.run(part, [m, size, size, 3]));
        }
        return { [key]: joined(parts) };
      }
    : undefined;
  return {
    card,
    runner,
    inputSize: size,
    predict: async (images) => {
      if (images.rank !== 4 || images.shape[3] !== 3)
        throw new StudioError(
          'invalid-payload',
          `Model ${card.id} takes images [n, ${size}, ${size}, 3]; got [${images.shape.join(', ')}]`,
        );
      const n = images.shape[0];
      const parts: Float32Array[] = [];
      for (let from = 0; from < n; from += PREDICT_BATCH) {
        const out = tf.tidy(() => {
          // Each step only where it changes something: on wasm a slice or a cast copies the whole
          // batch (the slice through a fresh JS array, megabytes for the GC per run).
          let x: tf.Tensor4D =
            from === 0 && n <= PREDICT_BATCH
              ? images
              : tf.slice(images, [from, 0, 0, 0], [Math.min(PREDICT_BATCH, n - from), -1, -1, -1]);
          if (x.shape[1] !== size || x.shape[2] !== size)
            x = tf.image.resizeBilinear(x, [size, size], false, true);
          if (x.dtype !== 'float32') x = tf.cast(x, 'float32');
          return graph ? (graph.execute(x, meta.output) as tf.Tensor) : x;
        });
        const values = (await out.data()) as Float32Array;
        parts.push(onnx ? await onnx.run(values, out.shape) : values);
        if (out !== images) out.dispose(); // the caller's own, fed to ONNX Runtime as it is
      }
      return { [key]: joined(parts) };
    },
    ...(predictPixels ? { predictPixels } : {}),
    dispose: () => {
      graph?.dispose();
      void onnx?.dispose();
    },
  };
}

function joined(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const values = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    values.set(p, offset);
    offset += p.length;
  }
  return values;
}
