/**
 * WebGPU in Node for the training process and the CLI (docs/ARCHITECTURE.md, "Backends and
 * speed"): Dawn's binding from the npm package `webgpu` (prebuilt for Linux, Windows and macOS)
 * gives an adapter on Vulkan, Metal or D3D12 — any vendor's GPU — and
 * `@tensorflow/tfjs-backend-webgpu` runs TensorFlow.js on it.
 *
 * A software adapter (SwiftShader, a CPU emulation at ~0.3 GFLOP/s) computes correctly but far
 * slower than wasm: the automatic choice passes it over, a forced backend (the parity test, the
 * doctor's check) may use it. Dawn finds no Vulkan adapter without the Vulkan loader (Debian's
 * `libvulkan1`) and a driver; `VK_ICD_FILENAMES` can point it at one (Chromium's SwiftShader ICD).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../shared/errors';

/** What the adapter says of itself, for reports and the doctor. */
export interface AdapterSummary {
  /** One line: the driver's description, vendor and architecture. */
  name: string;
  /** A CPU emulation (SwiftShader or another fallback adapter), not a GPU. */
  software: boolean;
}

export type AdapterLookup = { ok: true; summary: AdapterSummary } | { ok: false; reason: string };

interface DawnBinding {
  create(options: string[]): GPU;
  globals: object;
}

const requireFromHere = createRequire(import.meta.url);

let dawn: DawnBinding | null = null;

/** Loads Dawn once; its GPU* constants become globals, as the webgpu backend expects. */
async function loadDawn(): Promise<DawnBinding> {
  if (dawn) return dawn;
  try {
    requireFromHere.resolve('webgpu');
  } catch {
    throw new Error('package not installed');
  }
  const binding = (await import('webgpu')) as DawnBinding;
  Object.assign(globalThis, binding.globals);
  dawn = binding;
  return binding;
}

export function summariseAdapter(info: GPUAdapterInfo, fallback: boolean): AdapterSummary {
  const software = fallback || /swiftshader|llvmpipe|lavapipe|warp/i.test(info.architecture);
  const parts = [info.vendor, info.architecture].filter((p) => p !== '');
  const description = info.description || info.device || 'unnamed adapter';
  return {
    name: parts.length > 0 ? `${description} (${parts.join(' ')})` : description,
    software,
  };
}

let lookup: Promise<AdapterLookup> | null = null;

/**
 * The best adapter Dawn finds here, or why there is none: looked for once per process (the
 * backend choice and the doctor share it; `navigator.gpu` is that one Dawn instance).
 */
export function findAdapter(): Promise<AdapterLookup> {
  return (lookup ??= lookForAdapter());
}

async function lookForAdapter(): Promise<AdapterLookup> {
  let binding: DawnBinding;
  try {
    binding = await loadDawn();
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
  const gpu = binding.create([]);
  exposeGpu(gpu);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    return {
      ok: false,
      reason:
        'no WebGPU adapter: no GPU driver for Vulkan, Metal or D3D12 that Dawn can use (on ' +
        "Linux: the Vulkan loader, Debian's libvulkan1, and the GPU's Vulkan driver)",
    };
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return { ok: true, summary: summariseAdapter(adapter.info, fallback === true) };
}

/**
 * `navigator.gpu`, which the webgpu backend checks for before it starts: Node 20 has no
 * `navigator`, Node 22 (Electron's) one without `gpu`.
 */
function exposeGpu(gpu: GPU): void {
  const host = globalThis as { navigator?: object };
  if (host.navigator === undefined)
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
  if (!('gpu' in host.navigator!))
    Object.defineProperty(host.navigator, 'gpu', { value: gpu, configurable: true });
}

/**
 * Registers tf's `webgpu` backend: the package registers itself when first imported where
 * `navigator.gpu` exists (findAdapter exposes Dawn's), and asks it for the high-performance
 * adapter. Returns the tf backend name.
 */
export async function registerWebGpuBackend(): Promise<string> {
  await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') === null)
    throw new Error(
      '@tensorflow/tfjs-backend-webgpu loaded but did not register (no navigator.gpu)',
    );
  return 'webgpu';
}
