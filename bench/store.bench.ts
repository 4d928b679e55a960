/**
 * Project store benchmark (`npm run bench:store`): a project with 100,000 image records and
 * 10,000 annotated 68-point faces in a temp folder. Measures how long open() takes and how long a
 * single label edit takes to become durable (saveFace → fsync'd labels.json), written at once and
 * debounced as while dragging a point, plus an image-index write. Prints one JSON line, then the
 * same figures for people.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProjectStore } from '../src-main/core/project-store';
import {
  faceWithCounter,
  imageId,
  imageRecord,
  seededRandom,
} from '../tests/core/fixtures/project-data';

const IMAGES = 100_000;
const FACES = 10_000;
const POINTS = 68;
const OPENS = 3;
const EDITS = 200;
/** A drag sends an edit per pointer move; ~10 ms apart is a quick hand. */
const DRAG_INTERVAL_MS = 10;
const INDEX_WRITES = 10;

const init = { name: 'Bench', landmarkSchema: 'ibug68', attributeSchema: null };

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

const root = await mkdtemp(path.join(os.tmpdir(), 'fs-store-bench-'));
const dir = path.join(root, 'project');
try {
  const random = seededRandom(42);

  // Build the project through the store itself: one index batch, then the faces.
  const [, buildMs] = await timed(async () => {
    const store = await ProjectStore.create(dir, init);
    await store.putImages(Array.from({ length: IMAGES }, (_, i) => imageRecord(i)));
    const saves = [];
    for (let i = 0; i < FACES; i += 1) {
      saves.push(store.saveFace(faceWithCounter(imageId(i * 10), i, POINTS)));
    }
    await store.close();
    await Promise.all(saves);
  });
  const projectBytes = (await stat(path.join(dir, 'project.json'))).size;
  const labelsBytes = (await stat(path.join(dir, 'labels.json'))).size;

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
    return faceWithCounter(imageId(Math.floor(random() * FACES) * 10), counter, POINTS);
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

  // An image-index edit rewrites project.json (100k records).
  const indexMs: number[] = [];
  for (let i = 0; i < INDEX_WRITES; i += 1) {
    const record = { ...imageRecord(i), split: i % 2 === 0 ? 'train' : 'pool' } as const;
    indexMs.push((await timed(() => debounced.putImages([record])))[1]);
  }
  await debounced.close();

  const figures = {
    images: IMAGES,
    faces: FACES,
    points: POINTS,
    projectJsonMB: round(projectBytes / 1e6),
    labelsJsonMB: round(labelsBytes / 1e6),
    buildMs: Math.round(buildMs),
    openMs: openMs.map(Math.round),
    openMedianMs: Math.round(percentile(openMs, 50)),
    singleEditP50Ms: round(percentile(singleMs, 50)),
    singleEditP95Ms: round(percentile(singleMs, 95)),
    singleEditMaxMs: round(Math.max(...singleMs)),
    dragEdits: EDITS,
    dragIntervalMs: DRAG_INTERVAL_MS,
    dragWrites: writes,
    dragP50Ms: round(percentile(dragLatencies, 50)),
    dragP95Ms: round(percentile(dragLatencies, 95)),
    indexWriteP50Ms: round(percentile(indexMs, 50)),
    indexWriteP95Ms: round(percentile(indexMs, 95)),
  };
  console.log(JSON.stringify(figures));
  console.log(
    `project: ${IMAGES} images (project.json ${figures.projectJsonMB} MB), ` +
      `${FACES} faces × ${POINTS} points (labels.json ${figures.labelsJsonMB} MB), ` +
      `built in ${figures.buildMs} ms`,
  );
  console.log(`open: median ${figures.openMedianMs} ms (runs: ${figures.openMs.join(', ')} ms)`);
  console.log(
    `single label edit → durable: p50 ${figures.singleEditP50Ms} ms, ` +
      `p95 ${figures.singleEditP95Ms} ms, max ${figures.singleEditMaxMs} ms (${EDITS} edits)`,
  );
  console.log(
    `debounced drag (${EDITS} edits, one per ${DRAG_INTERVAL_MS} ms, 200 ms debounce): ` +
      `${writes} writes, edit → durable p50 ${figures.dragP50Ms} ms, p95 ${figures.dragP95Ms} ms`,
  );
  console.log(
    `image index edit (rewrites project.json): p50 ${figures.indexWriteP50Ms} ms, ` +
      `p95 ${figures.indexWriteP95Ms} ms`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
