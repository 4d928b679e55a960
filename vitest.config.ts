import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { sharedDir } from './vite.renderer.config.ts';

/** Renderer stores with runes: `*.svelte.test.ts` beside the other renderer tests. */
const RUNES_TESTS = 'tests/renderer/**/*.svelte.test.ts';

export default defineConfig({
  resolve: { alias: { $shared: sharedDir } },
  test: {
    // The 2-core CI machine: model tests are heavy, so keep workers to the cores we have.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          // tests/package builds and packs the app: `npm run test:package` (vitest.package.config.ts).
          exclude: ['tests/e2e/**', 'tests/package/**', 'node_modules/**', RUNES_TESTS],
          environment: 'node',
        },
      },
      {
        extends: true,
        // The renderer's `.svelte.ts` stores compiled as the page gets them (client runes, not the
        // server build), and `svelte` resolved to its browser entry so `flushSync` and effects run.
        plugins: [svelte({ dynamicCompileOptions: () => ({ generate: 'client' }) })],
        resolve: { conditions: ['browser'] },
        ssr: { resolve: { conditions: ['browser'] } },
        test: {
          name: 'renderer',
          include: [RUNES_TESTS],
          environment: 'node',
          // `window.studio`: the preload's API, faked, before a store loads lib/api.ts.
          setupFiles: ['tests/renderer/support/install-studio.ts'],
        },
      },
    ],
  },
});
