/**
 * Library benchmark (`npm run bench:library`, or `-- 100k` / `-- 1m` for one size): the grid's
 * calls as the app answers them (through the handler table and dispatch, as the Electron IPC and
 * the browser bridge do) on projects of
 * - 100,000 images with 10,000 labelled 98-point faces, and
 * - 1,000,000 images (almost all pool) with 10,000 labelled 98-point faces.
 * Every record has a real file: a HELEN photo from the shared data hard-linked under its path,
 * except every 500th (so the `missing` filter finds some). Faces vary so every filter the Library
 * offers selects something: expressions, a smiling attribute, faces waiting for review; records
 * carry splits, curation flags and images where no face was found.
 *
 * Per size it prints one JSON line and a table: open time (`project:open`, wall and CPU), the
 * file check, and p50/p95 of each call (a 200-item `library:list` page, first and deep, per
 * filter; `library:stats`), warm (the same call again, as when scrolling one filter) and cold
 * (each right after a label edit), with the CPU time of the cold calls (the machine may be shared:
 * CPU time does not count the time spent waiting for a core), and the first call of each filter
 * (a filter change); then the process's memory (RSS) after open, after the calls, and its peak.
 * `-- 1m --first=4` times only the first four calls. Each size is built once (in a child process,
 * through the store, see bench-project.ts) and kept in the temp folder for the next run
 * (`--fresh` rebuilds it); the calls run in another child, so
 * the memory figures are those of a process that only opened the project and served it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispatch } from '../src-main/app/dispatch';
import { createHandlers } from '../src-main/app/handlers';
import { RecentProjects } from '../src-main/core/recent-projects';
import { ProjectSession } from '../src-main/core/project-session';
import type { FaceAnnotation, ImageRecord } from '../src-main/shared/domain';
import type { InvokeChannel } from '../src-main/shared/ipc-contract';
import type { LibraryFilter } from '../src-main/shared/library';
import { idleTrainingRelay } from '../tests/support/fake-training';
import { faceWithCounter, imageId, imageRecord } from '../tests/support/project-data';
import { buildBenchProject, facedImage, linkHelenImages } from './bench-project';

const SIZES: Readonly<Record<string, number>> = { '100k': 100_000, '1m': 1_000_000 };
const FACES = 10_000;
const POINTS = 98;
/** Bump when the built project changes, so a kept one is rebuilt. */
const BUILD_VERSION = 2;
const PAGE = 200;
/**
 * Calls per query: at least MIN_CALLS (SLOW_MIN_CALLS when the first takes over SLOW_MS, one
 * when over VERY_SLOW_MS), then more until MAX_CALLS or BUDGET_MS spent.
 */
const MIN_CALLS = 5;
const MAX_CALLS = 40;
const BUDGET_MS = 3_000;
const SLOW_MS = 1_000;
const SLOW_MIN_CALLS = 3;
const VERY_SLOW_MS = 10_000;
const EXPRESSIONS = ['happy', 'surprise', 'sadness'] as const;

/**
 * Image n of a project of `images`: the labelled ones (every images / FACES-th) mostly in
 * train, some in val and test; the others in the pool, a few in test. Curation flags and
 * images where no face was found spread through the index.
 */
function libraryRecord(images: number): (n: number) => ImageRecord {
  const step = Math.max(1, Math.floor(images / FACES));
  return (n) => {
    const base = imageRecord(n);
    const i = n / step;
    const split =
      n % step === 0
        ? (
            [
              'train',
              'train',
              'train',
              'train',
              'train',
              'train',
              'train',
              'val',
              'test',
              'pool',
            ] as const
          )[i % 10]!
        : n % 40 === 1
          ? 'test'
          : 'pool';
    if (n % 97 === 5) return { ...base, split, face: null, flags: ['no-face'] };
    if (n % 50 === 7) return { ...base, split, flags: ['near-duplicate'] };
    return { ...base, split };
  };
}

/** The i-th labelled face: every 4th has an expression, every 7th waits for review. */
function libraryFace(i: number, n: number, points: number): FaceAnnotation {
  const face = faceWithCounter(imageId(n), i, points);
  const expression = i % 4 === 0 ? EXPRESSIONS[(i / 4) % EXPRESSIONS.length]! : null;
  const review = i % 7 === 3;
  return {
    ...face,
    expression,
    points: review
      ? face.points.map((point) => ({ ...point, source: 'model' as const, confirmed: false }))
      : face.points,
  };
}

const hasFile = (n: number) => n % 500 !== 250;

interface Query {
  name: string;
  channel: InvokeChannel;
  /** The request, given the query's total (a deep page starts PAGE before the end). */
  payload: (total: number) => unknown;
}

function list(filter: LibraryFilter, deep = false): (total: number) => unknown {
  return (total) => ({ filter, offset: deep ? Math.max(0, total - PAGE) : 0, limit: PAGE });
}

const QUERIES: readonly Query[] = [
  { name: 'list, first page', channel: 'library:list', payload: list({}) },
  { name: 'list, deep page', channel: 'library:list', payload: list({}, true) },
  { name: 'stats', channel: 'library:stats', payload: () => ({}) },
  ...(
    [
      ['split train', { split: 'train' }],
      ['labelled', { labelled: true }],
      ['labelled, deep page', { labelled: true }, true],
      ['unlabelled', { labelled: false, needsReview: false }],
      ['needs review', { needsReview: true }],
      ['face found', { hasFace: true }],
      ['no face found', { hasFace: false }],
      ['flagged', { flagged: true }],
      ['missing', { missing: true }],
      ['expression happy', { expression: 'happy' }],
      ['attribute smiling', { attribute: { name: 'smiling', value: true } }],
      ['path text "face-4242"', { text: 'face-4242' }],
      ['val + labelled', { split: 'val', labelled: true }],
    ] as [string, LibraryFilter, boolean?][]
  ).map(([name, filter, deep]) => ({
    name: `filter: ${name}${deep ? '' : ', first page'}`,
    channel: 'library:list' as const,
    payload: list(filter, deep === true),
  })),
];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const round = (value: number) => Math.round(value * 10) / 10;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

function projectDirOf(size: string): string {
  return path.join(os.tmpdir(), 'face-studio-library-bench', `${size}-v${BUILD_VERSION}`);
}

async function build(size: string): Promise<void> {
  const images = SIZES[size]!;
  const dir = projectDirOf(size);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  const start = performance.now();
  await buildBenchProject(dir, {
    images,
    faces: FACES,
    points: POINTS,
    record: libraryRecord(images),
    face: libraryFace,
  });
  const built = performance.now() - start;
  const records = (function* () {
    const recordOf = libraryRecord(images);
    for (let n = 0; n < images; n += 1) yield recordOf(n);
  })();
  const linked = await linkHelenImages(dir, records, hasFile);
  await writeFile(path.join(dir, 'bench-built.json'), JSON.stringify({ images, linked }));
  console.error(
    `built ${size}: ${images} images, ${FACES} faces in ${Math.round(built)} ms; ` +
      `${linked} files linked in ${Math.round(performance.now() - start - built)} ms`,
  );
}

/** The call's answer, its wall time and the process's CPU time (user + system) meanwhile, in ms. */
async function call(
  handlers: ReturnType<typeof createHandlers>,
  channel: InvokeChannel,
  payload: unknown,
): Promise<[unknown, number, number]> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await dispatch(handlers, channel, payload);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
  return [result.value, ms, (used.user + used.system) / 1000];
}

interface Timing {
  n: number;
  p50: number;
  p95: number;
  cpuP95: number;
}

function timing(wall: readonly number[], cpu: readonly number[]): Timing {
  return {
    n: wall.length,
    p50: round(percentile(wall, 50)),
    p95: round(percentile(wall, 95)),
    cpuP95: round(percentile(cpu, 95)),
  };
}

async function measure(size: string): Promise<void> {
  const dir = projectDirOf(size);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'fs-library-bench-'));
  const session = new ProjectSession();
  // The app's handler table as `serve` builds it, without a training process.
  const handlers = createHandlers({
    mode: 'browser',
    version: 'bench',
    session,
    recent: new RecentProjects(path.join(workDir, 'recent.json')),
    pickFolder: async () => ({ dir: null, supported: false }),
    backend: () => ({ report: null, error: null }),
    training: idleTrainingRelay(),
    emit: () => undefined,
  });
  try {
    const rssBefore = process.memoryUsage().rss;
    const [, openMs, openCpuMs] = await call(handlers, 'project:open', { dir });
    const rssOpen = process.memoryUsage().rss;
    const [check, checkMs] = await call(handlers, 'library:checkFiles', {});
    const store = session.require();
    const saves: Promise<number>[] = [];
    let resaved = 0;
    /** A label edit, as while labelling: a face saved again (same state, next revision). */
    const edit = () => {
      const id = imageId(facedImage(resaved++ % FACES, SIZES[size]!, FACES));
      saves.push(store.saveFace(store.getFace(id)!));
    };
    const calls: Record<
      string,
      { total: number; first: { ms: number; cpuMs: number }; warm: Timing; cold: Timing }
    > = {};
    // `--first=N`: only the first N calls of the list (the old scan takes minutes at 1M).
    const first = process.argv.find((arg) => arg.startsWith('--first='));
    const queries = first === undefined ? QUERIES : QUERIES.slice(0, Number(first.slice(8)));
    for (const query of queries) {
      // The filter's total first, for deep pages (and as a warm-up call).
      const [first, firstMs, firstCpuMs] = await call(handlers, query.channel, query.payload(0));
      const total = (first as { total: number }).total;
      // Calls of seconds each (a scan of 1M images) get fewer runs.
      const minCalls = firstMs > VERY_SLOW_MS ? 1 : firstMs > SLOW_MS ? SLOW_MIN_CALLS : MIN_CALLS;
      // Warm: the same call again and again (scrolling one filter). Cold: each after a label
      // edit, which changes what any filter may answer.
      const measured: Record<'warm' | 'cold', [number[], number[]]> = {
        warm: [[], []],
        cold: [[], []],
      };
      for (const kind of ['warm', 'cold'] as const) {
        const [wall, cpu] = measured[kind];
        const started = performance.now();
        while (
          wall.length < minCalls ||
          (wall.length < MAX_CALLS && performance.now() - started < BUDGET_MS)
        ) {
          if (kind === 'cold') edit();
          const [, ms, cpuMs] = await call(handlers, query.channel, query.payload(total));
          wall.push(ms);
          cpu.push(cpuMs);
        }
      }
      calls[query.name] = {
        total,
        // The first call of this filter since the last record write (a filter change).
        first: { ms: round(firstMs), cpuMs: round(firstCpuMs) },
        warm: timing(...measured.warm),
        cold: timing(...measured.cold),
      };
    }
    await Promise.all(saves);
    const figures = {
      size,
      images: SIZES[size],
      faces: FACES,
      openMs: Math.round(openMs),
      openCpuMs: Math.round(openCpuMs),
      checkFilesMs: Math.round(checkMs),
      missing: (check as { missing: number }).missing,
      calls,
      rssBeforeOpenMB: mb(rssBefore),
      rssAfterOpenMB: mb(rssOpen),
      rssAfterCallsMB: mb(process.memoryUsage().rss),
      rssPeakMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    console.log(JSON.stringify(figures));
    console.error(
      `${size}: open ${figures.openMs} ms (CPU ${figures.openCpuMs} ms); file check ` +
        `${figures.checkFilesMs} ms (${figures.missing} missing); RSS ${figures.rssBeforeOpenMB} MB ` +
        `before open, ${figures.rssAfterOpenMB} after, ${figures.rssAfterCallsMB} after the calls, ` +
        `peak ${figures.rssPeakMB}`,
    );
    console.error(
      `  ${'call'.padEnd(42)} ${'warm p50/p95'.padStart(18)} ${'cold p50/p95'.padStart(18)}` +
        `  cold CPU p95  first (CPU)  (calls, images)`,
    );
    const pair = (t: Timing) => `${t.p50} / ${t.p95} ms`.padStart(18);
    for (const [name, c] of Object.entries(calls)) {
      console.error(
        `  ${name.padEnd(42)} ${pair(c.warm)} ${pair(c.cold)}  ${String(c.cold.cpuP95).padStart(8)} ms` +
          `  ${`${c.first.ms} (${c.first.cpuMs})`.padStart(12)} ms` +
          `  (${c.warm.n}+${c.cold.n}, ${c.total})`,
      );
    }
  } finally {
    await session.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Runs this file again in a child process (same loader) for one step. */
function child(step: 'build' | 'measure', size: string, extra: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), `--${step}`, size, ...extra],
      { stdio: 'inherit' },
    );
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${step} ${size} exited with ${code}`)),
    );
  });
}

const args = process.argv.slice(2);
const step = args.find((arg) => arg === '--build' || arg === '--measure');
const sizes = args.filter((arg) => !arg.startsWith('--'));
for (const size of sizes) {
  if (SIZES[size] === undefined) throw new Error(`unknown size ${size}; use 100k or 1m`);
}
if (step === '--build') await build(sizes[0]!);
else if (step === '--measure') await measure(sizes[0]!);
else {
  for (const size of sizes.length > 0 ? sizes : Object.keys(SIZES)) {
    const built = existsSync(path.join(projectDirOf(size), 'bench-built.json'));
    if (!built || args.includes('--fresh')) await child('build', size);
    await child(
      'measure',
      size,
      args.filter((arg) => arg.startsWith('--first=')),
    );
  }
}
