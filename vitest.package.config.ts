import { defineConfig } from 'vitest/config';

/**
 * The packaging test alone (`npm run test:package`): it builds and packs the whole app, so it is
 * kept out of `npm test` (vitest.config.ts excludes tests/package) and runs after it in .ci/run.
 */
export default defineConfig({
  test: {
    include: ['tests/package/**/*.test.ts'],
    environment: 'node',
    // One build and one pack, minutes on a loaded 2-core machine; the assertions are quick.
    hookTimeout: 20 * 60_000,
    testTimeout: 60_000,
  },
});
