/**
 * Every kind of model the studio trains, exported as its TF.js graph folder and converted to ONNX
 * (convert-graph.ts), run by onnxruntime-node on 32 real faces: the outputs equal the TF.js graph
 * model's (loadExportedModel, wasm) within 1e-4 — a ViT landmark model, a FaceMesh landmark head
 * with its CropAndResize refinement, the attribute default (age-gender + mini-Xception + FaceMesh,
 * Platt-calibrated yes/no heads and a softmax pose group) and an expression head on mini-Xception
 * + FaceMesh. One export per kind, shared by its tests. An op without a mapping is refused by name.
 */
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportedModel } from '../../../../src-main/engine/export/load-model';
import { convertGraphFolder } from '../../../../src-main/engine/export/onnx/convert-graph';
import { requireOnnxRuntime } from '../../../../src-main/engine/export/onnx/onnx-runtime';
import { useWasm } from '../../../support/engine-helpers';
import { maxAbsDiff } from '../export-fixtures';
import {
  FACES,
  ONNX_MODEL_KINDS,
  disposeBackbones,
  makeKindFixture,
  type KindFixture,
  type OnnxModelKind,
} from './onnx-fixtures';

const { onnx } = onnxProto;

let tmp: string;

beforeAll(async () => {
  await useWasm();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'onnx-convert-'));
});

afterAll(async () => {
  disposeBackbones();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const fixtures = new Map<OnnxModelKind, Promise<KindFixture>>();
const fixture = (kind: OnnxModelKind) => {
  let f = fixtures.get(kind);
  if (!f) fixtures.set(kind, (f = makeKindFixture(tmp, kind)));
  return f;
};

describe('convertGraphFolder on every model kind, run by onnxruntime-node', () => {
  for (const kind of ONNX_MODEL_KINDS)
    it(`${kind}: equals the TF.js graph within 1e-4 on ${FACES} real faces`, async () => {
      const { dir, faces } = await fixture(kind);
      expect(faces.shape[0]).toBe(FACES);
      const converted = await convertGraphFolder(dir);
      const ort = await requireOnnxRuntime('The ONNX test');
      const session = await ort.InferenceSession.create(converted.bytes);
      const loaded = await loadExportedModel(dir);
      try {
        const want = await loaded.predict(faces);
        const values = want.landmarks ?? want.probabilities!;
        const input = new ort.Tensor('float32', (await faces.data()) as Float32Array, faces.shape);
        const out = (await session.run({ [converted.input.name]: input }))[converted.output.name]!;
        expect(out.dims[0]).toBe(FACES);
        const got = out.data as Float32Array;
        expect(got).toHaveLength(values.length);
        const worst = maxAbsDiff(got, values);
        // The outputs vary across faces: equal outputs are not a constant graph's.
        expect(
          maxAbsDiff(values.slice(0, values.length / FACES), values.slice(-values.length / FACES)),
        ).toBeGreaterThan(1e-3);
        console.log(
          `${kind}: ${Object.keys(converted.ops).length} TF ops, max |onnx − tfjs| ${worst.toExponential(2)}`,
        );
        expect(worst).toBeLessThan(1e-4);
      } finally {
        loaded.dispose();
        await session.release();
      }
    }, 600_000);

  it('writes FaceMesh’s PReLUs as depthwise convolutions, leaving no PRelu for ONNX Runtime', async () => {
    // Its PRelu kernel has no blocked layout: each one cost a layout conversion (tf-op-mapping.ts).
    const { dir } = await fixture('mesh-landmarks');
    const converted = await convertGraphFolder(dir);
    const ops = onnx.ModelProto.decode(converted.bytes).graph!.node!.map((n) => n.opType);
    expect(ops).not.toContain('PRelu');
    // FaceMesh has 20 PReLUs (and no ReLU): each is now a Relu between two 1×1 Convs.
    expect(ops.filter((op) => op === 'Relu').length).toBeGreaterThanOrEqual(20);
  }, 600_000);

  it('refuses an op it does not map, naming the folder, the node and the op', async () => {
    const { dir } = await fixture('vit-landmarks');
    const odd = path.join(tmp, 'odd-op');
    await cp(dir, odd, { recursive: true });
    const file = path.join(odd, 'model.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as {
      modelTopology: { node: { name: string; op: string }[] };
    };
    const erf = json.modelTopology.node.find((n) => n.op === 'Erf')!;
    erf.op = 'Cumsum';
    await writeFile(file, JSON.stringify(json));
    await expect(convertGraphFolder(odd)).rejects.toThrow(
      new RegExp(
        `${odd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot export as ONNX: node ${erf.name} is a Cumsum`,
      ),
    );
  }, 120_000);
});
