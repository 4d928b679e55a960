/** Small fine-tuning models with random weights, for comparing exported graphs with the engine. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { FinetuneResult } from '../../../src-main/engine/finetune/finetune';
import { parseFinetuneConfig } from '../../../src-main/engine/finetune/finetune-config';
import type { FinetuneData } from '../../../src-main/engine/finetune/finetune-data';
import { buildFinetuneModel } from '../../../src-main/engine/finetune/finetune-model';
import { initParams } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import type { FinetunedCardFields } from '../../../src-main/engine/export/export-model';
import { buildGraphModel } from '../../../src-main/engine/export/graph-model';
import type { GraphModelSpec } from '../../../src-main/engine/export/graph-model';
import { packConstants } from '../../../src-main/engine/export/model-folder';
import type { LandmarkSchema } from '../../../src-main/shared/schemas';

/** Image 32, patch 8 (a 4×4 grid), two blocks: small enough for milliseconds per forward. */
export const SMALL_MODEL = {
  preset: 'tiny',
  imageSize: 32,
  patchSize: 8,
  dim: 16,
  depth: 2,
  heads: 2,
} as const;

export const THREE_POINTS: LandmarkSchema = {
  id: 'three',
  name: 'three points',
  points: ['left eye', 'right eye', 'mouth'],
  groups: [],
  edges: [],
  mirror: [[0, 1]],
  normaliser: [0, 1],
  template: [
    [0, 0],
    [1, 0],
    [0.5, 1],
  ],
};

const ATTRIBUTES = ['smiling', 'glasses', 'beard', 'hat'];
const CLASSES = ['neutral', 'happy', 'sad'];

export type FinetuneTaskName = 'landmarks' | 'attributes' | 'expression';

function dataFor(task: FinetuneTaskName): FinetuneData {
  const train = {
    size: 0,
    labels: new Float32Array(0),
    images: async () => tf.zeros([0, 32, 32, 3]) as tf.Tensor4D,
  };
  if (task === 'landmarks') return { task, schema: THREE_POINTS, train };
  if (task === 'attributes') return { task, attributes: ATTRIBUTES.length, train };
  return { task, classes: CLASSES.length, train };
}

/**
 * A fine-tuning result for `task` whose every weight is random (biases, norms and the heatmap
 * prior too, which a fresh init leaves at 0 or 1), so each tensor of the export matters.
 */
export function randomResult(task: FinetuneTaskName, seed: number): FinetuneResult {
  const config = parseFinetuneConfig({
    task,
    model: SMALL_MODEL,
    landmarkHead: { channels: [8, 4], temperature: 4 },
  });
  const model = buildFinetuneModel(config, dataFor(task));
  const rng = new Rng(seed);
  const params = initParams(model.layout, rng);
  for (let i = 0; i < params.length; i++) params[i]! += 0.3 * rng.normal();
  // A sharper heatmap: soft-argmax of a flat one sits at the crop centre whatever the features.
  for (const e of model.layout.entries)
    if (e.name.startsWith('landmarks.'))
      for (let i = e.offset; i < e.offset + e.size; i++) params[i]! *= 4;
  return {
    config,
    model,
    params,
    step: 0,
    bestEpoch: 0,
    history: [],
    cancelled: false,
    stoppedEarly: false,
    checkpoint: null,
  };
}

export function cardFieldsFor(task: FinetuneTaskName, id: string): FinetunedCardFields {
  return {
    id,
    runId: `run-${id}`,
    schema:
      task === 'landmarks'
        ? {
            id: THREE_POINTS.id,
            name: THREE_POINTS.name,
            points: THREE_POINTS.points,
            mirror: THREE_POINTS.mirror,
            normaliser: THREE_POINTS.normaliser,
          }
        : null,
    attributes: task === 'attributes' ? ATTRIBUTES : null,
    classes: task === 'expression' ? CLASSES : null,
    crop: { from: 'face-box', margin: 0.25, landmarksToFaceBox: 1 },
    metrics: [{ data: 'test split', faces: 10, values: { nme: 0.05 } }],
    data: { project: null, train: 100, val: 10, test: 10 },
    backbone: { pretrainedFrom: null },
  };
}

/** Seeded images `[n, 32, 32, 3]` in [0, 1]. */
export function testImages(n: number, seed = 3): tf.Tensor4D {
  return tf.randomUniform([n, 32, 32, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const CHILD = fileURLToPath(new URL('./predict-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type ChildPrediction = {
  task: string;
  inputSize: number;
  landmarks?: number[];
  probabilities?: number[];
  features?: number[];
};

/** Predictions of `images` by each model folder, from a fresh Node process (predict-child.ts). */
export async function predictInChild(
  dirs: string[],
  images: tf.Tensor4D,
  scratch: string,
): Promise<Record<string, ChildPrediction>> {
  const file = path.join(scratch, 'images.bin');
  await writeFile(file, images.dataSync() as Float32Array);
  const [n, size] = images.shape;
  const args = ['--import', TSX, CHILD, file, String(n), String(size), ...dirs];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, ChildPrediction>);
    });
  });
}

/** Runs the graph of `spec` in memory through tf.loadGraphModel. */
export async function runGraph(
  spec: GraphModelSpec,
  weight: (name: string) => Float32Array,
  images: tf.Tensor4D,
): Promise<{ values: Float32Array; shape: number[] }> {
  const built = buildGraphModel(spec, weight);
  const { specs, bytes } = packConstants(built.constants);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: built.graph,
      weightSpecs: specs,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
  const out = model.execute(images, built.metadata.output) as tf.Tensor;
  const result = { values: (await out.data()) as Float32Array, shape: out.shape };
  out.dispose();
  model.dispose();
  return result;
}
