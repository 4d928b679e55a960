/**
 * The mutation score per folder from Stryker's JSON reports in reports/mutation/ (written by
 * `npm run test:mutation[:folder]`, see stryker.config.mjs): killed and timed-out mutants over
 * every mutant that ran or had no test (compile errors and ignored static mutants left out, as
 * Stryker counts them). The core's score adds up its parts (core-formats, core-library,
 * core-store) when they were run one by one; a full `core` report wins over the parts. Prints one
 * line per folder and, with --survivors, each surviving or uncovered mutant as file:line mutator.
 * Run: npx tsx scripts/mutation-score.ts [--survivors]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
const FOLDERS: Record<string, readonly string[]> = {
  core: ['core-formats', 'core-library', 'core-store'],
  engine: [],
  labelling: [],
};
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function read(name: string): Report | null {
  const file = path.join(DIR, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Report) : null;
}

const showSurvivors = process.argv.includes('--survivors');
for (const [folder, parts] of Object.entries(FOLDERS)) {
  const whole = read(folder);
  const reports = whole
    ? [{ name: folder, report: whole }]
    : parts.flatMap((name) => {
        const report = read(name);
        return report ? [{ name, report }] : [];
      });
  if (reports.length === 0) {
    console.log(`${folder}: no report in ${DIR}`);
    continue;
  }
  let detected = 0;
  let undetected = 0;
  const survivors: string[] = [];
  for (const { report } of reports)
    for (const [file, { mutants }] of Object.entries(report.files))
      for (const mutant of mutants) {
        if (DETECTED.has(mutant.status)) detected++;
        else if (UNDETECTED.has(mutant.status)) {
          undetected++;
          survivors.push(
            `  ${file}:${mutant.location.start.line} ${mutant.mutatorName} (${mutant.status})` +
              (mutant.replacement
                ? ` → ${mutant.replacement.replace(/\s+/g, ' ').slice(0, 60)}`
                : ''),
          );
        }
      }
  const missing = whole ? [] : parts.filter((name) => !read(name));
  const total = detected + undetected;
  const score = total ? ((100 * detected) / total).toFixed(2) : '—';
  console.log(
    `${folder}: ${score}% (${detected} of ${total} mutants detected; from ${reports
      .map((r) => r.name)
      .join(', ')}${missing.length ? `; parts not run: ${missing.join(', ')}` : ''})`,
  );
  if (showSurvivors) console.log(survivors.join('\n'));
}
