/**
 * Where images live, in figures (`npm run bench:image-home`):
 * - the check for missing files on a 100,000-image project (half the files present, half gone):
 *   its time, and the longest the event loop waited meanwhile (what main's other requests feel);
 * - importing the 300-W HELEN test images (lazy thumbnails) referenced in place and copied in,
 *   to show what the app's default (copy) costs over referencing.
 * Prints one JSON line.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importIntoProject } from '../src-main/core/library/library-service';
import { findMissingImages } from '../src-main/core/library/missing-images';
import { ProjectStore } from '../src-main/core/project-store';
import { imageRecord } from '../tests/support/project-data';

const IMAGES = 100_000;
const HELEN_TEST = path.join(import.meta.dirname, '../../shared/data/300w-helen/test');

const round = (value: number) => Math.round(value * 10) / 10;

/** Longest gap between two turns of the event loop while `task` runs, in ms. */
async function withLoopWatch<T>(task: () => Promise<T>): Promise<[T, number, number]> {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const start = performance.now();
  const result = await task();
  const ms = performance.now() - start;
  running = false;
  return [result, ms, longest];
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'fs-image-home-bench-'));
  try {
    const store = await ProjectStore.create(path.join(root, 'big'), {
      name: 'Big',
      landmarkSchema: 'ibug68',
      attributeSchema: null,
    });
    const records = Array.from({ length: IMAGES }, (_, i) => imageRecord(i));
    await store.putImages(records);
    // Every other file exists (a byte each): half the stats find a file, half do not.
    for (let i = 0; i < IMAGES; i += 2) {
      const file = path.join(store.dir, records[i]!.path);
      if (i % 1000 === 0) await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'x');
    }
    const [check, checkMs, stallMs] = await withLoopWatch(() => findMissingImages(store));
    if (check.missing.size !== IMAGES / 2) throw new Error(`missing ${check.missing.size}`);
    await store.close();

    const importMs: Record<string, number> = {};
    for (const placement of ['reference', 'copy'] as const) {
      const project = await ProjectStore.create(path.join(root, placement), {
        name: placement,
        landmarkSchema: 'ibug68',
        attributeSchema: null,
      });
      const start = performance.now();
      const outcome = await importIntoProject(project, {
        dir: HELEN_TEST,
        format: 'pts',
        thumbnails: 'lazy',
        placement,
      });
      importMs[placement] = round(performance.now() - start);
      importMs.images = outcome.added;
      await project.close();
    }
    console.log(
      JSON.stringify({
        images: IMAGES,
        missingCheckMs: round(checkMs),
        longestLoopStallMs: round(stallMs),
        helenImport: importMs,
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
