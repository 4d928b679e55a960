/**
 * What `face-studio doctor` finds (docs/ARCHITECTURE.md, "Backends and speed"): each backend
 * candidate in the order the studio tries them, with what happened and, where one was passed
 * over, what would make it run; the GPU the webgpu backend sees; the CUDA libraries the
 * tensorflow-gpu backend needs; wasm's SIMD and threads; versions and the settings folder.
 * It chooses the backend exactly as the training process does (chooseBackend), so what it says
 * is what a run would get.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendReport } from '../shared/domain';
import { errorMessage } from '../shared/errors';
import { BACKEND_NAMES, chooseBackend, WEBGPU_SOFTWARE, type BackendName } from './backend';
import { findAdapter, type AdapterSummary } from './webgpu-adapter';

/** The CUDA and cuDNN that @tensorflow/tfjs-node-gpu 4.22 (TensorFlow 2.9) is built against. */
export const CUDA_NEEDS = { driver: '450', cuda: '11.2', cudnn: '8.1' } as const;

export type BackendStatus = 'runs' | 'passed over' | 'not needed' | 'not tried';

export interface BackendCheck {
  name: BackendName;
  status: BackendStatus;
  /** Why it was passed over, or what it runs on. */
  reason: string | null;
  /** What would make a passed-over backend run. */
  fix: string | null;
}

export interface DoctorReport {
  /** The backend a training run would use, or why none could start. */
  chosen: BackendReport | { error: string };
  backends: BackendCheck[];
  gpu: {
    /** The adapter Dawn finds (a software one included), or why there is none. */
    webgpu: AdapterSummary | { none: string };
    /** CUDA runtime and cuDNN libraries found on the library path (null: not found). */
    cudaRuntime: string | null;
    cudnn: string | null;
  };
  wasm: { simd: boolean; threads: boolean };
  versions: Record<string, string>;
  platform: { os: string; arch: string; cpus: number; memoryGiB: number };
  /** Where the desktop app keeps its settings (recent projects). */
  settingsFolder: string;
}

const requireFromHere = createRequire(import.meta.url);

export interface DiagnoseOptions {
  /** Where FACE_STUDIO_BACKEND and the library path are read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The studio's own version (its package.json), first among the versions. */
  studioVersion?: string;
}

export async function diagnose(options: DiagnoseOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  let chosen: DoctorReport['chosen'];
  try {
    chosen = await chooseBackend({ env });
  } catch (error) {
    chosen = { error: errorMessage(error) };
  }
  const adapter = await findAdapter();
  const cudaRuntime = findLibrary(cudaRuntimeNames(), env);
  const cudnn = findLibrary(cudnnNames(), env);
  return {
    chosen,
    backends: backendChecks(chosen, { cudaRuntime, cudnn }),
    gpu: {
      webgpu: adapter.ok ? adapter.summary : { none: adapter.reason },
      cudaRuntime,
      cudnn,
    },
    wasm: await wasmFeatures(),
    versions: {
      ...(options.studioVersion ? { 'face-studio': options.studioVersion } : {}),
      ...versions(),
    },
    platform: {
      os: `${os.type()} ${os.release()}`,
      arch: process.arch,
      cpus: os.availableParallelism(),
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    },
    settingsFolder: settingsFolder(process.platform, env, os.homedir()),
  };
}

/** Each candidate's status from the choice that was made. */
export function backendChecks(
  chosen: DoctorReport['chosen'],
  cuda: { cudaRuntime: string | null; cudnn: string | null },
): BackendCheck[] {
  const skipped = new Map('error' in chosen ? [] : chosen.skipped.map((s) => [s.name, s.reason]));
  const running = 'error' in chosen ? null : chosen.name;
  const forced = 'error' in chosen ? false : chosen.forced;
  let passed = false;
  return BACKEND_NAMES.map((name): BackendCheck => {
    if (name === running) {
      passed = true;
      const on = 'error' in chosen ? undefined : chosen.device;
      return {
        name,
        status: 'runs',
        reason: forced ? 'forced by FACE_STUDIO_BACKEND' : (on ?? null),
        fix: null,
      };
    }
    const reason = skipped.get(name);
    if (reason !== undefined)
      return { name, status: 'passed over', reason, fix: fixFor(name, reason, cuda) };
    if (forced)
      return {
        name,
        status: 'not tried',
        reason: `FACE_STUDIO_BACKEND=${running} forces another backend`,
        fix: null,
      };
    return passed
      ? { name, status: 'not needed', reason: 'a better backend runs', fix: null }
      : { name, status: 'not tried', reason: null, fix: null };
  });
}

/** What would make backend `name`, passed over for `reason`, run. */
export function fixFor(
  name: BackendName,
  reason: string,
  cuda: { cudaRuntime: string | null; cudnn: string | null },
): string | null {
  const { driver, cuda: cudaVersion, cudnn } = CUDA_NEEDS;
  switch (name) {
    case 'tensorflow-gpu': {
      const missing = [
        cuda.cudaRuntime ? null : `CUDA ${cudaVersion} runtime`,
        cuda.cudnn ? null : `cuDNN ${cudnn}`,
      ].filter((m) => m !== null);
      const libraries =
        missing.length > 0
          ? `${missing.join(' and ')} not found on the library path`
          : 'CUDA and cuDNN found';
      if (reason === 'package not installed')
        return (
          `NVIDIA GPUs only: install the NVIDIA driver ≥ ${driver}, CUDA ${cudaVersion} and cuDNN ` +
          `${cudnn} (${libraries}), then \`npm install @tensorflow/tfjs-node-gpu@4.22.0\` in the ` +
          'app folder (it downloads libtensorflow; see the README, "GPU")'
        );
      return `libtensorflow could not start: check CUDA ${cudaVersion} and cuDNN ${cudnn} (${libraries})`;
    }
    case 'webgpu':
      if (reason === 'package not installed')
        return 'the webgpu package is part of the app: reinstall it (`npm ci`)';
      if (reason.startsWith(WEBGPU_SOFTWARE))
        return (
          'no GPU that Vulkan, Metal or D3D12 can use: on a machine with one, install its driver ' +
          '(Linux: libvulkan1 and the vendor’s Vulkan driver — mesa-vulkan-drivers for AMD and ' +
          'Intel, the NVIDIA driver for NVIDIA)'
        );
      return (
        'install the GPU’s Vulkan driver and the Vulkan loader (Debian/Ubuntu: libvulkan1, plus ' +
        'mesa-vulkan-drivers for AMD and Intel or the NVIDIA driver); Windows and macOS need ' +
        'only an up-to-date GPU driver'
      );
    case 'tensorflow':
      if (reason === 'package not installed')
        return (
          '`npm install @tensorflow/tfjs-node@4.22.0` in the app folder (it downloads ' +
          'libtensorflow): native CPU kernels, several times faster than wasm for training'
        );
      return 'libtensorflow could not start: reinstall @tensorflow/tfjs-node';
    case 'wasm':
      return 'reinstall the app: the wasm binaries of @tensorflow/tfjs-backend-wasm are missing';
    case 'cpu':
      return null;
  }
}

function cudaRuntimeNames(): RegExp {
  return process.platform === 'win32' ? /^cudart64_110\.dll$/i : /^libcudart\.so\.11(\.|$)/;
}

function cudnnNames(): RegExp {
  return process.platform === 'win32' ? /^cudnn64_8\.dll$/i : /^libcudnn\.so\.8(\.|$)/;
}

/** The first file named like `pattern` in the library search folders, or null. */
export function findLibrary(pattern: RegExp, env: NodeJS.ProcessEnv): string | null {
  for (const dir of librarySearchPath(env)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const name = names.find((n) => pattern.test(n));
    if (name) return path.join(dir, name);
  }
  return null;
}

function librarySearchPath(env: NodeJS.ProcessEnv): string[] {
  const list = (value: string | undefined) =>
    (value ?? '').split(path.delimiter).filter((d) => d !== '');
  if (process.platform === 'win32') return list(env.PATH);
  const cuda = env.CUDA_HOME ?? env.CUDA_PATH ?? '/usr/local/cuda';
  return [
    ...list(env.LD_LIBRARY_PATH),
    path.join(cuda, 'lib64'),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
  ].filter((dir, i, all) => all.indexOf(dir) === i && existsSync(dir));
}

async function wasmFeatures(): Promise<{ simd: boolean; threads: boolean }> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return {
      simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
      threads: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
    };
  } catch {
    return { simd: false, threads: false };
  }
}

/** These packages have no `exports` map, so their package.json resolves as a subpath. */
function packageVersion(name: string): string {
  try {
    return (requireFromHere(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function versions(): Record<string, string> {
  return {
    node: process.versions.node,
    electron: process.versions.electron ?? 'not running in Electron',
    '@tensorflow/tfjs': tf.version.tfjs,
    '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
    webgpu: packageVersion('webgpu'),
    '@tensorflow/tfjs-node': packageVersion('@tensorflow/tfjs-node'),
    '@tensorflow/tfjs-node-gpu': packageVersion('@tensorflow/tfjs-node-gpu'),
  };
}

/**
 * Electron's `userData` folder for the app "Face Studio" (app.getPath('userData')): the platform's
 * application-data folder and the product name.
 */
export function settingsFolder(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  home: string,
): string {
  const product = 'Face Studio';
  if (platform === 'win32')
    return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), product);
  if (platform === 'darwin')
    return path.posix.join(home, 'Library', 'Application Support', product);
  return path.posix.join(env.XDG_CONFIG_HOME ?? path.posix.join(home, '.config'), product);
}
