/**
 * Project store benchmark (`npm run bench:store`): projects with 100,000 image records and
 * 10,000 annotated faces in a temp folder, once with 68-point faces (ibug68) and once with 98
 * (wflw98). For each it measures:
 * - open(): the median of a few opens of the compacted project, and one open that also replays a
 *   journal of COMPACT_AFTER_FACES - 1 faces (the most a journal holds before compaction);
 * - a single label edit → durable (saveFace → fsync'd journal line), each edit waiting for its own
 *   write, and a debounced drag (an edit every DRAG_INTERVAL_MS, 200 ms debounce);
 * - compaction: folding a full journal into labels.json (compact());
 * - an image-index edit → durable (putImages of one record: one fsync'd line in
 *   images.journal.jsonl), wall and CPU time (process.cpuUsage, the figure that holds on a shared
 *   machine), and the compaction that folds those edits into project.json.
 * - open to the grid's first page, in a fresh process (store-open.ts): ProjectStore.open until the
 *   first `library:list` page is answered, wall and CPU time, `library:list` / `library:stats` p95,
 *   and the process's memory once settled.
 * Prints one JSON line per face size, then the same figures for people. Pass `68` or `98` to run
 * one size only; `--images N` for another project size (1,000,000 works); `--open-only` for the
 * open figures alone; `--keep DIR` to build the project in DIR once and reuse it on later runs
 * (a 1M-image project takes minutes to build).
 */
import { spawnSync } from 'node:child_process';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_COMPACT_AFTER_FACES, ProjectStore } from '../src-main/core/project-store';
import { faceWithCounter, imageId, imageRecord, seededRandom } from '../tests/support/project-data';
import { SCHEMAS, buildBenchProject, facedImage } from './bench-project';

const args = process.argv.slice(2);
function option(name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}
const IMAGES = Number(option('--images') ?? 100_000);
const OPEN_ONLY = args.includes('--open-only');
const KEEP = option('--keep');
const OPEN_RUNS = 3;
const FACES = 10_000;
const OPENS = 3;
const EDITS = 200;
/** A drag sends an edit per pointer move; ~10 ms apart is a quick hand. */
const DRAG_INTERVAL_MS = 10;
const INDEX_WRITES = 100;
/** Journal faces for the replay and compaction figures: one short of a background compaction. */
const JOURNAL_FACES = DEFAULT_COMPACT_AFTER_FACES - 1;
/** Edits per journal line while filling it, as a drag's debounced flushes hold. */
const FACES_PER_LINE = 10;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const round = (value: number) => Math.round(value * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed<T>(task: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await task();
  return [result, performance.now() - start];
}

/** Opens `dir` in a fresh process OPEN_RUNS times (store-open.ts); the run of median open time. */
function openFigures(dir: string): Record<string, number> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < OPEN_RUNS; i += 1) {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(import.meta.dirname, 'store-open.ts'), dir],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (child.status !== 0) throw new Error(`store-open.ts failed: ${child.stderr}`);
    runs.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number>);
  }
  runs.sort((a, b) => a.firstPageMs! - b.firstPageMs!);
  return { ...runs[Math.floor(runs.length / 2)]!, runs: runs.length };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function bench(points: number): Promise<void> {
  const root = KEEP ?? (await mkdtemp(path.join(os.tmpdir(), 'fs-store-bench-')));
  const dir = KEEP === undefined ? path.join(root, 'project') : path.join(root, `p${points}`);
  try {
    const random = seededRandom(42);

    const reuse = KEEP !== undefined && (await exists(path.join(dir, 'project.json')));
    const [, buildMs] = reuse
      ? [undefined, 0]
      : await timed(() => buildBenchProject(dir, { images: IMAGES, faces: FACES, points }));
    const projectBytes = (await stat(path.join(dir, 'project.json'))).size;
    const labelsBytes = (await stat(path.join(dir, 'labels.json'))).size;
    const open = openFigures(dir);
    console.log(
      JSON.stringify({ points, projectJsonMB: round(projectBytes / 1e6), buildMs, open }),
    );
    console.log(
      `open → first library:list page (fresh process, median of ${OPEN_RUNS}): ` +
        `${open.firstPageMs} ms wall, ${open.firstPageCpuMs} ms CPU; list p95 ${open.listP95Ms} ms, ` +
        `stats p95 ${open.statsP95Ms} ms; settled RSS ${open.rssMB} MB (heap ${open.heapUsedMB} MB)`,
    );
    if (OPEN_ONLY) return;

    const openMs: number[] = [];
    for (let i = 0; i < OPENS; i += 1) {
      const [store, ms] = await timed(() => ProjectStore.open(dir));
      openMs.push(ms);
      const summary = store.summary();
      if (summary.imageCount !== IMAGES || summary.labelledCount !== FACES) {
        throw new Error(`unexpected project: ${JSON.stringify(summary)}`);
      }
      await store.close();
    }

    let counter = FACES;
    const editedFace = () => {
      counter += 1;
      return faceWithCounter(
        imageId(facedImage(Math.floor(random() * FACES), IMAGES, FACES)),
        counter,
        points,
      );
    };

    // Each edit waits for its own write: the latency a user sees on every single change.
    const immediate = await ProjectStore.open(dir, { labelDebounceMs: 0 });
    const singleMs: number[] = [];
    for (let i = 0; i < EDITS; i += 1) {
      const face = editedFace();
      singleMs.push((await timed(() => immediate.saveFace(face)))[1]);
    }
    await immediate.close();

    // A drag: an edit every DRAG_INTERVAL_MS with the default 200 ms debounce.
    let writes = 0;
    const debounced = await ProjectStore.open(dir, { onLabelsFlushed: () => (writes += 1) });
    const dragMs: Promise<number>[] = [];
    for (let i = 0; i < EDITS; i += 1) {
      const start = performance.now();
      dragMs.push(debounced.saveFace(editedFace()).then(() => performance.now() - start));
      await sleep(DRAG_INTERVAL_MS);
    }
    const dragLatencies = await Promise.all(dragMs);
    const dragWrites = writes;

    // The drag's label journal folded first (untimed), so the compaction timed below is the
    // image journal's alone.
    await debounced.compact();
    // An image-index edit (a split change) → durable: one line in the image journal.
    const indexMs: number[] = [];
    const indexCpuMs: number[] = [];
    for (let i = 0; i < INDEX_WRITES; i += 1) {
      const record = { ...imageRecord(i), split: i % 2 === 0 ? 'train' : 'pool' } as const;
      const cpu = process.cpuUsage();
      indexMs.push((await timed(() => debounced.putImages([record])))[1]);
      const used = process.cpuUsage(cpu);
      indexCpuMs.push((used.user + used.system) / 1000);
    }
    // Folding those edits into project.json (what the background compaction and close do).
    const compactCpu = process.cpuUsage();
    const [, indexCompactMs] = await timed(() => debounced.compact());
    const compactUsed = process.cpuUsage(compactCpu);
    const indexCompactCpuMs = (compactUsed.user + compactUsed.system) / 1000;

    await debounced.close(); // compacts: the journal starts empty

    // A full journal: open replays it, compact() folds it into labels.json.
    const filling = await ProjectStore.open(dir, { compactAfterFaces: JOURNAL_FACES + 1 });
    const saves: Promise<number>[] = [];
    for (let i = 0; i < JOURNAL_FACES; i += 1) {
      saves.push(filling.saveFace(editedFace()));
      if ((i + 1) % FACES_PER_LINE === 0) await filling.flush();
    }
    await filling.flush();
    await Promise.all(saves);
    const journalBytes = (await stat(path.join(dir, 'labels.journal.jsonl'))).size;
    // Measured while `filling` is still open, so its close does not compact the journal first.
    const [replaying, openJournalMs] = await timed(() => ProjectStore.open(dir));
    await filling.close();
    const [, compactMs] = await timed(() => replaying.compact());
    await replaying.close();

    const figures = {
      images: IMAGES,
      faces: FACES,
      points,
      projectJsonMB: round(projectBytes / 1e6),
      labelsJsonMB: round(labelsBytes / 1e6),
      buildMs: Math.round(buildMs),
      openMs: openMs.map(Math.round),
      openMedianMs: Math.round(percentile(openMs, 50)),
      journalFaces: JOURNAL_FACES,
      journalMB: round(journalBytes / 1e6),
      openWithJournalMs: Math.round(openJournalMs),
      compactMs: Math.round(compactMs),
      singleEditP50Ms: round(percentile(singleMs, 50)),
      singleEditP95Ms: round(percentile(singleMs, 95)),
      singleEditMaxMs: round(Math.max(...singleMs)),
      dragEdits: EDITS,
      dragIntervalMs: DRAG_INTERVAL_MS,
      dragWrites,
      dragP50Ms: round(percentile(dragLatencies, 50)),
      dragP95Ms: round(percentile(dragLatencies, 95)),
      indexWriteP50Ms: round(percentile(indexMs, 50)),
      indexWriteP95Ms: round(percentile(indexMs, 95)),
      indexWriteCpuP95Ms: round(percentile(indexCpuMs, 95)),
      indexCompactMs: Math.round(indexCompactMs),
      indexCompactCpuMs: Math.round(indexCompactCpuMs),
    };
    console.log(JSON.stringify(figures));
    console.log(
      `project: ${IMAGES} images (project.json ${figures.projectJsonMB} MB), ` +
        `${FACES} faces × ${points} points (labels.json ${figures.labelsJsonMB} MB), ` +
        `built in ${figures.buildMs} ms`,
    );
    console.log(`open: median ${figures.openMedianMs} ms (runs: ${figures.openMs.join(', ')} ms)`);
    console.log(
      `open replaying a journal of ${JOURNAL_FACES} faces (${figures.journalMB} MB): ` +
        `${figures.openWithJournalMs} ms; compacting it into labels.json: ${figures.compactMs} ms`,
    );
    console.log(
      `single label edit → durable: p50 ${figures.singleEditP50Ms} ms, ` +
        `p95 ${figures.singleEditP95Ms} ms, max ${figures.singleEditMaxMs} ms (${EDITS} edits)`,
    );
    console.log(
      `debounced drag (${EDITS} edits, one per ${DRAG_INTERVAL_MS} ms, 200 ms debounce): ` +
        `${dragWrites} writes, edit → durable p50 ${figures.dragP50Ms} ms, p95 ${figures.dragP95Ms} ms`,
    );
    console.log(
      `image index edit → durable (${INDEX_WRITES} edits, one journal line each): ` +
        `p50 ${figures.indexWriteP50Ms} ms, p95 ${figures.indexWriteP95Ms} ms wall, ` +
        `p95 ${figures.indexWriteCpuP95Ms} ms CPU; folding them into project.json: ` +
        `${figures.indexCompactMs} ms wall, ${figures.indexCompactCpuMs} ms CPU`,
    );
  } finally {
    if (KEEP === undefined) await rm(root, { recursive: true, force: true });
  }
}

const only = args.find((arg) => /^\d+$/.test(arg) && args[args.indexOf(arg) - 1] !== '--images');
for (const points of only === undefined ? [68, 98] : [Number(only)]) {
  if (SCHEMAS[points] === undefined)
    throw new Error(`no schema with ${points} points; use 68 or 98`);
  await bench(points);
}
