/**
 * The engine's forward pass written out as a TensorFlow.js graph model (docs/ARCHITECTURE.md,
 * "Files on disk"): a GraphDef that `tf.loadGraphModel` runs with no Face Studio code, for the
 * backbone alone (CLS features) or the backbone with one fine-tuning head. It mirrors vit.ts,
 * layers/ and finetune/ op for op — the same kernels in the same order — so its outputs equal
 * `vitForward` / `predictFinetune` to float rounding (tests/engine/export/graph-model.test.ts holds
 * them to 1e-5).
 *
 * Graph: input `images` `[-1, S, S, 3]` RGB in [0, 1] → (x − mean) / std → patch embedding
 * (reshape, rank-4 transpose, MatMul) → CLS + positions → blocks → final norm → the head → one
 * output named for what it holds:
 * - `features` `[n, dim]` (backbone), `attributes` `[n, A]` sigmoid probabilities,
 *   `expression` `[n, C]` softmax probabilities, `landmarks` `[n, K, 2]` crop coordinates in 0..1
 *   (u = (px + 0.5) / S), by soft-argmax over the head's heatmaps.
 *
 * Ops used, all run by tfjs-converter's executor: Placeholder, Const, Identity, MatMul,
 * BatchMatMulV2, AddV2, Sub, Mul, RealDiv, Rsqrt, Square, Erf, Softmax, Sigmoid, Mean, Reshape,
 * Transpose, Slice, ConcatV2, Shape, StridedSlice, BroadcastTo. Nothing had to be approximated:
 * GELU is the exact `x·Φ(x)` through Erf; layer norm is Mean/Square/Rsqrt as `tf.moments` computes
 * it; the landmark head's transposed convolutions are MatMul + depth-to-space (reshape/transpose),
 * exactly as the engine runs them.
 *
 * Choices, and why:
 * - A graph model only (`tf.loadGraphModel`), not a layers model: the ViT is functions of a
 *   parameter map, not Keras layers, and a graph needs no custom layer classes to load.
 * - Every constant is a weights-manifest entry, the trained weights under the engine's parameter
 *   names (`block0.qkv.w`, `landmarks.prior`) and also the small int32 shapes/axes and float
 *   scalars (`const/int_3`): tfjs's executor reads each Const node's value from the manifest by
 *   node name, never from the GraphDef, as the official converter's output does too.
 * - The input size is fixed at export (the card's `input.size`): positional embeddings are not
 *   resized inside the graph. `loadExportedModel` resizes other sizes (bilinear) before the graph.
 * - The batch is dynamic (`-1`); the CLS token is repeated per image by Shape → StridedSlice →
 *   ConcatV2 → BroadcastTo, the one place the graph computes a shape.
 */
import type * as tf from '@tensorflow/tfjs';
import pkg from '../../../package.json' with { type: 'json' };
import { IMAGE_MEAN, IMAGE_STD } from '../model/normalise';
import type { ParamSpec } from '../model/params';
import { vitParamSpecs } from '../model/vit';
import type { VitConfig } from '../model/vit';
import { linearHeadSpecs } from '../finetune/class-heads';
import type { FinetuneModel } from '../finetune/finetune-model';
import { heatmapSide, landmarkHeadSpecs, neighbourMatrix } from '../finetune/landmark-head';
import type { LandmarkHeadConfig } from '../finetune/landmark-head';
import { GraphBuilder } from './graph-builder';
import type { GraphConstant, GraphDef } from './graph-builder';

/** Bump when the graph or its metadata changes meaning; loaders refuse newer versions by name. */
export const GRAPH_FORMAT_VERSION = 1;

/** Layer norm epsilon, as layers/layer-norm.ts (the peer's 1e-6). */
const LAYER_NORM_EPS = 1e-6;

export type ExportHead =
  | { task: 'landmarks'; landmarks: LandmarkHeadConfig }
  | { task: 'attributes'; outputs: number }
  | { task: 'expression'; outputs: number };

export type ExportTask = 'backbone' | ExportHead['task'];

/** What a graph computes: the backbone, and the head on top (null = CLS features). */
export interface GraphModelSpec {
  vit: VitConfig;
  head: ExportHead | null;
}

/** The graph's output node for each task. */
export const OUTPUT_NAMES = {
  backbone: 'features',
  landmarks: 'landmarks',
  attributes: 'attributes',
  expression: 'expression',
} as const satisfies Record<ExportTask, string>;

export const INPUT_NAME = 'images';

/** Face Studio's part of model.json's `userDefinedMetadata`. */
export interface GraphMetadata {
  formatVersion: number;
  task: ExportTask;
  vit: VitConfig;
  head: ExportHead | null;
  input: typeof INPUT_NAME;
  output: string;
  normalisation: { mean: number[]; std: number[] };
}

export function taskOf(spec: GraphModelSpec): ExportTask {
  return spec.head?.task ?? 'backbone';
}

/** The export head of a fine-tuning model. */
export function exportHeadOf(model: FinetuneModel): ExportHead {
  if (model.landmarkHead) return { task: 'landmarks', landmarks: model.landmarkHead };
  if (model.task === 'landmarks') throw new Error('A landmarks model without a landmark head');
  return { task: model.task, outputs: model.outputs };
}

/** Every trained tensor the graph holds, in the engine's layout order. */
export function graphParamSpecs(spec: GraphModelSpec): ParamSpec[] {
  const head = spec.head;
  if (!head) return vitParamSpecs(spec.vit);
  if (head.task === 'landmarks')
    return [...vitParamSpecs(spec.vit), ...landmarkHeadSpecs(head.landmarks)];
  return [...vitParamSpecs(spec.vit), ...linearHeadSpecs(head.task, spec.vit.dim, head.outputs)];
}

export interface BuiltGraph {
  graph: GraphDef;
  /** Weights and graph constants, in the order the shards hold them. */
  constants: GraphConstant[];
  metadata: GraphMetadata;
}

/** Cell centres `[W·W, 2]` as (x, y) in 0..1, row-major: landmark-head.ts's soft-argmax grid. */
function cellCentres(side: number): Float32Array {
  const v = new Float32Array(side * side * 2);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      v[2 * (y * side + x)] = (x + 0.5) / side;
      v[2 * (y * side + x) + 1] = (y + 0.5) / side;
    }
  return v;
}

/**
 * Builds the graph of `spec` with the trained values `weight(name)` (engine parameter names; each
 * must have its spec's size).
 */
export function buildGraphModel(
  spec: GraphModelSpec,
  weight: (name: string) => Float32Array,
): BuiltGraph {
  const { vit } = spec;
  const g = new GraphBuilder();
  const shapes = new Map(graphParamSpecs(spec).map((s) => [s.name, s.shape]));
  const added = new Set<string>();
  const P = (name: string): string => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`No parameter ${name} in this model`);
    if (!added.has(name)) {
      g.constant(name, weight(name), shape);
      added.add(name);
    }
    return name;
  };
  const linear = (x: string, prefix: string): string =>
    g.scoped(prefix, () => g.add2(g.matMul(x, P(`${prefix}.w`)), P(`${prefix}.b`)));
  // tf.moments, then (x − mean)·rsqrt(var + eps)·γ + β, as layers/layer-norm.ts.
  const layerNorm = (x: string, prefix: string): string =>
    g.scoped(prefix, () => {
      const dev = g.sub(x, g.mean(x, -1, true));
      const variance = g.mean(g.unary('Square', dev), -1, true);
      const inv = g.unary('Rsqrt', g.add2(variance, g.scalar(LAYER_NORM_EPS)));
      return g.add2(g.mul(g.mul(dev, inv), P(`${prefix}.g`)), P(`${prefix}.b`));
    });
  // x·Φ(x) with Φ(x) = 0.5·(1 + erf(x/√2)), as layers/gelu.ts.
  const gelu = (x: string): string =>
    g.scoped('gelu', () => {
      const erf = g.unary('Erf', g.mul(x, g.scalar(Math.SQRT1_2)));
      return g.mul(x, g.mul(g.scalar(0.5), g.add2(g.scalar(1), erf)));
    });

  const S = vit.imageSize;
  const p = vit.patchSize;
  const grid = S / p;
  const tokens = grid * grid + 1;
  const d = vit.dim;
  const heads = vit.heads;
  const headDim = d / heads;

  const images = g.placeholder(INPUT_NAME, [-1, S, S, 3]);
  const normalised = g.scoped('normalise', () =>
    g.div(
      g.sub(images, g.constant('input.mean', Float32Array.from(IMAGE_MEAN), [3])),
      g.constant('input.std', Float32Array.from(IMAGE_STD), [3]),
    ),
  );
  // [B, S, S, 3] → [B·g, p, g, p·3] → [B·g, g, p, p·3] → [B·g·g, p·p·3], as vit.ts.
  let x = g.scoped('patches', () =>
    g.reshape(g.transpose(g.reshape(normalised, [-1, p, grid, p * 3]), [0, 2, 1, 3]), [
      -1,
      p * p * 3,
    ]),
  );
  x = g.reshape(linear(x, 'patch'), [-1, grid * grid, d]);
  x = g.scoped('tokens', () => {
    const batch = g.batchSizeOf(images);
    const clsShape = g.concat([batch, g.ints([1, d])], 0, 'int32');
    const cls = g.broadcastTo(g.reshape(P('cls'), [1, 1, d]), clsShape);
    const withPos = g.add2(g.concat([cls, x], 1), g.reshape(P('pos'), [1, tokens, d]));
    return g.reshape(withPos, [-1, d]);
  });

  for (let i = 0; i < vit.depth; i++) {
    const b = `block${i}`;
    x = g.scoped(b, () => {
      const qkv = linear(layerNorm(x, `${b}.norm1`), `${b}.qkv`);
      const att = g.scoped('attention', () => {
        // [B, N, 3H, dh] → [B, 3H, N, dh]; q, k, v are H heads each along axis 1
        // (layers/attention).
        const split = g.transpose(g.reshape(qkv, [-1, tokens, 3 * heads, headDim]), [0, 2, 1, 3]);
        const [q, k, v] = [0, 1, 2].map((j) =>
          g.reshape(g.slice(split, [0, j * heads, 0, 0], [-1, heads, -1, -1]), [
            -1,
            tokens,
            headDim,
          ]),
        ) as [string, string, string];
        const scores = g.batchMatMul(g.mul(q, g.scalar(headDim ** -0.5)), k, true);
        const context = g.batchMatMul(g.unary('Softmax', scores), v, false);
        const merged = g.transpose(g.reshape(context, [-1, heads, tokens, headDim]), [0, 2, 1, 3]);
        return g.reshape(merged, [-1, d]);
      });
      const mid = g.add2(x, linear(att, `${b}.proj`));
      const hidden = gelu(linear(layerNorm(mid, `${b}.norm2`), `${b}.fc1`));
      return g.add2(mid, linear(hidden, `${b}.fc2`));
    });
  }

  // The final norm is per token, so normalising only the rows a head reads gives the same values.
  const perImage = g.reshape(x, [-1, tokens, d]);
  const head = spec.head;
  let output: string;
  if (head?.task === 'landmarks') {
    const patches = g.reshape(g.slice(perImage, [0, 1, 0], [-1, grid * grid, d]), [-1, d]);
    output = landmarkHead(g, P, linear, gelu, layerNorm(patches, 'norm'), head.landmarks);
  } else {
    const cls = layerNorm(g.reshape(g.slice(perImage, [0, 0, 0], [-1, 1, d]), [-1, d]), 'norm');
    if (!head) output = cls;
    else if (head.task === 'attributes') output = g.unary('Sigmoid', linear(cls, 'attributes'));
    else output = g.unary('Softmax', linear(cls, 'expression'));
  }
  const task = taskOf(spec);
  const outputName = g.identity(output, OUTPUT_NAMES[task]);
  return {
    graph: g.graph(),
    constants: g.constants,
    metadata: {
      formatVersion: GRAPH_FORMAT_VERSION,
      task,
      vit,
      head,
      input: INPUT_NAME,
      output: outputName,
      normalisation: { mean: [...IMAGE_MEAN], std: [...IMAGE_STD] },
    },
  };
}

/**
 * landmark-head.ts as a graph: patch tokens (→ projection → k×k context window) → two (MatMul,
 * GELU, depth-to-space ×2) steps → per cell logits × temperature → `[B·K, W·W]` + prior →
 * softmax → expected cell centre, `[B, K, 2]`.
 */
function landmarkHead(
  g: GraphBuilder,
  P: (name: string) => string,
  linear: (x: string, prefix: string) => string,
  gelu: (x: string) => string,
  patches: string,
  c: LandmarkHeadConfig,
): string {
  return g.scoped('landmarks', () => {
    // [B·s·s, 4·C] with channels (dy, dx, c) → [B·2s·2s, C], as landmark-head.ts's depthToSpace.
    const depthToSpace = (x: string, side: number, channels: number): string =>
      g.reshape(g.transpose(g.reshape(x, [-1, side, 2, 2 * channels]), [0, 2, 1, 3]), [
        -1,
        channels,
      ]);
    const [c1, c2] = c.channels;
    // The context window, as landmark-head.ts's tokenNeighbourhood: projection, then one MatMul
    // by the constant 0/1 neighbour matrix over the cells, between rank-3/4 transposes.
    const mixed = c.contextChannels > 0 ? linear(patches, 'landmarks.mix') : patches;
    const width = c.contextChannels || c.inputDim;
    const cellCount = c.grid * c.grid;
    const k = c.context;
    const seen =
      k === 1
        ? mixed
        : g.reshape(
            g.transpose(
              g.reshape(
                g.matMul(
                  g.constant('landmarks.neighbours', neighbourMatrix(c.grid, k), [
                    k * k * cellCount,
                    cellCount,
                  ]),
                  g.reshape(g.transpose(g.reshape(mixed, [-1, cellCount, width]), [1, 0, 2]), [
                    cellCount,
                    -1,
                  ]),
                ),
                [k * k, cellCount, -1, width],
              ),
              [2, 1, 0, 3],
            ),
            [-1, k * k * width],
          );
    const up1 = depthToSpace(gelu(linear(seen, 'landmarks.up1')), c.grid, c1);
    const up2 = depthToSpace(gelu(linear(up1, 'landmarks.up2')), 2 * c.grid, c2);
    const side = heatmapSide(c);
    const cells = side * side;
    const perCell = g.mul(linear(up2, 'landmarks.out'), g.scalar(c.temperature));
    const logits = g.reshape(
      g.add2(
        g.transpose(g.reshape(perCell, [-1, cells, c.points]), [0, 2, 1]),
        P('landmarks.prior'),
      ),
      [-1, cells],
    );
    const centres = g.constant('landmarks.cells', cellCentres(side), [cells, 2]);
    return g.reshape(g.matMul(g.unary('Softmax', logits), centres), [-1, c.points, 2]);
  });
}

/**
 * model.json (less its weights manifest, which `writeModelFolder` adds) of a graph built by this
 * module or by backbone-head-graph.ts: the one image input `[-1, S, S, 3]`, the one output under
 * `outputName`, and the Face Studio metadata the loader reads.
 */
export function graphModelJson(
  graph: GraphDef,
  metadata: { output: string },
  inputSize: number,
  outputName: string,
): Omit<tf.io.ModelJSON, 'weightsManifest'> {
  const S = inputSize;
  return {
    format: 'graph-model',
    generatedBy: `Face Studio ${pkg.version}`,
    convertedBy: null,
    modelTopology: graph,
    signature: {
      inputs: {
        [INPUT_NAME]: {
          name: `${INPUT_NAME}:0`,
          dtype: 'DT_FLOAT',
          tensorShape: { dim: [-1, S, S, 3].map((size) => ({ size: String(size) })) },
        },
      },
      outputs: { [outputName]: { name: `${metadata.output}:0`, dtype: 'DT_FLOAT' } },
    },
    userDefinedMetadata: { faceStudio: metadata },
  };
}
