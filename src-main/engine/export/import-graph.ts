/**
 * Copies a converted TensorFlow.js graph model (a backbone's model.json + shards from its npm
 * package) into a GraphBuilder, so an exported model is one graph with the backbone inside it
 * (docs/ARCHITECTURE.md, "Formats"):
 *
 * - only the nodes the wanted outputs need are kept (a backbone's unused heads and their weights
 *   stay out of the export);
 * - every node is renamed under `prefix/`, and so is every input reference to it (`name`,
 *   `name:1`, `^name`);
 * - the input placeholder is dropped and every reference to it points at a node of ours;
 * - weights are copied as float32 (quantised ones are dequantised by TF.js's own
 *   `tf.io.decodeWeights`) and int32, one manifest entry per Const node, as the executor reads them.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { graphFileHandler } from '../backbones/graph-file-loader';
import type { GraphBuilder } from './graph-builder';

/** A source graph: its nodes and its weights by Const node name. */
export interface SourceGraph {
  /** Where it was read from (for messages). */
  file: string;
  nodes: SourceNode[];
  weights: Map<string, { values: Float32Array | Int32Array; shape: number[] }>;
}

interface SourceNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

/** Reads `jsonPath` and its shards; quantised weights come back as float32. */
export async function readSourceGraph(jsonPath: string): Promise<SourceGraph> {
  const artifacts = await graphFileHandler(jsonPath).load();
  const topology = artifacts.modelTopology as { node?: unknown } | undefined;
  if (!topology || !Array.isArray(topology.node) || !artifacts.weightSpecs || !artifacts.weightData)
    throw new StudioError('invalid-payload', `${jsonPath}: not a TF.js graph model`);
  const nodes = (topology.node as Partial<SourceNode>[]).map((n, i): SourceNode => {
    if (typeof n.name !== 'string' || typeof n.op !== 'string')
      throw new StudioError('invalid-payload', `${jsonPath}: node ${i} has no name or op`);
    return { name: n.name, op: n.op, input: n.input ?? [], attr: n.attr ?? {} };
  });
  const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const weights: SourceGraph['weights'] = new Map();
  try {
    for (const [name, t] of Object.entries(decoded)) {
      if (t.dtype !== 'float32' && t.dtype !== 'int32')
        throw new StudioError(
          'invalid-payload',
          `${jsonPath}: weight ${name} is ${t.dtype}; only float32 and int32 weights are imported`,
        );
      const read = await t.data();
      const values = t.dtype === 'int32' ? Int32Array.from(read) : Float32Array.from(read);
      weights.set(name, { values, shape: [...t.shape] });
    }
  } finally {
    tf.dispose(Object.values(decoded));
  }
  return { file: jsonPath, nodes, weights };
}

/** `name` of an input reference `^name` / `name:1` / `name`. */
function nodeOf(ref: string): string {
  return ref.replace(/^\^/, '').replace(/:\d+$/, '');
}

export interface ImportOptions {
  /** Name scope of the copied nodes, e.g. `facemesh`. */
  prefix: string;
  /** The source's input placeholder, replaced by `input`. */
  inputNode: string;
  /** Our node that feeds the graph. */
  input: string;
  /** Source nodes whose (first) outputs are wanted. */
  outputs: readonly string[];
}

/**
 * Copies the part of `source` that `options.outputs` need into `g`; returns the new names of
 * the outputs, in order.
 */
export function importGraph(
  g: GraphBuilder,
  source: SourceGraph,
  options: ImportOptions,
): string[] {
  const byName = new Map(source.nodes.map((n) => [n.name, n]));
  const placeholder = byName.get(options.inputNode);
  if (!placeholder || placeholder.op !== 'Placeholder')
    throw new StudioError(
      'invalid-payload',
      `${source.file} has no input placeholder "${options.inputNode}"`,
    );
  // The nodes the outputs need, found by walking their inputs back.
  const needed = new Set<string>();
  const stack = options.outputs.map((o) => nodeOf(o));
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const node = byName.get(name);
    if (!node) throw new StudioError('invalid-payload', `${source.file} has no node "${name}"`);
    needed.add(name);
    if (name !== options.inputNode) stack.push(...node.input.map(nodeOf));
  }
  const renamed = (name: string): string =>
    name === options.inputNode ? options.input : `${options.prefix}/${name}`;
  const ref = (r: string): string => {
    const control = r.startsWith('^') ? '^' : '';
    const port = /:\d+$/.exec(r)?.[0] ?? '';
    const target = renamed(nodeOf(r));
    // `input:0` of our own node is the node itself; other ports are kept.
    return `${control}${target}${port === ':0' ? '' : port}`;
  };
  for (const node of source.nodes) {
    if (!needed.has(node.name) || node.name === options.inputNode) continue;
    if (node.op === 'Const') {
      const weight = source.weights.get(node.name);
      if (!weight)
        throw new StudioError(
          'invalid-payload',
          `${source.file}: Const node ${node.name} has no weights in the manifest`,
        );
      g.constant(renamed(node.name), weight.values, weight.shape);
      continue;
    }
    g.imported({
      name: renamed(node.name),
      op: node.op,
      input: node.input.map(ref),
      attr: node.attr,
    });
  }
  return options.outputs.map((o) => renamed(nodeOf(o)));
}
