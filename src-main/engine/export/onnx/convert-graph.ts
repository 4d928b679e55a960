/**
 * A TensorFlow.js graph model folder (model.json + shards, docs/ARCHITECTURE.md "Files on disk")
 * as one ONNX model: every node the output needs, in dependency order, through the op table
 * (tf-op-mapping.ts); an op without a mapping is an error naming the folder, the node and the op.
 *
 * Shapes: ONNX's layout changes and attributes need some tensors' rank and static sizes (a
 * CropAndResize's image, a batched MatMul's transposed operand). Rather than infer them op by op,
 * the converter runs the TF.js graph itself once, on a batch of one, and reads every node's output
 * shape. The mappings read only axes that do not follow the batch; the output's first axis is the
 * batch (`n` in ONNX).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../../shared/errors';
import { graphInputSize, graphMetadataOf } from '../graph-metadata';
import { MODEL_JSON, readModelJson, readWeights } from '../model-folder';
import { OnnxGraph } from './onnx-graph';
import { TF_OP_MAPPING, type MapContext, type TfNode } from './tf-op-mapping';

export interface OnnxConversion {
  /** The ModelProto's bytes. */
  bytes: Uint8Array;
  input: { name: string; shape: (number | string)[] };
  output: { name: string; shape: (number | string)[] };
  /** TensorFlow ops of the graph, counted (what was mapped). */
  ops: Record<string, number>;
}

interface Probe {
  shape: number[];
  dtype: string;
}

function nodeOf(ref: string): string {
  return ref.replace(/^\^/, '').replace(/:0$/, '');
}

/** Nodes `output` needs, inputs before users; control inputs are dropped. */
function orderedNodes(nodes: Map<string, TfNode>, output: string, where: string): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string): void => {
    const at = state.get(name);
    if (at === 'done') return;
    if (at === 'open')
      throw new StudioError('invalid-payload', `${where}: the graph has a cycle at node ${name}`);
    const node = nodes.get(name);
    if (!node) throw new StudioError('invalid-payload', `${where}: no node "${name}"`);
    state.set(name, 'open');
    for (const ref of node.input) {
      if (ref.startsWith('^')) continue;
      if (/:\d+$/.test(nodeOf(ref)))
        throw new StudioError(
          'invalid-payload',
          `${where}: node ${node.name} (${node.op}) reads output ${ref}; only first outputs are mapped`,
        );
      visit(nodeOf(ref));
    }
    state.set(name, 'done');
    order.push(node);
  };
  visit(output);
  return order;
}

/** Runs the graph on a batch of one and reads every computed node's shape and dtype. */
function probeShapes(
  model: tf.GraphModel,
  inputName: string,
  size: number,
  names: string[],
): Map<string, Probe> {
  const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7);
  let outs: tf.Tensor[];
  try {
    outs = model.execute({ [inputName]: x }, names) as tf.Tensor[];
  } finally {
    x.dispose();
  }
  const probes = new Map<string, Probe>();
  names.forEach((name, i) => probes.set(name, { shape: outs[i]!.shape, dtype: outs[i]!.dtype }));
  tf.dispose(outs);
  return probes;
}

/** Converts the graph model in `dir` to ONNX; `metadata` joins the model's metadata properties. */
export async function convertGraphFolder(
  dir: string,
  metadata: Readonly<Record<string, string>> = {},
): Promise<OnnxConversion> {
  const modelJson = await readModelJson(dir);
  const meta = graphMetadataOf(dir, modelJson);
  const where = path.join(dir, MODEL_JSON);
  const weights = await readWeights(dir, modelJson);
  const topology = modelJson.modelTopology as { node?: Partial<TfNode>[] };
  const nodes = new Map<string, TfNode>();
  for (const n of topology.node ?? []) {
    if (typeof n.name !== 'string' || typeof n.op !== 'string')
      throw new StudioError('invalid-payload', `${where}: a node has no name or op`);
    nodes.set(n.name, { name: n.name, op: n.op, input: n.input ?? [], attr: n.attr ?? {} });
  }
  // Constants by name, from the manifest (the executor reads them there, not from attr.value).
  const constants = new Map<string, { values: Float32Array | Int32Array; shape: number[] }>();
  let offset = 0;
  for (const spec of weights.specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const values =
      spec.dtype === 'int32'
        ? new Int32Array(weights.data, offset, count)
        : new Float32Array(weights.data, offset, count);
    constants.set(spec.name, { values, shape: [...spec.shape] });
    offset += 4 * count;
  }
  const order = orderedNodes(nodes, meta.output, where);
  const ops: Record<string, number> = {};
  for (const node of order) {
    ops[node.op] = (ops[node.op] ?? 0) + 1;
    if (node.op === 'Const' || node.op === 'Placeholder') continue;
    if (!TF_OP_MAPPING[node.op])
      throw new StudioError(
        'invalid-payload',
        `${dir}: cannot export as ONNX: node ${node.name} is a ${node.op}, an op the ONNX ` +
          `exporter does not map (src-main/engine/export/onnx/tf-op-mapping.ts)`,
      );
  }
  const size = graphInputSize(meta);
  const computed = order.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder');
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel({
      load: async () => ({
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        weightSpecs: weights.specs,
        weightData: weights.data,
      }),
    });
  } catch (error) {
    throw new StudioError(
      'invalid-payload',
      `${where} cannot be loaded as a graph model: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let probes: Map<string, Probe>;
  try {
    probes = probeShapes(
      model,
      meta.input,
      size,
      computed.map((n) => n.name),
    );
  } finally {
    model.dispose();
  }

  const g = new OnnxGraph();
  /** ONNX tensor of each converted TF node. */
  const tensors = new Map<string, string>([[meta.input, meta.input]]);
  g.fresh(meta.input);
  const shapeOfNode = (name: string): number[] => {
    if (name === meta.input) return [1, size, size, 3];
    const c = constants.get(name);
    if (c && nodes.get(name)?.op === 'Const') return c.shape;
    const probe = probes.get(name);
    if (!probe) throw new Error(`No shape for node ${name}`);
    return probe.shape;
  };
  const tensorOf = (name: string): string => {
    const known = tensors.get(name);
    if (known) return known;
    const c = constants.get(name);
    if (!c || nodes.get(name)?.op !== 'Const')
      throw new StudioError('invalid-payload', `${where}: node ${name} is used before it is made`);
    const onnxName =
      c.values instanceof Int32Array
        ? g.int64s(name, c.values, c.shape)
        : g.floats(name, c.values, c.shape);
    tensors.set(name, onnxName);
    return onnxName;
  };

  for (const node of computed) {
    const fail = (problem: string): never => {
      throw new StudioError(
        'invalid-payload',
        `${dir}: cannot export node ${node.name} (${node.op}) as ONNX: ${problem}`,
      );
    };
    const inputs = node.input.filter((r) => !r.startsWith('^')).map(nodeOf);
    const constOf = (i: number) => {
      const name = inputs[i];
      if (name === undefined) return fail(`input ${i} is missing`);
      return nodes.get(name)?.op === 'Const' ? (constants.get(name)?.values ?? null) : null;
    };
    const context: MapContext = {
      g,
      node,
      input: (i) => {
        const name = inputs[i];
        if (name === undefined) return fail(`input ${i} is missing`);
        return tensorOf(name);
      },
      shapeOf: (i) => shapeOfNode(inputs[i] ?? fail(`input ${i} is missing`)),
      outShape: probes.get(node.name)!.shape,
      constOf,
      intsOf: (i) => {
        const values = constOf(i);
        if (!values) return fail(`input ${i} must be a constant`);
        return Array.from(values, (v) => Math.round(v));
      },
      floatConst: (i) => {
        const name = inputs[i] ?? fail(`input ${i} is missing`);
        const c = nodes.get(name)?.op === 'Const' ? constants.get(name) : undefined;
        if (!c || !(c.values instanceof Float32Array))
          return fail(`input ${i} (${name}) must be a float constant`);
        return { values: c.values, shape: c.shape };
      },
      fail,
    };
    tensors.set(node.name, TF_OP_MAPPING[node.op]!(context));
  }

  const outShape = shapeOfNode(meta.output).map((d, axis): number | string => (axis ? d : 'n'));
  // The graph's output under its own name (landmarks, attributes, expression, features).
  const last = tensors.get(meta.output)!;
  const named = last === meta.output ? last : g.node('Identity', [last], {}, meta.output);
  const input = { name: meta.input, shape: ['n', size, size, 3] as (number | string)[] };
  const bytes = g.serialise(
    { ...input, dtype: 'float32' },
    { name: named, dtype: 'float32', shape: outShape },
    { ...metadata, task: meta.task, input_size: String(size), layout: 'NHWC RGB in [0, 1]' },
    `face-studio ${meta.task}`,
  );
  return { bytes, input, output: { name: named, shape: outShape }, ops };
}
