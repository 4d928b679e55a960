/**
 * What runs an exported model's graph (docs/ARCHITECTURE.md, "Data flows", ONNX export): TF.js's
 * own graph executor over model.json (`tfjs`), or onnxruntime-node over the same graph converted to ONNX
 * when the module loads (`onnxruntime`; onnx/convert-graph.ts, equal within 1e-4; the conversion
 * kept beside the model as model.onnx, onnx/onnx-cache.ts). Both take
 * `[n, S, S, 3]` float32 crops and give the output node's values.
 *
 * The choice: `FACE_STUDIO_RUNNER=tfjs|onnxruntime` when set (onnxruntime then must load),
 * else ONNX Runtime when it loads, else TF.js.
 */
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { onnxModelOf } from './onnx/onnx-cache';
import { loadOnnxRuntime, requireOnnxRuntime } from './onnx/onnx-runtime';

export type GraphRunnerName = 'tfjs' | 'onnxruntime';
const NAMES: readonly GraphRunnerName[] = ['tfjs', 'onnxruntime'];

export const RUNNER_ENV = 'FACE_STUDIO_RUNNER';

/** The runner `FACE_STUDIO_RUNNER` names, else ONNX Runtime when it loads, else TF.js. */
export async function chooseGraphRunner(
  env: NodeJS.ProcessEnv = process.env,
): Promise<GraphRunnerName> {
  const asked = env[RUNNER_ENV];
  if (asked !== undefined && asked !== '') {
    const name = NAMES.find((n) => n === asked);
    if (!name)
      throw new StudioError(
        'invalid-payload',
        `${RUNNER_ENV}=${asked} is not a graph runner (${NAMES.join(', ')})`,
      );
    return name;
  }
  return (await loadOnnxRuntime()) ? 'onnxruntime' : 'tfjs';
}

/** An ONNX Runtime session over the graph in `dir`, converted on load (or its kept conversion). */
export interface OnnxGraphRunner {
  run(images: Float32Array, shape: readonly number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * ONNX Runtime's session options here: its intra-op threads wait without spinning (a spinning
 * pool burns the cores TF.js, the UI and the other jobs share; spinning cost more CPU time per
 * face in `npm run bench:onnx`), and no memory pattern is kept per input shape (predict's batches
 * change size: first cuts, recuts, mirrors; a FaceMesh head over batches of 1–32 faces took
 * 3.2–3.5 ms/face of CPU without one, 3.8–4.5 with).
 */
export const ONNX_SESSION_OPTIONS = {
  enableMemPattern: false,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
} as const;

export async function loadOnnxGraphRunner(dir: string): Promise<OnnxGraphRunner> {
  const ort = await requireOnnxRuntime(`Running ${path.join(dir, 'model.json')} on ONNX Runtime`);
  const converted = await onnxModelOf(dir);
  const session = await ort.InferenceSession.create(converted.bytes, ONNX_SESSION_OPTIONS);
  return {
    run: async (images, shape) => {
      const input = new ort.Tensor('float32', images, [...shape]);
      const out = await session.run({ [converted.input]: input });
      return out[converted.output]!.data as Float32Array;
    },
    dispose: () => session.release(),
  };
}
