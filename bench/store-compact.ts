/**
 * One compaction of a large project's image index, in a fresh process (`tsx bench/store-compact.ts
 * <project dir>`; it writes: run it on a copy, `cp -al` is enough as every write renames): open,
 * put three changed records and one new one (journal lines), then fold them into project.json
 * (`compact`), which copies the unchanged record lines and writes project.records.bin. Prints one
 * JSON line: the open's and the compaction's wall and CPU time (process.cpuUsage), whether the
 * records are read from lines before and after, and the process's peak RSS.
 */
import { ProjectStore } from '../src-main/core/project-store';
import { imageRecord } from '../tests/support/project-data';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: store-compact.ts <project dir (a copy)>');

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 1000);
};

const openCpu = process.cpuUsage();
const openStart = performance.now();
const store = await ProjectStore.open(dir);
const openMs = Math.round(performance.now() - openStart);
const openCpuMs = cpuMs(openCpu);
const linesAtOpen = store.recordsAsLines;
const changed = [0, 1, 2].map((n) => ({ ...imageRecord(n), split: 'test' as const }));
await store.putImages([...changed, imageRecord(9_000_001)]);
const compactCpu = process.cpuUsage();
const compactStart = performance.now();
await store.compact();
const compactMs = Math.round(performance.now() - compactStart);
const compactCpuMs = cpuMs(compactCpu);
for (const record of changed) {
  if (store.getImage(record.id)?.split !== 'test') throw new Error('an edit was lost');
}
if (store.getImage(imageRecord(9_000_001).id) === null) throw new Error('the new record was lost');
const linesAfter = store.recordsAsLines;
const images = store.library.size;
await store.close();

console.log(
  JSON.stringify({
    images,
    linesAtOpen,
    openMs,
    openCpuMs,
    compactMs,
    compactCpuMs,
    linesAfter,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1000),
  }),
);
