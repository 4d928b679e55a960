/**
 * The mutation score per folder from Stryker's JSON reports (written by `npm run test:mutation[:folder]`
 * into reports/mutation/ and by `npm run test:mutation:files` into reports/mutation/files/; see
 * stryker.config.mjs): killed and timed-out mutants over every mutant that ran or had no test
 * (compile errors and ignored static mutants left out, as Stryker counts them). Each source file
 * counts from the newest report that holds it, so a folder's score adds up its parts' and its
 * files' runs. Prints one line per folder (with the files not yet run) and, with --survivors, each
 * surviving or uncovered mutant as file:line mutator → replacement.
 * Run: npm run test:mutation:score [-- --survivors]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { filesOf } from './mutation-files';
import { SCORED_FOLDERS, matchesGlobs } from './mutation-folders.mjs';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

const DIR = path.join('reports', 'mutation');
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Each source file's mutants from the newest report that holds it. */
function newestResults(): Map<string, Mutant[]> {
  const reports: { file: string; mtime: number }[] = [];
  for (const dir of [DIR, path.join(DIR, 'files')]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir))
      if (name.endsWith('.json') && !name.endsWith('-incremental.json')) {
        const file = path.join(dir, name);
        reports.push({ file, mtime: statSync(file).mtimeMs });
      }
  }
  reports.sort((a, b) => a.mtime - b.mtime);
  const results = new Map<string, Mutant[]>();
  for (const { file } of reports) {
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    for (const [source, { mutants }] of Object.entries(report.files)) results.set(source, mutants);
  }
  return results;
}

const showSurvivors = process.argv.includes('--survivors');
const results = newestResults();
for (const [folder, globs] of Object.entries(SCORED_FOLDERS)) {
  let detected = 0;
  let undetected = 0;
  const survivors: string[] = [];
  const sources = filesOf(globs);
  const notRun: string[] = [];
  for (const source of sources) {
    const mutants = results.get(source);
    if (!mutants) {
      notRun.push(source);
      continue;
    }
    for (const mutant of mutants) {
      if (DETECTED.has(mutant.status)) detected++;
      else if (UNDETECTED.has(mutant.status)) {
        undetected++;
        survivors.push(
          `  ${source}:${mutant.location.start.line} ${mutant.mutatorName} (${mutant.status})` +
            (mutant.replacement
              ? ` → ${mutant.replacement.replace(/\s+/g, ' ').slice(0, 60)}`
              : ''),
        );
      }
    }
  }
  // Files a report holds that no longer exist or left the folder are not counted.
  const stale = [...results.keys()].filter(
    (source) => matchesGlobs(source, globs) && !sources.includes(source),
  );
  const total = detected + undetected;
  const score = total ? ((100 * detected) / total).toFixed(2) : '—';
  console.log(
    `${folder}: ${score}% (${detected} of ${total} mutants detected, ${sources.length - notRun.length} of ${sources.length} files run` +
      (notRun.length ? `; not run: ${notRun.join(', ')}` : '') +
      (stale.length ? `; reports of files gone: ${stale.join(', ')}` : '') +
      ')',
  );
  if (showSurvivors) console.log(survivors.join('\n'));
}
