/**
 * doctor: each backend's status follows the choice that was made (runs, passed over with a fix,
 * not needed, not tried when forced); the fixes name what each backend needs; the CUDA libraries
 * are found on the library path; the settings folder is Electron's userData per platform; and on
 * this machine (no GPU, no native packages) the report says wasm runs and why the rest do not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendChecks,
  CUDA_NEEDS,
  diagnose,
  findLibrary,
  fixFor,
  settingsFolder,
} from '../../src-main/engine/doctor';
import { WEBGPU_SOFTWARE } from '../../src-main/engine/backend';

const NO_CUDA = { cudaRuntime: null, cudnn: null };

describe('backendChecks', () => {
  it('marks the running backend, the passed-over ones with their fixes and the rest not needed', () => {
    const checks = backendChecks(
      {
        name: 'wasm',
        forced: false,
        skipped: [
          { name: 'tensorflow-gpu', reason: 'package not installed' },
          { name: 'webgpu', reason: 'only a software adapter, SwiftShader: slower than wasm' },
          { name: 'tensorflow', reason: 'package not installed' },
        ],
      },
      NO_CUDA,
    );
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['tensorflow-gpu', 'passed over'],
      ['webgpu', 'passed over'],
      ['tensorflow', 'passed over'],
      ['wasm', 'runs'],
      ['cpu', 'not needed'],
    ]);
    expect(checks[1]!.reason).toBe('only a software adapter, SwiftShader: slower than wasm');
    expect(checks[1]!.fix).toMatch(/no GPU that Vulkan, Metal or D3D12 can use/);
    expect(checks[3]).toEqual({ name: 'wasm', status: 'runs', reason: null, fix: null });
    expect(checks[4]!.fix).toBeNull();
  });

  it('names the GPU a webgpu run uses', () => {
    const checks = backendChecks(
      {
        name: 'webgpu',
        forced: false,
        skipped: [{ name: 'tensorflow-gpu', reason: 'package not installed' }],
        device: 'Radeon (amd rdna-3)',
      },
      NO_CUDA,
    );
    expect(checks[1]).toEqual({
      name: 'webgpu',
      status: 'runs',
      reason: 'Radeon (amd rdna-3)',
      fix: null,
    });
    expect(checks.slice(2).map((c) => c.status)).toEqual([
      'not needed',
      'not needed',
      'not needed',
    ]);
  });

  it('says the others were not tried when FACE_STUDIO_BACKEND forces one', () => {
    const checks = backendChecks({ name: 'cpu', forced: true, skipped: [] }, NO_CUDA);
    expect(checks.at(-1)).toEqual({
      name: 'cpu',
      status: 'runs',
      reason: 'forced by FACE_STUDIO_BACKEND',
      fix: null,
    });
    for (const check of checks.slice(0, -1))
      expect(check).toMatchObject({
        status: 'not tried',
        reason: 'FACE_STUDIO_BACKEND=cpu forces another backend',
      });
  });

  it('marks every backend not tried when none could start', () => {
    const checks = backendChecks({ error: 'No TensorFlow.js backend could start' }, NO_CUDA);
    expect(new Set(checks.map((c) => c.status))).toEqual(new Set(['not tried']));
  });
});

describe('fixFor', () => {
  it('tells an NVIDIA user which CUDA and cuDNN to install, and which are missing', () => {
    const none = fixFor('tensorflow-gpu', 'package not installed', NO_CUDA)!;
    expect(none).toContain(`CUDA ${CUDA_NEEDS.cuda} and cuDNN ${CUDA_NEEDS.cudnn}`);
    expect(none).toContain(`driver ≥ ${CUDA_NEEDS.driver}`);
    expect(none).toContain('CUDA 11.2 runtime and cuDNN 8.1 not found on the library path');
    expect(none).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0');
    const cudnnOnly = fixFor('tensorflow-gpu', 'package not installed', {
      cudaRuntime: '/usr/local/cuda/lib64/libcudart.so.11.0',
      cudnn: null,
    })!;
    expect(cudnnOnly).toContain('(cuDNN 8.1 not found on the library path)');
    const loadFailed = fixFor('tensorflow-gpu', 'libcudnn.so.8: cannot open shared object', {
      cudaRuntime: 'x',
      cudnn: 'y',
    })!;
    expect(loadFailed).toMatch(/^libtensorflow could not start: .*\(CUDA and cuDNN found\)$/);
  });

  it('says what WebGPU needs when there is no adapter, and that a software one is no GPU', () => {
    expect(fixFor('webgpu', 'no WebGPU adapter: no GPU driver', NO_CUDA)).toMatch(/libvulkan1/);
    expect(fixFor('webgpu', `${WEBGPU_SOFTWARE}, SwiftShader`, NO_CUDA)).toMatch(
      /^no GPU that Vulkan, Metal or D3D12 can use/,
    );
    expect(fixFor('webgpu', 'package not installed', NO_CUDA)).toMatch(/npm ci/);
    expect(fixFor('tensorflow', 'package not installed', NO_CUDA)).toMatch(
      /npm install @tensorflow\/tfjs-node@4\.22\.0/,
    );
    expect(fixFor('cpu', 'anything', NO_CUDA)).toBeNull();
  });
});

describe('findLibrary', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'libs-'));
    await writeFile(path.join(dir, 'libcudart.so.11.0'), '');
    await writeFile(path.join(dir, 'libcudnn.so.9'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds a library on LD_LIBRARY_PATH by its major version, and only that one', () => {
    const env = { LD_LIBRARY_PATH: `/no/such/dir${path.delimiter}${dir}` };
    expect(findLibrary(/^libcudart\.so\.11(\.|$)/, env)).toBe(path.join(dir, 'libcudart.so.11.0'));
    expect(findLibrary(/^libcudnn\.so\.8(\.|$)/, env)).toBeNull();
  });
});

describe('settingsFolder', () => {
  it("is Electron's userData folder for Face Studio on each platform", () => {
    expect(settingsFolder('linux', {}, '/home/ada')).toBe('/home/ada/.config/Face Studio');
    expect(settingsFolder('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/ada')).toBe(
      '/cfg/Face Studio',
    );
    expect(settingsFolder('darwin', {}, '/Users/ada')).toBe(
      '/Users/ada/Library/Application Support/Face Studio',
    );
    expect(
      settingsFolder('win32', { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'C:\\Users\\ada'),
    ).toBe('C:\\Users\\ada\\AppData\\Roaming\\Face Studio');
  });
});

describe('diagnose on this machine', () => {
  it('finds wasm running and says why no GPU backend is used', { timeout: 60_000 }, async () => {
    const report = await diagnose({ env: { PATH: process.env.PATH }, studioVersion: '9.9.9' });
    expect(report.chosen).toMatchObject({ name: 'wasm', forced: false });
    expect(report.backends.map((b) => b.status)).toEqual([
      'passed over',
      'passed over',
      'passed over',
      'runs',
      'not needed',
    ]);
    expect(report.backends[1]!.reason).toMatch(/^(no WebGPU adapter|only a software adapter)/);
    expect(report.gpu.cudaRuntime).toBeNull();
    expect(report.wasm.simd).toBe(true);
    expect(report.versions).toMatchObject({
      'face-studio': '9.9.9',
      node: process.versions.node,
      '@tensorflow/tfjs': '4.22.0',
      '@tensorflow/tfjs-node-gpu': 'not installed',
    });
    expect(report.platform.cpus).toBeGreaterThanOrEqual(1);
  });
});
