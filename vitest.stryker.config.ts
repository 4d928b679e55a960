import { defineConfig } from 'vitest/config';
import { sharedDir } from './vite.renderer.config.ts';

/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`, stryker.config.mjs): only
 * those that can kill a mutant in the mutated folders, in one node project, so a mutant's run starts
 * no Svelte compiler and no model test. The renderer's `*.svelte.test.ts` stores are left out: the
 * labelling model they drive is covered by its own plain tests. Also left out: the whole-set
 * imports (`*.datasets.test.ts`: CK+, 300-W, MTFL, 20–70 s each) and the 50-kill durability test
 * (30 s): every mutant they cover that survives the quick tests re-ran them (7 s a mutant in a run
 * over pts.ts); they run in `npm test`, and what only they would catch wants a quick test.
 */
export default defineConfig({
  resolve: { alias: { $shared: sharedDir } },
  test: {
    // Mutation runs go at nice 19 beside other work: a first run's test once took over 30 s.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    environment: 'node',
    include: [
      'tests/core/**/*.test.ts',
      'tests/engine/optim/**/*.test.ts',
      'tests/engine/metrics/**/*.test.ts',
      'tests/engine/model/params.test.ts',
      'tests/engine/model/tensor-record.test.ts',
      'tests/engine/pretrain/loss.test.ts',
      'tests/engine/pretrain/pretrain-checkpoint.test.ts',
      'tests/engine/finetune/finetune-checkpoint.test.ts',
      'tests/engine/data/**/*.test.ts',
      'tests/renderer/labelling/**/*.test.ts',
    ],
    exclude: [
      'tests/renderer/**/*.svelte.test.ts',
      'tests/**/*.datasets.test.ts',
      'tests/core/durability.test.ts',
      'node_modules/**',
    ],
  },
});
