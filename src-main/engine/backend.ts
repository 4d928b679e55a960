/**
 * Chooses the TensorFlow.js backend for this process (docs/ARCHITECTURE.md, "Backends and speed"),
 * best first:
 *
 * | report name      | package                                     | tf backend   |
 * |------------------|---------------------------------------------|--------------|
 * | `tensorflow-gpu` | `@tensorflow/tfjs-node-gpu` (CUDA)          | `tensorflow` |
 * | `webgpu`         | `@tensorflow/tfjs-backend-webgpu` on `webgpu` (Dawn) | `webgpu` |
 * | `tensorflow`     | `@tensorflow/tfjs-node`                     | `tensorflow` |
 * | `wasm`           | `@tensorflow/tfjs-backend-wasm`             | `wasm`       |
 * | `cpu`            | built into `@tensorflow/tfjs`               | `cpu`        |
 *
 * The two native packages are optionalDependencies whose install needs the internet, so their
 * absence is normal: it is recorded in the report with its reason, never thrown. `webgpu` runs
 * on any vendor's GPU (Vulkan, Metal, D3D12; webgpu-adapter.ts) and is taken whenever the adapter
 * is a real GPU: every engine path reads tensors asynchronously, as a GPU backend needs in Node
 * (ESLint forbids `dataSync`, `arraySync` and `bufferSync` in engine code). A software adapter
 * (SwiftShader) is slower than wasm: passed over, named as such; forced, it runs (the parity
 * tests use it).
 * `FACE_STUDIO_BACKEND` (or `force`) picks one; then a failure is an error, not a fallback,
 * because a user who forces a backend wants to know it is not the one running.
 *
 * TensorFlow.js comes from `@tensorflow/tfjs` only: a native package registers its backend on
 * the engine of the `@tensorflow/tfjs-core` it resolves, which must be ours (same pinned version).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendReport } from '../shared/domain';
import { errorMessage, StudioError } from '../shared/errors';
import { findAdapter, registerWebGpuBackend } from './webgpu-adapter';

export type BackendName = BackendReport['name'];

/** Best first; the order the automatic choice tries. */
export const BACKEND_NAMES: readonly BackendName[] = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'wasm',
  'cpu',
];

export interface ChooseBackendOptions {
  /** Forces one backend; overrides `FACE_STUDIO_BACKEND`. */
  force?: string;
  /** Where `FACE_STUDIO_BACKEND` is read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A backend made ready: the name tf registered it under, and the GPU it runs on, if any. */
interface Prepared {
  tfName: string;
  device?: string;
}

interface Candidate {
  name: BackendName;
  /** Loads whatever the backend needs; `forced`: the user asked for this one by name. */
  prepare(forced: boolean): Promise<Prepared>;
}

const requireFromHere = createRequire(import.meta.url);

const CANDIDATES: Record<BackendName, Candidate> = {
  'tensorflow-gpu': {
    name: 'tensorflow-gpu',
    prepare: async () => ({ tfName: await loadNative('@tensorflow/tfjs-node-gpu') }),
  },
  webgpu: { name: 'webgpu', prepare: prepareWebGpu },
  tensorflow: {
    name: 'tensorflow',
    prepare: async () => ({ tfName: await loadNative('@tensorflow/tfjs-node') }),
  },
  wasm: { name: 'wasm', prepare: async () => ({ tfName: await prepareWasm() }) },
  cpu: { name: 'cpu', prepare: async () => ({ tfName: 'cpu' }) },
};

export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<BackendReport> {
  const forced = readForced(options);
  if (forced) {
    let prepared: Prepared;
    try {
      prepared = await CANDIDATES[forced].prepare(true);
      await activate(prepared.tfName);
    } catch (error) {
      throw new StudioError(
        'not-found',
        `FACE_STUDIO_BACKEND=${forced}, but that backend cannot run here: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return { name: forced, forced: true, skipped: [], ...deviceOf(prepared) };
  }

  const skipped: BackendReport['skipped'] = [];
  for (const name of BACKEND_NAMES) {
    try {
      const prepared = await CANDIDATES[name].prepare(false);
      await activate(prepared.tfName);
      return { name, forced: false, skipped, ...deviceOf(prepared) };
    } catch (error) {
      skipped.push({ name, reason: errorMessage(error) });
    }
  }
  // Only reachable if even the pure-JS cpu backend failed: nothing can train.
  throw new StudioError(
    'internal',
    `No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

function readForced(options: ChooseBackendOptions): BackendName | null {
  const raw = (options.force ?? (options.env ?? process.env).FACE_STUDIO_BACKEND ?? '').trim();
  if (raw === '') return null;
  if (!(BACKEND_NAMES as readonly string[]).includes(raw)) {
    throw new StudioError(
      'invalid-payload',
      `FACE_STUDIO_BACKEND=${JSON.stringify(raw)} is not a backend; use one of ${BACKEND_NAMES.join(', ')}`,
    );
  }
  return raw as BackendName;
}

/** The start of the reason a software WebGPU adapter is passed over (doctor.ts gives its fix). */
export const WEBGPU_SOFTWARE = 'only a software adapter';

function deviceOf(prepared: Prepared): { device?: string } {
  return prepared.device === undefined ? {} : { device: prepared.device };
}

/** A WebGPU adapter, a real GPU unless `forced` (then a software one will do). */
async function prepareWebGpu(forced: boolean): Promise<Prepared> {
  const found = await findAdapter();
  if (!found.ok) throw new Error(found.reason);
  if (found.summary.software && !forced)
    throw new Error(
      `${WEBGPU_SOFTWARE}, ${found.summary.name}: slower than wasm (a CPU emulation)`,
    );
  return { tfName: await registerWebGpuBackend(), device: found.summary.name };
}

/** Loads a tfjs-node package (CommonJS) and checks it registered on our engine. */
async function loadNative(packageName: string): Promise<string> {
  try {
    requireFromHere.resolve(packageName);
  } catch {
    throw new Error('package not installed');
  }
  // Throws when libtensorflow (or CUDA for the GPU build) cannot be loaded; the message says why.
  requireFromHere(packageName);
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new Error(
      `${packageName} loaded but registered its backend on another copy of @tensorflow/tfjs-core; ` +
        'pin every @tensorflow/* package to the same version',
    );
  }
  return 'tensorflow';
}

/**
 * Points the wasm backend at its binaries on disk. In Node the backend reads them with `fs`, and
 * a plain directory prefix works (a file:// URL does too); fetch is off. In a packaged app they
 * sit in app.asar.unpacked (electron-builder's asarUnpack), where the wasm loader can read them.
 */
async function prepareWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const distDir = path
    .dirname(requireFromHere.resolve('@tensorflow/tfjs-backend-wasm'))
    .replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  const binary = path.join(distDir, 'tfjs-backend-wasm.wasm');
  if (!existsSync(binary)) throw new Error(`wasm binary not found at ${binary}`);
  wasm.setWasmPaths(distDir + path.sep, false);
  return 'wasm';
}

/**
 * Makes `tfName` the active backend. tf.setBackend reports an init failure only as `false` and
 * logs the cause with console.warn, so the warnings are captured to give the reason.
 */
async function activate(tfName: string): Promise<void> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
    if (ok) await tf.ready();
  } finally {
    console.warn = warn;
  }
  if (!ok || tf.getBackend() !== tfName) {
    const detail = warnings.map((w) => w.split('\n')[0]).join('; ');
    throw new Error(`tf.setBackend('${tfName}') failed${detail ? `: ${detail}` : ''}`);
  }
  for (const warning of warnings) warn(warning);
}
