// @ts-check
/**
 * Mutation testing (`npm run test:mutation`; docs/ARCHITECTURE.md, "Testing and benchmarks"): one
 * source change at a time, the tests that cover it run, and a change no test notices "survives".
 * Over the code whose every line a test can reach without a GPU or a model graph: the project
 * store and formats (src-main/core), the engine's pure modules, and the renderer's labelling model.
 *
 * Practical on 2 cores: per-test coverage (a mutant runs only the tests that executed its line),
 * the vitest config of vitest.stryker.config.ts (those folders' tests only, no Svelte project),
 * the TypeScript checker (a mutant that does not compile is never run), static mutants left out
 * (they would re-run every test), and incremental mode: reports/mutation/*.json (gitignored: it is
 * a cache of the last run on this machine) lets a second run test only what changed.
 * `npm run test:mutation:core|engine|labelling` (MUTATION_FOLDER=core|engine|labelling) runs one
 * folder, with its own incremental file and report; MUTATION_FOLDER=core-formats|core-library|core-store
 * runs a third of the core.
 */

import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const TEMP_DIR = '.stryker-tmp';

// Tests read the public data as ../shared/data from the project root; a mutant's tests run in
// TEMP_DIR/sandbox-*, whose ../shared is TEMP_DIR/shared: a link to the real one.
const sharedDir = path.resolve('..', 'shared');
const sandboxShared = path.join(TEMP_DIR, 'shared');
if (existsSync(sharedDir) && !existsSync(sandboxShared)) {
  mkdirSync(TEMP_DIR, { recursive: true });
  symlinkSync(sharedDir, sandboxShared, 'dir');
}

/** src-main/core in three parts, each a run of its own on 2 cores (about an hour each). */
const CORE_PARTS = {
  'core-formats': ['src-main/core/formats/**/*.ts'],
  'core-library': ['src-main/core/library/**/*.ts'],
  'core-store': [
    'src-main/core/**/*.ts',
    '!src-main/core/formats/**/*.ts',
    '!src-main/core/library/**/*.ts',
  ],
};

/**
 * The folders whose score the README's checks table records, as mutate globs. `core` is its three
 * parts together; `node scripts/mutation-score.mjs` adds up the parts' reports into the core's score.
 */
export const MUTATED_FOLDERS = {
  core: ['src-main/core/**/*.ts'],
  ...CORE_PARTS,
  engine: [
    'src-main/engine/optim/**/*.ts',
    'src-main/engine/metrics/**/*.ts',
    'src-main/engine/model/params.ts',
    'src-main/engine/model/tensor-record.ts',
    'src-main/engine/pretrain/loss.ts',
    'src-main/engine/pretrain/pretrain-checkpoint.ts',
    'src-main/engine/finetune/finetune-checkpoint.ts',
    'src-main/engine/data/**/*.ts',
  ],
  labelling: ['src-renderer/src/features/labelling/model/**/*.ts'],
};

const folder = process.env.MUTATION_FOLDER;
if (folder !== undefined && !Object.hasOwn(MUTATED_FOLDERS, folder)) {
  throw new Error(
    `MUTATION_FOLDER=${folder} is not one of ${Object.keys(MUTATED_FOLDERS).join(', ')}`,
  );
}
const only = /** @type {keyof typeof MUTATED_FOLDERS | undefined} */ (folder);
/** The run's name in reports/mutation/: the folder, or `all`. */
const run = only ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: only
    ? MUTATED_FOLDERS[only]
    : [...MUTATED_FOLDERS.core, ...MUTATED_FOLDERS.engine, ...MUTATED_FOLDERS.labelling],
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${run}-incremental.json`,
  concurrency: 2,
  timeoutMS: 60_000,
  // The first run of every covering test; on 2 cores shared with other jobs it took over 5 minutes.
  dryRunTimeoutMinutes: 60,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${run}.html` },
  jsonReporter: { fileName: `reports/mutation/${run}.json` },
  clearTextReporter: { allowColor: false, reportScoreTable: true },
  thresholds: { high: 80, low: 65, break: null },
  tempDirName: TEMP_DIR,
};
