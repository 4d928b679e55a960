/**
 * Import benchmark: every image of ../shared/data/mtfl (~16,000 files) into a new project in a
 * temporary folder: images/s, peak RSS, and the time to open the project again with its index
 * (what the app does on open). Run: npm run bench:import
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importImages } from '../src-main/core/library/import-images';
import { ProjectStore } from '../src-main/core/project-store';

const source = join(import.meta.dirname, '../../shared/data/mtfl');
const dir = await mkdtemp(join(tmpdir(), 'bench-import-'));
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

try {
  const store = await ProjectStore.create(dir, {
    name: 'import bench',
    landmarkSchema: 'five',
    attributeSchema: 'mtfl',
  });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  const result = await importImages({
    roots: [source],
    thumbnailDir: join(dir, 'cache', 'thumbs'),
    projectDir: dir,
    existingIds: new Set(store.listImages().map((r) => r.id)),
    progressIntervalMs: 5000,
    onProgress: (p) =>
      console.log(
        `  ${p.done}/${p.total}  ${p.imagesPerSecond.toFixed(0)} img/s  ETA ${p.etaSeconds?.toFixed(0) ?? '?'} s`,
      ),
  });
  const putStarted = performance.now();
  await store.putImages(result.added);
  const putSeconds = (performance.now() - putStarted) / 1000;
  await store.close();
  clearInterval(sampler);
  const done = result.added.length + result.duplicates.length + result.failed.length;
  console.log(
    `imported ${result.added.length} images (${result.duplicates.length} duplicates, ` +
      `${result.failed.length} failed) in ${result.elapsedSeconds.toFixed(1)} s: ` +
      `${(done / result.elapsedSeconds).toFixed(0)} images/s`,
  );
  console.log(
    `peak RSS during import ${mb(peakRss)} (process max ${mb(process.resourceUsage().maxRSS * 1024)})`,
  );
  console.log(`putImages (write project.json): ${putSeconds.toFixed(2)} s`);
  for (const failure of result.failed.slice(0, 5)) console.log(`  failed: ${failure.message}`);

  const openStarted = performance.now();
  const reopened = await ProjectStore.open(dir);
  const count = reopened.listImages().length;
  const openSeconds = (performance.now() - openStarted) / 1000;
  await reopened.close();
  console.log(`open project with ${count} image records: ${(openSeconds * 1000).toFixed(0)} ms`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
