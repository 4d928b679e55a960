import { defineConfig } from 'vitest/config';
import { sharedDir } from './vite.renderer.config';

export default defineConfig({
  resolve: { alias: { $shared: sharedDir } },
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    environment: 'node',
    // The 2-core CI machine: model tests are heavy, so keep workers to the cores we have.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
