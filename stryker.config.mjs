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
 * runs a third of the core; `npm run test:mutation:files -- <folder>` runs a folder file by file
 * (resumable: reports/mutation/files/); `npm run test:mutation:sample -- <folder>` estimates a
 * folder's score from a seeded sample of its lines. The folders are in scripts/mutation-folders.mjs.
 *
 * Left out of the tests a mutant runs (vitest.stryker.config.ts): the whole-set imports and the
 * 50-kill durability test, tens of seconds each, which every surviving mutant they cover re-ran.
 */

import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { MUTATED_FOLDERS, SCORED_FOLDERS } from './scripts/mutation-folders.mjs';

const TEMP_DIR = '.stryker-tmp';

// Tests read the public data as ../shared/data from the project root; a mutant's tests run in
// TEMP_DIR/sandbox-*, whose ../shared is TEMP_DIR/shared: a link to the real one.
const sharedDir = path.resolve('..', 'shared');
const sandboxShared = path.join(TEMP_DIR, 'shared');
if (existsSync(sharedDir) && !existsSync(sandboxShared)) {
  mkdirSync(TEMP_DIR, { recursive: true });
  symlinkSync(sharedDir, sandboxShared, 'dir');
}

const folder = process.env.MUTATION_FOLDER;
if (folder !== undefined && !Object.hasOwn(MUTATED_FOLDERS, folder)) {
  throw new Error(
    `MUTATION_FOLDER=${folder} is not one of ${Object.keys(MUTATED_FOLDERS).join(', ')}`,
  );
}
const only = /** @type {keyof typeof MUTATED_FOLDERS | undefined} */ (folder);
/**
 * MUTATION_FILE=src-main/…/x.ts mutates one file (scripts/mutation-files.ts runs a folder that way,
 * file by file, so a run cut short keeps every file it finished).
 */
const file = process.env.MUTATION_FILE;
/**
 * MUTATION_SAMPLE=reports/mutation/sample/<name>.sample.json mutates the line ranges it lists
 * (`file:start-end`; scripts/mutation-sample.ts draws them to estimate a folder's score).
 */
const sample = process.env.MUTATION_SAMPLE
  ? /** @type {{ name: string, mutate: string[] }} */ (
      JSON.parse(readFileSync(process.env.MUTATION_SAMPLE, 'utf8'))
    )
  : undefined;
/**
 * The run's name in reports/mutation/: files/<the file's path with / as __>, sample/<name>, the
 * folder, or `all`.
 */
const run = file
  ? `files/${file.replaceAll('/', '__')}`
  : sample
    ? `sample/${sample.name}`
    : (only ?? 'all');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: file
    ? [file]
    : sample
      ? sample.mutate
      : only
        ? MUTATED_FOLDERS[only]
        : Object.values(SCORED_FOLDERS).flat(),
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${run}-incremental.json`,
  concurrency: 2,
  // Added to 1.5 × a mutant's tests' time in the first run; a loaded machine needs the margin.
  timeoutMS: 30_000,
  // The first run of every covering test; on 2 cores shared with other jobs it took over 5 minutes.
  dryRunTimeoutMinutes: 60,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${run}.html` },
  jsonReporter: { fileName: `reports/mutation/${run}.json` },
  clearTextReporter: { allowColor: false, reportScoreTable: true },
  thresholds: { high: 80, low: 65, break: null },
  tempDirName: TEMP_DIR,
};
