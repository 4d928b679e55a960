/**
 * One project open, measured in a fresh process (run by store.bench.ts, or on its own:
 * `tsx --expose-gc bench/store-open.ts <project dir>`): the time from calling ProjectStore.open
 * to the grid's first `library:list` page (200 items, no filter) answered, wall and CPU time
 * (process.cpuUsage, the figure that holds on a shared machine); the first stats; then `library:list`
 * and `library:stats` p95 over a few filters and pages; and the process's memory once settled
 * (after a full GC), and its peak. Prints one JSON line.
 */
import { ProjectStore } from '../src-main/core/project-store';
import type { LibraryFilter } from '../src-main/shared/library';

const PAGE = 200;
const CALLS = 40;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const round = (value: number) => Math.round(value * 10) / 10;
const mb = (bytes: number) => Math.round(bytes / 1e6);

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: store-open.ts <project dir>');

const cpu = process.cpuUsage();
const start = performance.now();
const store = await ProjectStore.open(dir, { readOnly: process.argv.includes('--read-only') });
const openMs = performance.now() - start;
const openCpuMs = cpuMs(cpu);
const first = store.library.query({}, 0, PAGE);
const firstPageMs = performance.now() - start;
const firstPageCpuMs = cpuMs(cpu);
store.library.stats(null);
const statsMs = performance.now() - start;
if (first.items.length !== Math.min(PAGE, store.library.size)) {
  throw new Error(`the first page holds ${first.items.length} items`);
}

const filters: LibraryFilter[] = [
  {},
  { split: 'val' },
  { labelled: true },
  { labelled: false },
  { hasFace: true, split: 'pool' },
];
const listMs: number[] = [];
const listCpuMs: number[] = [];
const statsCallMs: number[] = [];
for (let i = 0; i < CALLS; i += 1) {
  const filter = filters[i % filters.length]!;
  const offset = (i * 7919 * PAGE) % Math.max(1, store.library.size - PAGE);
  const callCpu = process.cpuUsage();
  const t = performance.now();
  store.library.query(filter, offset, PAGE);
  listMs.push(performance.now() - t);
  listCpuMs.push(cpuMs(callCpu));
  const s = performance.now();
  store.library.stats(null);
  statsCallMs.push(performance.now() - s);
}

// A face read (the canvas's labels:get) right after open: when the summary let open skip
// labels.json, this read loads and CRC-checks it (the store's background read comes 250 ms later).
const faced = store.library.query({ labelled: true }, 0, 1).items[0];
const getStart = performance.now();
if (faced !== undefined && store.getFace(faced.id) === null) throw new Error('no face');
const getFaceMs = performance.now() - getStart;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
await new Promise((resolve) => setTimeout(resolve, 200));
gc();
const memory = process.memoryUsage();
const labelled = store.summary().labelledCount;
// Whether project.records.bin vouched for the records (kept as lines), or they were parsed whole.
const recordsAsLines = store.recordsAsLines;
await store.close();

console.log(
  JSON.stringify({
    images: store.library.size,
    labelled,
    recordsAsLines,
    openMs: Math.round(openMs),
    openCpuMs: Math.round(openCpuMs),
    firstPageMs: Math.round(firstPageMs),
    firstPageCpuMs: Math.round(firstPageCpuMs),
    firstStatsMs: Math.round(statsMs),
    listP95Ms: round(percentile(listMs, 95)),
    listCpuP95Ms: round(percentile(listCpuMs, 95)),
    statsP95Ms: round(percentile(statsCallMs, 95)),
    getFaceMs: round(getFaceMs),
    rssMB: mb(memory.rss),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1000),
    heapUsedMB: mb(memory.heapUsed),
    externalMB: mb(memory.external + memory.arrayBuffers),
  }),
);
