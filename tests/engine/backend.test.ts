import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../../src-main/engine/backend';

const require = createRequire(import.meta.url);

function installed(packageName: string): boolean {
  try {
    require.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/** Plain-JS reference product of row-major matrices. */
function referenceMatMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) =>
    b[0]!.map((_, j) => row.reduce((sum, value, k) => sum + value * b[k]![j]!, 0)),
  );
}

function randomMatrix(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => Math.random() * 2 - 1),
  );
}

describe('chooseBackend', () => {
  it('skips the native packages that are not installed, with the reason, and picks wasm', async () => {
    // This machine has neither optional native package (their install needs the internet).
    const natives = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
    expect(natives.map(installed)).toEqual([false, false]);

    const report = await chooseBackend({ env: {} });
    expect(report).toEqual({
      name: 'wasm',
      forced: false,
      skipped: [
        { name: 'tensorflow-gpu', reason: 'package not installed' },
        // No GPU here: no Vulkan driver at all, or only SwiftShader, Chromium's CPU emulation.
        {
          name: 'webgpu',
          reason: expect.stringMatching(
            /^(no WebGPU adapter: no GPU driver for Vulkan, Metal or D3D12|only a software adapter, SwiftShader .*: slower than wasm)/,
          ),
        },
        { name: 'tensorflow', reason: 'package not installed' },
      ],
    });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('honours FACE_STUDIO_BACKEND=cpu and really switches tf to it', async () => {
    const report = await chooseBackend({ env: { FACE_STUDIO_BACKEND: 'cpu' } });
    expect(report).toEqual({ name: 'cpu', forced: true, skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('lets the force option win over the environment', async () => {
    const report = await chooseBackend({ force: 'wasm', env: { FACE_STUDIO_BACKEND: 'cpu' } });
    expect(report.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('throws a clear error for an unknown backend name', async () => {
    await expect(chooseBackend({ env: { FACE_STUDIO_BACKEND: 'metal' } })).rejects.toThrow(
      'FACE_STUDIO_BACKEND="metal" is not a backend; use one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu',
    );
  });

  it('throws, rather than falling back, when a forced backend cannot load', async () => {
    await expect(chooseBackend({ force: 'tensorflow' })).rejects.toThrow(
      'FACE_STUDIO_BACKEND=tensorflow, but that backend cannot run here: package not installed',
    );
  });

  it.each(['wasm', 'cpu'])('multiplies matrices correctly on %s', async (name) => {
    await chooseBackend({ force: name });
    const a = randomMatrix(3, 5);
    const b = randomMatrix(5, 4);
    const result = tf.tidy(() => tf.matMul<tf.Tensor2D>(tf.tensor2d(a), tf.tensor2d(b)));
    const product = result.arraySync();
    result.dispose();
    const expected = referenceMatMul(a, b);
    product.forEach((row, i) =>
      row.forEach((value, j) => expect(value).toBeCloseTo(expected[i]![j]!, 5)),
    );
  });
});

describe('chooseBackend and the WebGPU adapter', () => {
  const ADAPTER = '../../src-main/engine/webgpu-adapter';
  /** backend.ts loaded afresh on a machine whose Dawn finds `summary`. */
  async function withAdapter(summary: { name: string; software: boolean }) {
    vi.resetModules();
    vi.doMock(ADAPTER, () => ({
      findAdapter: async () => ({ ok: true, summary }),
      // tf's webgpu backend cannot start without a GPU: cpu stands in for it once chosen.
      registerWebGpuBackend: async () => 'cpu',
    }));
    return (await import('../../src-main/engine/backend')).chooseBackend;
  }
  afterEach(() => {
    vi.doUnmock(ADAPTER);
    vi.resetModules();
  });

  it('takes webgpu on its own when the adapter is a real GPU, naming it', async () => {
    const choose = await withAdapter({ name: 'Radeon RX 7600 (amd rdna-3)', software: false });
    expect(await choose({ env: {} })).toEqual({
      name: 'webgpu',
      forced: false,
      device: 'Radeon RX 7600 (amd rdna-3)',
      skipped: [{ name: 'tensorflow-gpu', reason: 'package not installed' }],
    });
  });

  it('passes over a software adapter with the reason, unless webgpu is forced', async () => {
    const swiftShader = { name: 'SwiftShader driver (google swiftshader)', software: true };
    const choose = await withAdapter(swiftShader);
    const report = await choose({ env: {} });
    expect(report.name).toBe('wasm');
    expect(report.skipped[1]).toEqual({
      name: 'webgpu',
      reason:
        'only a software adapter, SwiftShader driver (google swiftshader): slower than wasm (a CPU emulation)',
    });
    const forced = await choose({ force: 'webgpu' });
    expect(forced).toMatchObject({ name: 'webgpu', forced: true, device: swiftShader.name });
  });
});
