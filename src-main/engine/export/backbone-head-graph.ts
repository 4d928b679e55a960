/**
 * The graph of a closed-form head on frozen backbones (docs/ARCHITECTURE.md, "Formats"): one
 * input `images` `[-1, S, S, 3]` RGB in [0, 1] (the crop of the widest backbone's policy) → per
 * backbone its view (crop-and-resize of the centred part, head-crops.ts), its input steps, the
 * backbone's own graph imported under its id, its taps' read-out steps (backbone-graph.ts) →
 * the taps flattened side by side → one affine map (MatMul + AddV2) → the output:
 *
 * - `landmarks` `[n, K, 2]` crop coordinates of each crop as given (no flip averaging:
 *   predict-faces.ts feeds mirrored crops and combines them itself), moved by the head's
 *   refinement on a local map when it has one (landmark-refine-graph.ts);
 * - `expression` `[n, C]`: the temperature softmax of the class scores, and
 * - `attributes` `[n, A]`: the Platt sigmoid of each attribute's margin (calibrated-head-graph.ts):
 *   the head's calibrated probabilities, as `headProbabilities` gives them; with one-of-N groups,
 *   each group's Softmax after them, `[n, A + ΣC]` (class-group-graph.ts).
 *
 * Each step is the kernel the engine's eager path runs, in the same order, so the graph equals
 * `backboneViews` + `embed` + the head to float rounding.
 */
import type { BackboneGraph } from '../backbones/backbone-graph';
import type { RefineAffine } from '../landmarks/landmark-ridge-affine';
import type { HeadCropPlan } from '../backbones/head-crops';
import { calibratedOutput, type HeadCalibration } from './calibrated-head-graph';
import { GraphBuilder } from './graph-builder';
import type { GraphConstant, GraphDef } from './graph-builder';
import { importGraph, type SourceGraph } from './import-graph';
import type { GroupAffine } from '../attributes/class-groups';
import { classGroupOutputs } from './class-group-graph';
import { writeLandmarkRefine } from './landmark-refine-graph';
import { INPUT_NAME, OUTPUT_NAMES } from './graph-model';

/**
 * Graph format of backbone-head graphs: 2 (format 1 is the ViT graph of graph-model.ts, whose
 * metadata has no `kind`).
 */
export const BACKBONE_HEAD_GRAPH_VERSION = 2;

export type HeadTask = 'landmarks' | 'attributes' | 'expression';

/** Face Studio's part of a backbone-head graph's model.json `userDefinedMetadata`. */
export interface BackboneHeadGraphMetadata {
  kind: 'backbone-head';
  formatVersion: number;
  task: HeadTask;
  input: typeof INPUT_NAME;
  inputSize: number;
  output: string;
  /** Each backbone's view of the input crop. */
  backbones: { id: string; fraction: number; size: number }[];
  /** The affine map's input, in order: which tap of which backbone, and its values per face. */
  features: { backbone: string; tap: string; size: number }[];
  /** Landmarks: the local map the refinement samples, or absent (no refinement). */
  refine?: { backbone: string; tap: string };
}

/** One backbone inside the graph. */
export interface GraphBackbone {
  id: string;
  graph: BackboneGraph;
  source: SourceGraph;
}

/** The head's affine map: `[features] · weights + bias`, weights `[D × outputs]` row-major. */
export interface HeadAffine {
  weights: Float64Array;
  bias: Float64Array;
}

export interface BackboneHeadGraphSpec {
  task: HeadTask;
  plan: HeadCropPlan;
  /** In the plan's view order. */
  backbones: GraphBackbone[];
  /** The affine map's input layout (`backbone` is an id of `backbones`). */
  features: { backbone: string; tap: string; size: number }[];
  affine: HeadAffine;
  /** Landmarks: schema points K (output `[n, K, 2]`). */
  points?: number;
  /** Attributes and expression: how the affine outputs become probabilities. */
  calibration?: HeadCalibration;
  /** Attributes: the one-of-N groups, their probabilities after the yes/no attributes'. */
  groups?: readonly GroupAffine[];
  /** Landmarks: the refinement and the spatial tap (`[H, W, C]`) it samples. */
  refine?: { backbone: string; tap: string; affine: RefineAffine };
}

export interface BuiltHeadGraph {
  graph: GraphDef;
  constants: GraphConstant[];
  metadata: BackboneHeadGraphMetadata;
}

export function buildBackboneHeadGraph(spec: BackboneHeadGraphSpec): BuiltHeadGraph {
  const g = new GraphBuilder();
  const S = spec.plan.inputSize;
  const images = g.placeholder(INPUT_NAME, [-1, S, S, 3]);
  const tapNodes = new Map<string, string>();
  let localNode: string | null = null;
  spec.plan.views.forEach((view, i) => {
    const b = spec.backbones[i]!;
    if (b.id !== view.backbone)
      throw new Error(`Backbone ${i} is ${b.id}; the crop plan has ${view.backbone} there`);
    const wanted = spec.features.filter((f) => f.backbone === b.id);
    const local = spec.refine?.backbone === b.id ? b.graph.taps[spec.refine.tap] : null;
    if (spec.refine?.backbone === b.id && !local)
      throw new Error(`Backbone ${b.id} describes no tap ${spec.refine.tap}`);
    if (wanted.length === 0 && !local) return;
    const prepared = g.scoped(`${b.id}.input`, () => {
      let x = images;
      let side = S;
      if (view.box) {
        const box = view.box;
        const boxes = g.broadcastTo(
          g.constant(`${b.id}.input/view_box`, Float32Array.from(box), [1, 4]),
          g.concat([g.batchSizeOf(images), g.ints([4])], 0, 'int32'),
        );
        x = g.cropAndResize(images, boxes, g.range(g.batchScalarOf(images)), view.size);
        side = view.size;
      }
      for (const step of b.graph.prepare) {
        if (step.op === 'resize') {
          if (side !== step.size) {
            x = g.resizeBilinear(x, step.size, true);
            side = step.size;
          }
        } else if (step.op === 'grey') {
          const weights = g.constant(
            `${b.id}.input/grey_weights`,
            Float32Array.from(step.weights),
            [3],
          );
          x = g.sum(g.mul(x, weights), [3], true);
        } else if (step.op === 'sub') x = g.sub(x, g.scalar(step.value));
        else x = g.mul(x, g.scalar(step.value));
      }
      if (side !== b.graph.graphInputSize)
        throw new Error(
          `Backbone ${b.id} takes ${b.graph.graphInputSize} px; its view arrives at ${side} px`,
        );
      return g.identity(x, 'prepared');
    });
    const readouts = wanted.map((f) => {
      const readout = b.graph.taps[f.tap];
      if (!readout) throw new Error(`Backbone ${b.id} describes no tap ${f.tap}`);
      return readout;
    });
    const nodes = [...new Set([...readouts, ...(local ? [local] : [])].map((r) => r.node))];
    const outs = importGraph(g, b.source, {
      prefix: b.id,
      inputNode: b.graph.inputNode,
      input: prepared,
      outputs: nodes,
    });
    if (local) {
      localNode = g.scoped(`${b.id}.taps/${spec.refine!.tap}`, () => {
        let x = outs[nodes.indexOf(local.node)]!;
        for (const step of local.steps) {
          if (step.op !== 'div') throw new Error(`The local map must be spatial, not pooled`);
          x = g.div(x, g.scalar(step.value));
        }
        return g.identity(x, 'local');
      });
    }
    wanted.forEach((f, k) => {
      const readout = readouts[k]!;
      const flat = g.scoped(`${b.id}.taps/${f.tap}`, () => {
        let x = outs[nodes.indexOf(readout.node)]!;
        for (const step of readout.steps) {
          if (step.op === 'div') x = g.div(x, g.scalar(step.value));
          else if (step.op === 'mean-hw') x = g.meanOver(x, [1, 2], false);
          else x = g.avgPool(x, step.size);
        }
        return g.reshape(x, [-1, f.size]);
      });
      tapNodes.set(`${f.backbone}\u0000${f.tap}`, flat);
    });
  });
  const parts = spec.features.map((f) => tapNodes.get(`${f.backbone}\u0000${f.tap}`)!);
  const dim = spec.features.reduce((s, f) => s + f.size, 0);
  const outputs = spec.affine.bias.length;
  if (spec.affine.weights.length !== dim * outputs)
    throw new Error(
      `The head's weights hold ${spec.affine.weights.length} values; ${dim} features → ${outputs} need ${dim * outputs}`,
    );
  const output = g.scoped('head', () => {
    const features = parts.length === 1 ? parts[0]! : g.concat(parts, 1);
    const affine = g.add2(
      g.matMul(
        features,
        g.constant('head.weights', Float32Array.from(spec.affine.weights), [dim, outputs]),
      ),
      g.constant('head.bias', Float32Array.from(spec.affine.bias), [outputs]),
    );
    if (spec.task === 'landmarks') {
      const guess = g.reshape(affine, [-1, spec.points!, 2]);
      if (!spec.refine) return guess;
      if (spec.refine.affine.points !== spec.points)
        throw new Error(
          `The refinement moves ${spec.refine.affine.points} points; the head predicts ${spec.points}`,
        );
      return writeLandmarkRefine(g, guess, localNode!, spec.refine.affine);
    }
    if (!spec.calibration) throw new Error(`A ${spec.task} head needs its calibration`);
    return calibratedOutput(g, affine, spec.calibration);
  });
  const groups =
    spec.task === 'attributes' ? classGroupOutputs(g, parts, dim, spec.groups ?? []) : [];
  const outputName = g.identity(
    groups.length ? g.concat([output, ...groups], 1) : output,
    OUTPUT_NAMES[spec.task],
  );
  return {
    graph: g.graph(),
    constants: g.constants,
    metadata: {
      kind: 'backbone-head',
      formatVersion: BACKBONE_HEAD_GRAPH_VERSION,
      task: spec.task,
      input: INPUT_NAME,
      inputSize: S,
      output: outputName,
      backbones: spec.plan.views.map((v) => ({
        id: v.backbone,
        fraction: v.fraction,
        size: v.size,
      })),
      features: spec.features,
      ...(spec.refine ? { refine: { backbone: spec.refine.backbone, tap: spec.refine.tap } } : {}),
    },
  };
}
