/**
 * Mutation testing of one folder, file by file (`npm run test:mutation:files -- <folder> [--resume]
 * [--only <text>]`): one Stryker run per source file (MUTATION_FILE, stryker.config.mjs), each with
 * its own report and incremental file under reports/mutation/files/, so a run cut short keeps every
 * file it finished and `--resume` starts at the first file without a report. `--only` keeps the
 * files whose path contains the text. `npm run test:mutation:score` counts these reports with the
 * folder runs' (the newest report of each file wins). Each file's Stryker log is kept beside its
 * report (`.log`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { MUTATED_FOLDERS, matchesGlobs } from './mutation-folders.mjs';

const FILES_DIR = path.join('reports', 'mutation', 'files');

/** Every .ts file under the globs' fixed leading folders that the globs match, sorted. */
export function filesOf(globs: readonly string[]): string[] {
  const roots = new Set(
    globs
      .filter((glob) => !glob.startsWith('!'))
      .map((glob) =>
        glob
          .split('/')
          .filter((part, i, parts) => !/[*]/.test(part) && i < parts.length - 1)
          .join('/'),
      ),
  );
  const found = new Set<string>();
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      const file = `${root}/${entry.split(path.sep).join('/')}`;
      if (file.endsWith('.ts') && !file.endsWith('.d.ts') && matchesGlobs(file, globs))
        found.add(file);
    }
  }
  return [...found].sort();
}

/** The report name of one file's run, as stryker.config.mjs writes it. */
export function reportBase(file: string): string {
  return path.join(FILES_DIR, file.replaceAll('/', '__'));
}

function main(args: string[]): number {
  const folder = args.find(
    (arg) => !arg.startsWith('--') && args[args.indexOf(arg) - 1] !== '--only',
  );
  if (!folder || !Object.hasOwn(MUTATED_FOLDERS, folder)) {
    console.error(
      `usage: npm run test:mutation:files -- <${Object.keys(MUTATED_FOLDERS).join('|')}> [--resume] [--only <text>]`,
    );
    return 2;
  }
  const resume = args.includes('--resume');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  const files = filesOf(MUTATED_FOLDERS[folder as keyof typeof MUTATED_FOLDERS]).filter(
    (file) => only === undefined || file.includes(only),
  );
  mkdirSync(FILES_DIR, { recursive: true });
  let failed = 0;
  for (const [i, file] of files.entries()) {
    const base = reportBase(file);
    if (resume && existsSync(`${base}.json`)) continue;
    const started = Date.now();
    const log = openSync(`${base}.log`, 'w');
    const result = spawnSync('npx', ['stryker', 'run'], {
      env: { ...process.env, MUTATION_FILE: file, MUTATION_FOLDER: undefined },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const seconds = Math.round((Date.now() - started) / 1000);
    const ok = result.status === 0 && existsSync(`${base}.json`);
    if (!ok) failed++;
    console.log(
      `${i + 1}/${files.length} ${file}: ${ok ? 'done' : `failed (exit ${result.status}; ${base}.log)`} in ${seconds} s`,
    );
  }
  return failed ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
