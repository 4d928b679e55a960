/**
 * skip-identities: a graph's inner Identity nodes are bypassed (consumers, control inputs and
 * chains rewired to the Identity's own input), the kept ones stay, and the graph computes the
 * same values on TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, type GraphDef } from '../../../src-main/engine/export/graph-builder';
import { packConstants } from '../../../src-main/engine/export/model-folder';
import { withoutIdentities } from '../../../src-main/engine/export/skip-identities';
import { useWasm } from '../../support/engine-helpers';

beforeAll(async () => {
  await useWasm();
});

/** images → Identity → Identity → ×w → (Relu after, by control, the second Identity) → out. */
function sampleGraph(): { g: GraphBuilder; graph: GraphDef } {
  const g = new GraphBuilder();
  const images = g.placeholder('images', [-1, 3]);
  const first = g.identity(images, 'first');
  const second = g.identity(first, 'second');
  const w = g.constant('w', Float32Array.from([2, -1, 0.5]), [3]);
  const scaled = g.mul(`${second}:0`, w);
  const relu = g.op('Relu', [scaled, `^${second}`], { T: { type: 'DT_FLOAT' } });
  g.identity(relu, 'out');
  return { g, graph: g.graph() };
}

async function run(g: GraphBuilder, topology: GraphDef, input: tf.Tensor): Promise<Float32Array> {
  const { specs, bytes } = packConstants(g.constants);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: specs,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      format: 'graph-model',
    }),
  );
  const out = model.execute(input, 'out') as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return values;
}

describe('withoutIdentities', () => {
  it('rewires consumers, control inputs and chains past inner Identity nodes, keeping `out`', () => {
    const { graph } = sampleGraph();
    const kept = withoutIdentities(graph, new Set(['out']));
    const names = kept.node.map((n) => n.name);
    expect(names).not.toContain('first');
    expect(names).not.toContain('second');
    expect(names).toContain('out');
    const byName = new Map(kept.node.map((n) => [n.name, n]));
    expect(byName.get('Mul')!.input).toEqual(['images', 'w']);
    expect(byName.get('Relu')!.input).toEqual(['Mul', '^images']);
    expect(byName.get('out')!.input).toEqual(['Relu']);
    // The given topology is left as it was.
    expect(graph.node.map((n) => n.name)).toContain('second');
  });

  it('leaves a graph without inner Identity nodes, and an Identity with a control input, as they are', () => {
    const g = new GraphBuilder();
    const images = g.placeholder('images', [-1, 3]);
    g.op('Identity', [images, '^images'], { T: { type: 'DT_FLOAT' } }, 'guarded');
    const graph = g.graph();
    expect(withoutIdentities(graph, new Set())).toBe(graph);
    expect(withoutIdentities({ format: 'no nodes' }, new Set())).toEqual({ format: 'no nodes' });
  });

  it('computes the same values on TF.js as the graph with its Identity nodes', async () => {
    const { g, graph } = sampleGraph();
    const input = tf.tensor2d([
      [1, 2, 3],
      [-4, 5, -6],
    ]);
    const before = await run(g, graph, input);
    const after = await run(g, withoutIdentities(graph, new Set(['out'])), input);
    input.dispose();
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(Array.from(after)).toEqual([2, 0, 1.5, 0, 0, 0]);
  });
});
