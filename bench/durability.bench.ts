/**
 * Kill bench (`npm run bench:durability -- --images 1000000 [--kills N] [--keep DIR]`): nothing
 * acknowledged is lost when the process editing a large project is killed, during an index edit,
 * a label edit or a compaction of either journal. The unit suite's kill test
 * (tests/core/durability.test.ts) does the same on a 10-image project; this runs it on a project
 * of `--images` records (default 1,000,000) and 10,000 labelled 98-point faces, where a compaction
 * rewrites a ~290 MB project.json and lasts seconds, so kills can be aimed inside one.
 *
 * The base project is built in `--keep DIR` once (bench-project.ts; reused when there) or in the
 * work folder, and never written: the bench edits a hard-linked copy (`cp -al`; every store write
 * replaces a file by rename, and the base has no journal to append to). Then, `--kills` times:
 * - a child (durability-child.ts) opens the copy with the lock and edits it with every kind of
 *   edit the library offers, on low compaction thresholds, reporting each edit before it starts
 *   and once its promise resolved;
 * - the parent kills it with SIGKILL, either at a random moment 0–3 s after its first
 *   acknowledgement, or at a random point inside the 1st or 2nd compaction of project.json or
 *   labels.json it sees start (the compacting journal appears on disk), the point drawn over the
 *   last such compaction's duration;
 * - a checker (durability-check.ts) reopens the project in a fresh process and compares every
 *   record and face with the base, and the edited ones with the model: each acknowledged edit is
 *   there, an edit in flight at the kill is there or not, nothing else changed, the index order
 *   kept. Every `--deep-every` kills (and last) it also parses project.json and labels.json whole
 *   and closes the store, which folds the journals.
 * Prints a line per kill and a summary (kills, kills inside a compaction, edits acknowledged and
 * checked, losses) with a JSON line; exits 1 on any loss or problem, keeping the work folder.
 * `--work DIR` puts the copy there; `--seed N` draws other kills; `--minutes M` starts no kill
 * after M minutes (then the final check runs). `--self-check` shows the checker
 * sees a loss: it deletes the journals after one kill and expects the check to fail.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../tests/support/project-data';
import { buildBenchProject } from './bench-project';
import {
  BASE,
  EXPECTED,
  RESULT,
  parseReport,
  type ChildSettings,
  type CheckResult,
  type Expected,
  type Target,
} from './durability-plan';

const args = process.argv.slice(2);
function option(name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}
const IMAGES = Number(option('--images') ?? 1_000_000);
const FACES = Number(option('--faces') ?? 10_000);
const POINTS = 98;
const KILLS = Number(option('--kills') ?? 30);
const SEED = Number(option('--seed') ?? 0x5eed_1d1e);
const DEEP_EVERY = Number(option('--deep-every') ?? 5);
const KEEP = option('--keep');
const SELF_CHECK = args.includes('--self-check');
/** Stop starting kills after this many minutes (then the last, deep check), if given. */
const MINUTES = Number(option('--minutes') ?? Infinity);
/** A child that never reaches its kill (no compaction seen) is killed after this long open. */
const WATCHDOG_MS = 120_000;
/** A child is killed after this long whatever happens (one that never opens the project). */
const HARD_LIMIT_MS = 15 * 60_000;
/** The window after the first acknowledgement an edit-time kill is drawn in. */
const EDIT_WINDOW_MS = 3_000;
const POLL_MS = 20;

const bench = import.meta.dirname;
const repo = path.resolve(bench, '..');
const JOURNALS = {
  images: 'images.journal.compacting.jsonl',
  labels: 'labels.journal.compacting.jsonl',
} as const;
type Journal = keyof typeof JOURNALS;

function tsx(script: string, scriptArgs: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(bench, script), ...scriptArgs], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function runCheck(mode: 'fingerprint' | 'check', dir: string, work: string, flags: string[]) {
  const proc = tsx('durability-check.ts', [mode, dir, work, ...flags]);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await rm(path.join(work, RESULT), { force: true });
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  try {
    return JSON.parse(await readFile(path.join(work, RESULT), 'utf8')) as CheckResult;
  } catch {
    throw new Error(
      `the checker ended with code ${code} and no result: ${stdout.slice(-1000)} ${stderr.slice(-2000)}`,
    );
  }
}

interface Try {
  seq: number;
  target: Target;
  id: string;
  value: string;
}

interface RunOutcome {
  tries: Try[];
  acked: Set<number>;
  signal: NodeJS.Signals | null;
  errors: string[];
  stderr: string;
  openMs: number | null;
  /** The compactions seen finish while the child ran: journal and ms from start to end. */
  compactions: { journal: Journal; ms: number }[];
  plan: string;
}

interface KillPlan {
  /** 'edit': a moment after the first acknowledgement; else inside that journal's compaction. */
  aim: 'edit' | Journal;
  /** Which compaction after open (1 or 2). */
  nth: number;
  /** Where in the compaction, as a fraction of the last one's length; or ms after the first ack. */
  at: number;
}

function runChild(
  dir: string,
  settings: ChildSettings,
  kill: KillPlan,
  estimate: Record<Journal, number>,
): Promise<RunOutcome> {
  const proc = tsx('durability-child.ts', [dir, JSON.stringify(settings)]);
  const outcome: RunOutcome = {
    tries: [],
    acked: new Set(),
    signal: null,
    errors: [],
    stderr: '',
    openMs: null,
    compactions: [],
    plan: '',
  };
  let stdout = '';
  let killTimer: NodeJS.Timeout | undefined;
  let acked = false;
  const seen: Record<Journal, number> = { images: 0, labels: 0 };
  const since: Record<Journal, number | null> = { images: null, labels: null };
  const killAfter = (ms: number, why: string) => {
    if (killTimer !== undefined) return;
    outcome.plan = why;
    killTimer = setTimeout(() => proc.kill('SIGKILL'), ms);
  };
  const watchdog = setTimeout(() => proc.kill('SIGKILL'), HARD_LIMIT_MS);
  const poll = setInterval(() => {
    if (outcome.openMs === null) return;
    for (const journal of Object.keys(JOURNALS) as Journal[]) {
      const there = existsSync(path.join(dir, JOURNALS[journal]));
      if (there && since[journal] === null) {
        since[journal] = performance.now();
        seen[journal] += 1;
        if (kill.aim === journal && seen[journal] === kill.nth) {
          const ms = kill.at * estimate[journal];
          killAfter(
            ms,
            `${kill.at.toFixed(2)} into ${journal} compaction ${kill.nth} (${Math.round(ms)} ms)`,
          );
        }
      } else if (!there && since[journal] !== null) {
        outcome.compactions.push({ journal, ms: performance.now() - since[journal] });
        since[journal] = null;
      }
    }
  }, POLL_MS);
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const end = stdout.lastIndexOf('\n');
    if (end < 0) return;
    const lines = stdout.slice(0, end).split('\n');
    stdout = stdout.slice(end + 1);
    for (const line of lines) {
      const report = parseReport(line);
      if (report === null) continue;
      if (report.kind === 'open') {
        outcome.openMs = report.ms;
        // Aimed at a compaction that never comes (or not its nth): kill anyway, later.
        setTimeout(() => killAfter(0, 'watchdog: no compaction came'), WATCHDOG_MS).unref();
      } else if (report.kind === 'try') outcome.tries.push(report);
      else if (report.kind === 'ack') {
        outcome.acked.add(report.seq);
        if (!acked && kill.aim === 'edit')
          killAfter(kill.at, `${Math.round(kill.at)} ms after the first acknowledgement`);
        acked = true;
      } else outcome.errors.push(report.message);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (outcome.stderr += chunk));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (_code, signal) => {
      clearTimeout(killTimer);
      clearTimeout(watchdog);
      clearInterval(poll);
      outcome.signal = signal;
      resolve(outcome);
    });
  });
}

/** The model: what each touched image's record and face are now, and the added images. */
interface Model {
  images: Map<string, string>;
  faces: Map<string, string>;
  added: string[];
}

/**
 * What the checker may find after a run: per touched image, the value of its last acknowledged
 * edit (the model's before the run; BASE for an image no edit touched before), and after it the
 * value of an edit still in flight at the kill. An image has one edit in flight at most (each
 * loop owns its images and waits for its edit), so that is at most two values.
 */
export function expectedAfter(
  model: Model,
  outcome: Pick<RunOutcome, 'tries' | 'acked'>,
): Expected {
  const images = new Map([...model.images].map(([id, value]) => [id, [value]]));
  const faces = new Map([...model.faces].map(([id, value]) => [id, [value]]));
  const added = [...model.added];
  const addedSet = new Set(added);
  for (const attempt of outcome.tries) {
    const allowed = attempt.target === 'face' ? faces : images;
    if (attempt.target === 'add' && !addedSet.has(attempt.id)) {
      addedSet.add(attempt.id);
      added.push(attempt.id);
    }
    if (outcome.acked.has(attempt.seq)) allowed.set(attempt.id, [attempt.value]);
    else allowed.set(attempt.id, [...(allowed.get(attempt.id) ?? [BASE]), attempt.value]);
  }
  return { images: Object.fromEntries(images), faces: Object.fromEntries(faces), added };
}

/** Files a kill left: compacting journals (a compaction cut short) and temp files (a write). */
async function leftOnDisk(dir: string): Promise<{ compacting: Journal[]; temp: string[] }> {
  const names = await readdir(dir);
  return {
    compacting: (Object.keys(JOURNALS) as Journal[]).filter((journal) =>
      names.includes(JOURNALS[journal]),
    ),
    temp: names.filter((name) => name.includes('.tmp')),
  };
}

async function prepare(work: string): Promise<string> {
  const base = KEEP ?? path.join(work, 'base');
  if (!existsSync(path.join(base, 'project.json'))) {
    console.info(`building ${IMAGES} images with ${FACES} faces in ${base} …`);
    await mkdir(base, { recursive: true });
    await buildBenchProject(base, { images: IMAGES, faces: FACES, points: POINTS });
  }
  // The copy shares the base's files; only a file appended to in place could change the base.
  const names = await readdir(base);
  const open = names.filter((name) => name.endsWith('.jsonl') || name === 'project.lock');
  if (open.length > 0) {
    throw new Error(
      `${base} holds ${open.join(', ')}: open and close it once (a clean base has no journal) before benching`,
    );
  }
  const dir = path.join(work, 'project');
  await rm(dir, { recursive: true, force: true });
  const copy = spawnSync('cp', ['-al', base, dir], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`cp -al ${base} ${dir} failed: ${copy.stderr}`);
  return dir;
}

/**
 * `--self-check`: that the checker sees a loss. One run without compactions, killed mid-edits;
 * then its journals are deleted (every acknowledged edit with them), and the check must fail.
 */
async function selfCheck(
  dir: string,
  work: string,
  model: Model,
  random: () => number,
): Promise<number> {
  const settings: ChildSettings = {
    images: IMAGES,
    faces: FACES,
    points: POINTS,
    seed: Math.floor(random() * 2 ** 31),
    labelDebounceMs: 10,
    compactAfterFaces: 1e9,
    compactAfterImageEdits: 1e9,
  };
  const outcome = await runChild(
    dir,
    settings,
    { aim: 'edit', nth: 1, at: 1_000 },
    { images: 0, labels: 0 },
  );
  const journals = (await readdir(dir)).filter((name) => name.endsWith('.jsonl'));
  for (const name of journals) await rm(path.join(dir, name));
  await writeFile(path.join(work, EXPECTED), JSON.stringify(expectedAfter(model, outcome)));
  const result = await runCheck('check', dir, work, []);
  console.info(
    `self-check: ${outcome.acked.size} edits acknowledged, then ${journals.join(' and ')} deleted; ` +
      `the checker found ${result.problems.length} problems${result.problems.length > 0 ? `, first: ${result.problems[0]}` : ''}`,
  );
  if (outcome.acked.size === 0 || result.problems.length === 0) {
    console.info('self-check FAILED: the checker missed the lost edits');
    return 1;
  }
  if (option('--work') === undefined) await rm(work, { recursive: true, force: true });
  return 0;
}

async function main(): Promise<number> {
  const workOption = option('--work');
  const work = workOption ?? (await mkdtemp(path.join(os.tmpdir(), 'fs-kill-bench-')));
  await mkdir(work, { recursive: true });
  const dir = await prepare(work);
  const random = seededRandom(SEED);
  const fingerprinted = await runCheck('fingerprint', dir, work, []);
  if (fingerprinted.problems.length > 0)
    throw new Error(`the base: ${fingerprinted.problems.join('; ')}`);
  console.info(`kill bench: ${IMAGES} images, ${FACES} faces, ${KILLS} kills, copy in ${dir}`);

  const model: Model = { images: new Map(), faces: new Map(), added: [] };
  if (SELF_CHECK) return selfCheck(dir, work, model, random);
  const estimate: Record<Journal, number> = { images: 2_000, labels: 1_000 };
  const totals = {
    kills: 0,
    insideCompaction: 0,
    insideImages: 0,
    insideLabels: 0,
    tempLeft: 0,
    inFlight: 0,
    tried: 0,
    acknowledged: 0,
    checked: 0,
    records: 0,
    problems: 0,
  };
  const openMs: number[] = [];
  const losses: string[] = [];
  const started = performance.now();
  let kills = KILLS;
  for (let run = 0; run < kills; run += 1) {
    if (performance.now() - started > MINUTES * 60_000) {
      console.info(`--minutes ${MINUTES} spent: stopping after ${run} kills`);
      kills = run;
      break;
    }
    const settings: ChildSettings = {
      images: IMAGES,
      faces: FACES,
      points: POINTS,
      seed: Math.floor(random() * 2 ** 31),
      labelDebounceMs: Math.floor(random() * 50),
      // A compaction every few seconds of edits; each lasts seconds at 1M, so most of a run is
      // spent inside one.
      compactAfterFaces: 20 + Math.floor(random() * 300),
      compactAfterImageEdits: 20 + Math.floor(random() * 300),
    };
    const draw = random();
    const kill: KillPlan =
      draw < 0.25
        ? { aim: 'edit', nth: 1, at: random() * EDIT_WINDOW_MS }
        : {
            aim: draw < 0.7 ? 'images' : 'labels',
            nth: 1 + Math.floor(random() * 2),
            at: random(),
          };
    const outcome = await runChild(dir, settings, kill, estimate);
    for (const { journal, ms } of outcome.compactions) estimate[journal] = ms;
    const left = await leftOnDisk(dir);
    const where = `kill ${run + 1}/${KILLS}`;
    if (outcome.signal !== 'SIGKILL' || outcome.errors.length > 0) {
      losses.push(
        `${where}: the child ended on its own (${outcome.signal}): ${outcome.errors.join('; ')} ${outcome.stderr.slice(-1500)}`,
      );
      break;
    }
    totals.kills += 1;
    if (left.compacting.length > 0) totals.insideCompaction += 1;
    if (left.compacting.includes('images')) totals.insideImages += 1;
    if (left.compacting.includes('labels')) totals.insideLabels += 1;
    if (left.temp.length > 0) totals.tempLeft += 1;
    const inFlight = outcome.tries.filter((t) => !outcome.acked.has(t.seq)).length;
    if (inFlight > 0) totals.inFlight += 1;
    totals.tried += new Set(outcome.tries.map((t) => t.seq)).size;
    totals.acknowledged += outcome.acked.size;

    const expected = expectedAfter(model, outcome);
    await writeFile(path.join(work, EXPECTED), JSON.stringify(expected));
    const deep = (run + 1) % DEEP_EVERY === 0;
    const result = await runCheck('check', dir, work, deep ? ['--deep', '--close'] : []);
    const line =
      `${where}: ${outcome.plan}; open ${outcome.openMs} ms, ${outcome.acked.size} acknowledged, ` +
      `${inFlight} in flight, ${outcome.compactions.length} compactions seen; left ` +
      `${[...left.compacting.map((j) => `${j} compacting`), ...left.temp].join(', ') || 'nothing'}; ` +
      `reopened in ${result.openMs} ms (${result.openCpuMs} ms CPU), ${result.editsChecked} edited images checked` +
      `${deep ? ', files parsed whole, closed' : ''}` +
      `${result.problems.length > 0 ? ` — PROBLEMS:\n  ${result.problems.join('\n  ')}` : ''}`;
    console.info(line);
    if (result.problems.length > 0) {
      totals.problems += result.problems.length;
      losses.push(`${where}: ${result.problems.join('; ')}`);
      break;
    }
    if (outcome.openMs !== null) openMs.push(outcome.openMs);
    totals.checked += result.editsChecked;
    totals.records = result.recordsChecked;
    model.images = new Map(Object.entries(result.observed.images));
    model.faces = new Map(Object.entries(result.observed.faces));
    model.added = result.observed.added;
  }
  if (losses.length === 0 && totals.kills > 0) {
    // Last, a clean end: reopen, parse both files whole, close (folding the journals into
    // project.json and labels.json), then reopen that and check it all once more.
    const none = { tries: [], acked: new Set<number>() };
    for (const flags of [['--deep', '--close'], ['--deep']]) {
      await writeFile(path.join(work, EXPECTED), JSON.stringify(expectedAfter(model, none)));
      const result = await runCheck('check', dir, work, flags);
      console.info(
        `final check (${flags.join(' ')}): reopened in ${result.openMs} ms, ` +
          `${result.recordsChecked} records, ${result.facesChecked} faces, ` +
          `${result.editsChecked} edited images checked` +
          `${result.problems.length > 0 ? ` — PROBLEMS:\n  ${result.problems.join('\n  ')}` : ''}`,
      );
      if (result.problems.length > 0) losses.push(`final check: ${result.problems.join('; ')}`);
    }
  }
  console.info(
    `\nkill bench at ${IMAGES} images, ${FACES} faces: ${totals.kills} kills, ` +
      `${totals.insideCompaction} inside a compaction (${totals.insideImages} of project.json, ` +
      `${totals.insideLabels} of labels.json), ${totals.tempLeft} mid-write (temp file left), ` +
      `${totals.inFlight} with an edit in flight; ${totals.acknowledged} edits acknowledged of ` +
      `${totals.tried} tried; ${totals.checked} edited images' records and faces checked ` +
      `against the model over all kills, every record (${totals.records}) and face against ` +
      `the base after each; losses: ${losses.length === 0 ? 'none' : losses.length}`,
  );
  for (const loss of losses) console.info(`LOSS ${loss}`);
  console.info(
    JSON.stringify({
      bench: 'durability',
      images: IMAGES,
      faces: FACES,
      seed: SEED,
      ...totals,
      childOpenMsMedian: openMs.sort((a, b) => a - b)[Math.floor(openMs.length / 2)] ?? null,
      losses: losses.length,
    }),
  );
  if (losses.length > 0) {
    console.info(`the project and the model are kept in ${work}`);
    return 1;
  }
  if (workOption === undefined) await rm(work, { recursive: true, force: true });
  return 0;
}

process.exitCode = await main();
