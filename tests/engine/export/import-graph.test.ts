/**
 * import-graph: a converted graph copied into a GraphBuilder under a prefix runs as the original
 * (FaceMesh, float16 weights dequantised), keeps only what its outputs need, and renames every
 * kind of input reference.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import {
  FACEMESH_GRAPH,
  faceMeshModelPath,
  loadFaceMesh,
} from '../../../src-main/engine/backbones/facemesh';
import { GraphBuilder } from '../../../src-main/engine/export/graph-builder';
import {
  importGraph,
  readSourceGraph,
  type SourceGraph,
} from '../../../src-main/engine/export/import-graph';
import { packConstants } from '../../../src-main/engine/export/model-folder';
import { useWasm } from '../../support/engine-helpers';

let mesh: FaceBackbone;
beforeAll(async () => {
  await useWasm();
  mesh = await loadFaceMesh();
}, 300_000);
afterAll(() => mesh.dispose());

async function run(g: GraphBuilder, input: tf.Tensor, output: string): Promise<Float32Array> {
  const { specs, bytes } = packConstants(g.constants);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: g.graph(),
      weightSpecs: specs,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      format: 'graph-model',
    }),
  );
  const out = model.execute(input, output) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return values;
}

describe('importGraph', () => {
  it('runs FaceMesh under a prefix as the package graph runs it', async () => {
    const source = await readSourceGraph(faceMeshModelPath());
    const g = new GraphBuilder();
    const images = g.placeholder('images', [-1, 192, 192, 3]);
    const [mapNode] = importGraph(g, source, {
      prefix: 'facemesh',
      inputNode: 'input_1',
      input: images,
      outputs: [FACEMESH_GRAPH.taps.p_re_lu_15!.node],
    });
    expect(mapNode).toBe('facemesh/StatefulPartitionedCall/model_1/p_re_lu_15/Relu');
    // The mesh and contour heads are not on the way to p_re_lu_15: left out.
    const names = g.nodes.map((n) => n.name);
    expect(names.some((n) => n.includes('output_contours') || n.includes('conv2d_21'))).toBe(false);
    expect(names.filter((n) => n !== 'images').every((n) => n.startsWith('facemesh/'))).toBe(true);
    // Every float weight is float32 now (the package holds float16).
    expect(g.constants.every((c) => c.values instanceof Float32Array || c.dtype === 'int32')).toBe(
      true,
    );
    const crops = tf.randomUniform([2, 192, 192, 3], 0, 1, 'float32', 3);
    const graph = await run(g, crops, mapNode!);
    const engine = (await mesh.embed(crops as tf.Tensor4D, ['p_re_lu_15'])).taps.p_re_lu_15!;
    crops.dispose();
    let worst = 0;
    for (let i = 0; i < engine.length; i++)
      worst = Math.max(worst, Math.abs(graph[i]! - engine[i]!));
    expect(worst).toBeLessThan(1e-5);
  }, 300_000);

  it('renames plain, port and control references, and rewires the placeholder', () => {
    const source: SourceGraph = {
      file: 'tiny.json',
      nodes: [
        { name: 'x', op: 'Placeholder', input: [], attr: {} },
        { name: 'c', op: 'Const', input: [], attr: {} },
        { name: 'split', op: 'Unpack', input: ['x:0', '^c'], attr: {} },
        { name: 'out', op: 'AddV2', input: ['split:1', 'c'], attr: { T: { type: 'DT_FLOAT' } } },
        { name: 'unused', op: 'Identity', input: ['c'], attr: {} },
      ],
      weights: new Map([['c', { values: Float32Array.of(2), shape: [] }]]),
    };
    const g = new GraphBuilder();
    const ours = g.placeholder('ours', [-1]);
    expect(
      importGraph(g, source, { prefix: 'p', inputNode: 'x', input: ours, outputs: ['out'] }),
    ).toEqual(['p/out']);
    expect(g.nodes.map((n) => [n.name, n.input ?? []])).toEqual([
      ['ours', []],
      ['p/c', []],
      ['p/split', ['ours', '^p/c']],
      ['p/out', ['p/split:1', 'p/c']],
    ]);
    expect(() =>
      importGraph(new GraphBuilder(), source, {
        prefix: 'p',
        inputNode: 'nope',
        input: ours,
        outputs: ['out'],
      }),
    ).toThrow(/tiny.json has no input placeholder "nope"/);
    expect(() =>
      importGraph(new GraphBuilder(), source, {
        prefix: 'p',
        inputNode: 'x',
        input: ours,
        outputs: ['gone'],
      }),
    ).toThrow(/tiny.json has no node "gone"/);
  }, 300_000);
});
