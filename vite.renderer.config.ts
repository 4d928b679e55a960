/**
 * Builds the Svelte renderer into out/renderer for browser mode (`serve`, e2e tests). Electron's
 * electron.vite.config.ts imports `rendererConfig` so both hosts build the same page.
 */
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type UserConfig } from 'vite';

/** src-main/shared/: the contract and domain types, the renderer's one import from the main side. */
export const sharedDir = fileURLToPath(new URL('./src-main/shared', import.meta.url));

export const rendererConfig: UserConfig = {
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  // Relative asset URLs: the page loads from file:// in Electron and from / over the bridge.
  base: './',
  plugins: [svelte()],
  // The renderer reaches the main side only through the shared contract, by this alias (also in
  // tsconfig.base.json and vitest.config.ts).
  resolve: { alias: { $shared: sharedDir } },
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
  },
};

export default defineConfig(rendererConfig);
