/**
 * onnxruntime-node, loaded on first use: it is an optional dependency (its CPU binaries ship in
 * the package), so a studio without it still runs everything on TF.js and says so when asked for
 * ONNX Runtime by name.
 */
import type * as Ort from 'onnxruntime-node';
import { StudioError, errorMessage } from '../../../shared/errors';

export type OnnxRuntime = typeof Ort;

let loading: Promise<OnnxRuntime | null> | undefined;
let failure = '';

/** The module, or null when it is not installed or its binary does not load here. */
export function loadOnnxRuntime(): Promise<OnnxRuntime | null> {
  loading ??= import('onnxruntime-node').then(
    (m) => (m as { default?: OnnxRuntime }).default ?? m,
    (error: unknown) => {
      failure = errorMessage(error);
      return null;
    },
  );
  return loading;
}

/** The module, or an error saying it is missing and why. */
export async function requireOnnxRuntime(what: string): Promise<OnnxRuntime> {
  const ort = await loadOnnxRuntime();
  if (!ort)
    throw new StudioError(
      'not-found',
      `${what} needs onnxruntime-node, which is not installed or does not load here ` +
        `(${failure}). Install it with \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node\`.`,
    );
  return ort;
}
