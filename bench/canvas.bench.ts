/**
 * Labelling canvas benchmark (`npm run bench:canvas`).
 *
 * 1. Frame time while dragging: the real labeller page (built renderer, served by the bridge) in
 *    Debian's Chromium, a 4000×3000 image with a 98-point WFLW face on it; one point is dragged
 *    with 400 pointer moves while the page records requestAnimationFrame intervals.
 * 2. Save latency in a project of 100,000 images (10,000 of them labelled with 98 points): the
 *    time from `saveFace` to the edit being fsync'd, as the labeller's autosave calls it, with the
 *    store's default debounce.
 * Prints one JSON line with the figures, then the same for people. `--images N` sets the project's
 * size for the save latency (1,000,000 works); `--keep DIR` builds that project in DIR once and
 * opens it there on later runs (a 1M build takes minutes).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { ProjectSession } from '../src-main/core/project-session';
import { ProjectStore } from '../src-main/core/project-store';
import { RecentProjects } from '../src-main/core/recent-projects';
import { builtinLandmarkSchema } from '../src-main/core/schemas/builtin';
import { createHandlers } from '../src-main/app/handlers';
import type { StudioContext } from '../src-main/app/handlers/studio-context';
import { startBridge } from '../src-main/server/bridge';
import { findMediaFile } from '../src-main/server/media-files';
import { DEFAULT_RENDERER_DIR } from '../src-main/server/serve';
import type { FaceAnnotation } from '../src-main/shared/domain';
import { imageId, imageRecord } from '../tests/support/project-data';
import { idleTrainingRelay } from '../tests/support/fake-training';

const WIDTH = 4000;
const HEIGHT = 3000;
const DRAG_MOVES = 400;
/** `--images N` for another project size (1,000,000 works). */
const imagesAt = process.argv.indexOf('--images');
const IMAGES = imagesAt < 0 ? 100_000 : Number(process.argv[imagesAt + 1]);
const keepAt = process.argv.indexOf('--keep');
const KEEP = keepAt < 0 ? null : path.resolve(process.argv[keepAt + 1]!);
const FACES = 10_000;
const SAVES = 40;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** A 98-point face spread over a box in the middle of the image, every point visible. */
function wflwFace(id: string, box: { x: number; y: number; size: number }): FaceAnnotation {
  const schema = builtinLandmarkSchema('wflw98');
  return {
    imageId: id,
    points: schema.template.map(([x, y]) => ({
      x: box.x + x * box.size,
      y: box.y + y * box.size,
      v: 2 as const,
      source: 'human' as const,
      confirmed: true,
    })),
    attributes: {},
    expression: null,
    note: '',
    updatedAt: new Date().toISOString(),
    revision: 0,
  };
}

async function frameTimes(work: string): Promise<{ p50: number; p95: number; frames: number }> {
  const build = spawnSync('npm', ['run', 'build:renderer'], { stdio: 'ignore' });
  if (build.status !== 0) throw new Error('npm run build:renderer failed');
  const dir = path.join(work, 'canvas-project');
  const store = await ProjectStore.create(dir, {
    name: 'Canvas bench',
    landmarkSchema: 'wflw98',
    attributeSchema: null,
  });
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const file = path.join('images', 'big.jpg');
  // Noise, so the JPEG is a realistic few megabytes and not a flat colour.
  const noise = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let i = 0; i < noise.length; i += 1) noise[i] = (i * 2654435761) >>> 24;
  await sharp(noise, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 85 })
    .toFile(path.join(dir, file));
  const id = createHash('sha256')
    .update(await readFile(path.join(dir, file)))
    .digest('hex');
  await store.putImages([{ id, path: file, width: WIDTH, height: HEIGHT, split: 'pool' }]);
  await store.saveFace(wflwFace(id, { x: 1200, y: 700, size: 1600 }));
  await store.close();

  const session = new ProjectSession();
  await session.open(dir);
  const context: StudioContext = {
    mode: 'browser',
    version: 'bench',
    session,
    recent: new RecentProjects(path.join(work, 'recent.json')),
    pickFolder: async () => ({ dir: null, supported: false }),
    backend: () => ({ report: null, error: null }),
    training: idleTrainingRelay(),
    emit: () => undefined,
  };
  const bridge = await startBridge({
    rendererDir: DEFAULT_RENDERER_DIR,
    handlers: createHandlers(context),
    media: (kind, imageId) => findMediaFile(session, kind, imageId),
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`page console: ${m.text()} ${m.location().url}`);
    });
    await page.goto(bridge.url);
    // Exact: a tile's name holds its badge ("Labelled"), which a plain 'Label' matches too.
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    const stage = page.getByTestId('labelling-stage');
    await page.locator('[data-testid="labelling-stage"][data-image-ready="true"]').waitFor({
      timeout: 60_000,
    });
    const box = await stage.boundingBox();
    if (!box) throw new Error('no stage');
    const read = async (name: string) => Number(await stage.getAttribute(name));
    const scale = await read('data-scale');
    const offsetX = await read('data-offset-x');
    const offsetY = await read('data-offset-y');
    const schema = builtinLandmarkSchema('wflw98');
    const [tx, ty] = schema.template[54]!; // the nose tip
    const start = {
      x: box.x + (1200 + tx * 1600) * scale + offsetX,
      y: box.y + (700 + ty * 1600) * scale + offsetY,
    };
    // Strings, not functions: tsx would wrap a function with helpers the page does not have.
    await page.evaluate(`(() => {
      window.frames_ = [];
      window.sampling_ = true;
      const tick = (t) => {
        window.frames_.push(t);
        if (window.sampling_) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (let i = 1; i <= DRAG_MOVES; i += 1) {
      const angle = (i / DRAG_MOVES) * Math.PI * 4;
      await page.mouse.move(start.x + 60 * Math.sin(angle), start.y + 40 * (1 - Math.cos(angle)));
    }
    await page.mouse.up();
    const stamps = (await page.evaluate(`(() => {
      window.sampling_ = false;
      return window.frames_;
    })()`)) as number[];
    const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!);
    return {
      p50: percentile(intervals, 50),
      p95: percentile(intervals, 95),
      frames: intervals.length,
    };
  } finally {
    await browser.close();
    await bridge.close();
    await session.close();
  }
}

async function saveLatency(work: string): Promise<{ p50: number; p95: number }> {
  const dir = path.join(KEEP ?? work, `big-project-${IMAGES}`);
  const started = performance.now();
  if (KEEP !== null && (await readFile(path.join(dir, 'project.json')).catch(() => null))) {
    const store = await ProjectStore.open(dir);
    console.error(`opened ${dir} in ${Math.round(performance.now() - started)} ms`);
    return timeSaves(store);
  }
  await rm(dir, { recursive: true, force: true });
  const store = await ProjectStore.create(dir, {
    name: 'Save bench',
    landmarkSchema: 'wflw98',
    attributeSchema: null,
  });
  // In batches: one journal line of 1,000,000 records would be a string of ~300 MB.
  for (let from = 0; from < IMAGES; from += 100_000) {
    const count = Math.min(100_000, IMAGES - from);
    await store.putImages(Array.from({ length: count }, (_, i) => imageRecord(from + i)));
  }
  for (let n = 0; n < FACES; n += 1) {
    void store.saveFace(wflwFace(imageId(n), { x: 10, y: 10, size: 200 + (n % 50) }));
  }
  await store.flush();
  console.error(`built ${IMAGES} images in ${Math.round(performance.now() - started)} ms`);
  return timeSaves(store);
}

/** The save latency over `SAVES` saves of faces the project has, then the store closed. */
async function timeSaves(store: ProjectStore): Promise<{ p50: number; p95: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < SAVES; i += 1) {
    const face = wflwFace(imageId(i), { x: 10 + i, y: 10, size: 200 });
    const began = performance.now();
    await store.saveFace(face);
    latencies.push(performance.now() - began);
  }
  await store.close();
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'canvas-bench-'));
  try {
    const frames = await frameTimes(work);
    const saves = await saveLatency(work);
    const result = {
      dragFrameMsP50: round(frames.p50),
      dragFrameMsP95: round(frames.p95),
      dragFrames: frames.frames,
      saveMsP50: round(saves.p50),
      saveMsP95: round(saves.p95),
      images: IMAGES,
      labelledFaces: FACES,
    };
    console.log(JSON.stringify(result));
    console.log(
      `Dragging one point of a 98-point face on a ${WIDTH}×${HEIGHT} image: ` +
        `frame time p50 ${result.dragFrameMsP50} ms, p95 ${result.dragFrameMsP95} ms ` +
        `over ${frames.frames} frames.`,
    );
    console.log(
      `Saving a face in a project of ${IMAGES.toLocaleString('en')} images ` +
        `(${FACES.toLocaleString('en')} labelled): p50 ${result.saveMsP50} ms, ` +
        `p95 ${result.saveMsP95} ms (includes the store's 200 ms debounce).`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
