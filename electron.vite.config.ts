/**
 * electron-vite build of the desktop app into out/:
 * - main: out/main/index.js (app lifecycle), out/main/training-process.js (the training
 *   process entry, forked as a utilityProcess) and out/main/grad-worker.js (the data-parallel
 *   gradient worker thread, which gradient-engine starts from `./grad-worker.js` beside the code
 *   that bundles it: the training process), ESM like the package;
 * - preload: out/preload/index.cjs, CommonJS with zod bundled in, as a sandboxed preload needs;
 * - renderer: the same Svelte page as browser mode, from vite.renderer.config.ts.
 * Packages in `dependencies` stay external (loaded from node_modules at run time), so the wasm
 * binaries and native addons are found where npm put them.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

const fromRoot = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: fromRoot('./out/main'),
      // The optional native backends are required at run time only if installed (backend.ts),
      // and so is onnxruntime-node (engine/export/onnx/onnx-runtime.ts): its native binding is
      // found beside its own files, so it must load from node_modules, not from a bundle.
      externalizeDeps: {
        include: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'],
      },
      rolldownOptions: {
        input: {
          index: fromRoot('./src-main/main/index.ts'),
          'training-process': fromRoot('./src-main/workers/training-process.ts'),
          'grad-worker': fromRoot('./src-main/engine/parallel/grad-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: fromRoot('./out/preload'),
      // A sandboxed preload cannot require node_modules: bundle everything it imports.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: fromRoot('./src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererConfig,
    build: {
      ...rendererConfig.build,
      rolldownOptions: { input: fromRoot('./src-renderer/index.html') },
    },
  },
});
