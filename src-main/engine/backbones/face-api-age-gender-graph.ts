/**
 * face-api.js's age and gender network written as a TensorFlow graph (docs/ARCHITECTURE.md,
 * "Backbones and tasks"). face-api's networks are code, not graph models: the package ships named
 * weights (`model/age_gender_model-weights_manifest.json`) and builds the layers in TypeScript
 * (`src/xception/TinyXception.ts`, `src/ageGenderNet/AgeGenderNet.ts`). This module writes those
 * layers once, as graph nodes through the exporter's GraphBuilder, from the same weights:
 *
 * - the engine loads the written graph as a `tf.GraphModel` and runs it through `embedWithGraph`
 *   like any packaged backbone graph (face-api-age-gender-backbone.ts);
 * - the exporter imports the same written graph into a model's graph (`BackboneGraph.source`),
 *   as it imports a packaged model.json.
 *
 * One writer, one graph, two readers: the engine's features and an exported model's cannot
 * drift. The graph takes `[n, 112, 112, 3]` RGB in [0, 1]:
 *
 *   x − mean/255 (face-api's `(RGB·255 − mean) / 255`); conv 3 × 3 / 2 + ReLU; reduction block 0
 *   (no leading ReLU) and 1; main blocks 0 and 1; the exit reduction block; separable conv + ReLU
 *   → `map` 7 × 7 × 512; mean over the face → `pooled` 512; `gender` = pooled · (w_male − w_female)
 *   + (b_male − b_female), one logit; `age` = pooled · w_age + b_age.
 *
 * Ops: Conv2D, DepthwiseConv2dNative (a separable conv is the depthwise conv, then a 1 × 1
 * Conv2D, as `tf.separableConv2d` runs it), MaxPool, Relu, AddV2, Sub, Mean, MatMul — every one
 * on TF.js's wasm backend.
 */
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder, type AttrValue } from '../export/graph-builder';
import type { SourceGraph } from '../export/import-graph';
import { packConstants } from '../export/model-folder';
import { weightOf } from './face-api-weights';

export const AGE_GENDER_SIZE = 112;
/** face-api's mean RGB (0..255) for this network. */
export const AGE_GENDER_MEAN_RGB = [122.782, 117.001, 104.298] as const;
const NET = 'face-api age_gender_model';

/** Names of the written graph's input and its tap nodes. */
export const AGE_GENDER_NODES = {
  input: 'input',
  map: 'map',
  pooled: 'pooled',
  gender: 'gender',
  age: 'age',
} as const;

const FLOAT: AttrValue = { type: 'DT_FLOAT' };
const ints = (values: readonly number[]): AttrValue => ({
  list: { i: values.map(String) },
});
const text = (value: string): AttrValue => ({ s: btoa(value) });

/**
 * Float32 values of every weight tensor, read once and asynchronously, as a GPU backend in Node
 * needs (docs/ARCHITECTURE.md, "Backends and speed").
 */
async function readValues(weights: tf.NamedTensorMap): Promise<Map<tf.Tensor, Float32Array>> {
  const tensors = Object.values(weights);
  const values = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  return new Map(tensors.map((t, i) => [t, values[i]!]));
}

/** Writes the network into a new GraphBuilder from face-api's named `weights`. */
export async function writeAgeGenderGraph(weights: tf.NamedTensorMap): Promise<GraphBuilder> {
  const host = await readValues(weights);
  const valuesOf = (t: tf.Tensor): Float32Array => host.get(t)!;
  const g = new GraphBuilder();
  const constant = (name: string, t: tf.Tensor) => g.constant(name, valuesOf(t), t.shape);

  const conv2d = (x: string, filters: string, stride: number, padding: 'SAME' | 'VALID') =>
    g.op('Conv2D', [x, filters], {
      T: FLOAT,
      strides: ints([1, stride, stride, 1]),
      padding: text(padding),
      data_format: text('NHWC'),
      dilations: ints([1, 1, 1, 1]),
      use_cudnn_on_gpu: { b: true },
    });
  const conv = (x: string, prefix: string, stride: number) =>
    g.scoped(prefix, () =>
      g.add2(
        conv2d(
          x,
          constant(`${prefix}/filters`, weightOf(weights, `${prefix}/filters`, 4, NET)),
          stride,
          'SAME',
        ),
        constant(`${prefix}/bias`, weightOf(weights, `${prefix}/bias`, 1, NET)),
      ),
    );
  const separable = (x: string, prefix: string) =>
    g.scoped(prefix, () => {
      const depthwise = g.op(
        'DepthwiseConv2dNative',
        [
          x,
          constant(
            `${prefix}/depthwise_filter`,
            weightOf(weights, `${prefix}/depthwise_filter`, 4, NET),
          ),
        ],
        {
          T: FLOAT,
          strides: ints([1, 1, 1, 1]),
          padding: text('SAME'),
          data_format: text('NHWC'),
          dilations: ints([1, 1, 1, 1]),
        },
      );
      const pointwise = constant(
        `${prefix}/pointwise_filter`,
        weightOf(weights, `${prefix}/pointwise_filter`, 4, NET),
      );
      return g.add2(
        conv2d(depthwise, pointwise, 1, 'VALID'),
        constant(`${prefix}/bias`, weightOf(weights, `${prefix}/bias`, 1, NET)),
      );
    });
  const relu = (x: string) => g.unary('Relu', x);
  const maxPool = (x: string) =>
    g.op('MaxPool', [x], {
      T: FLOAT,
      ksize: ints([1, 3, 3, 1]),
      strides: ints([1, 2, 2, 1]),
      padding: text('SAME'),
      data_format: text('NHWC'),
    });
  const reductionBlock = (x: string, prefix: string, activate: boolean) => {
    let out = activate ? relu(x) : x;
    out = separable(out, `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    out = maxPool(out);
    return g.add2(out, conv(x, `${prefix}/expansion_conv`, 2));
  };
  const mainBlock = (x: string, prefix: string) => {
    let out = separable(relu(x), `${prefix}/separable_conv0`);
    out = separable(relu(out), `${prefix}/separable_conv1`);
    out = separable(relu(out), `${prefix}/separable_conv2`);
    return g.add2(out, x);
  };

  const input = g.placeholder(AGE_GENDER_NODES.input, [-1, AGE_GENDER_SIZE, AGE_GENDER_SIZE, 3]);
  let x = g.sub(
    input,
    g.constant(
      'mean_rgb',
      Float32Array.from(AGE_GENDER_MEAN_RGB, (m) => m / 255),
      [3],
    ),
  );
  x = relu(conv(x, 'entry_flow/conv_in', 2));
  x = reductionBlock(x, 'entry_flow/reduction_block_0', false);
  x = reductionBlock(x, 'entry_flow/reduction_block_1', true);
  x = mainBlock(x, 'middle_flow/main_block_0');
  x = mainBlock(x, 'middle_flow/main_block_1');
  x = reductionBlock(x, 'exit_flow/reduction_block', true);
  const map = g.identity(relu(separable(x, 'exit_flow/separable_conv')), AGE_GENDER_NODES.map);
  const pooled = g.identity(g.meanOver(map, [1, 2], false), AGE_GENDER_NODES.pooled);

  // Male minus female: one linear map of the pooled features (columns 0 and 1 of the head).
  const genderW = weightOf<tf.Tensor2D>(weights, 'fc/gender/weights', 2, NET);
  const genderB = weightOf<tf.Tensor1D>(weights, 'fc/gender/bias', 1, NET);
  const [rows, cols] = genderW.shape;
  if (cols !== 2)
    throw new Error(`${NET}: fc/gender/weights is [${genderW.shape.join(', ')}], not [512, 2]`);
  const w = valuesOf(genderW);
  const b = valuesOf(genderB);
  const diffW = Float32Array.from({ length: rows }, (_, j) => w[2 * j]! - w[2 * j + 1]!);
  g.identity(
    g.add2(
      g.matMul(pooled, g.constant('fc/gender/male_minus_female/weights', diffW, [rows, 1])),
      g.constant('fc/gender/male_minus_female/bias', Float32Array.of(b[0]! - b[1]!), [1]),
    ),
    AGE_GENDER_NODES.gender,
  );
  g.identity(
    g.add2(
      g.matMul(pooled, constant('fc/age/weights', weightOf(weights, 'fc/age/weights', 2, NET))),
      constant('fc/age/bias', weightOf(weights, 'fc/age/bias', 1, NET)),
    ),
    AGE_GENDER_NODES.age,
  );
  return g;
}

/** The written graph as a source graph the exporter imports (`file`: where the weights came from). */
export function sourceGraphOf(g: GraphBuilder, file: string): SourceGraph {
  return {
    file,
    nodes: g.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      input: n.input ?? [],
      attr: (n.attr ?? {}) as Record<string, unknown>,
    })),
    weights: new Map(g.constants.map((c) => [c.name, { values: c.values, shape: c.shape }])),
  };
}

/** The written graph as a runnable TF.js graph model (in memory). */
export async function graphModelOf(g: GraphBuilder): Promise<tf.GraphModel> {
  const { specs, bytes } = packConstants(g.constants);
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: g.graph(),
      weightSpecs: specs,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}
