/**
 * Crash safety on real disk: a child process edits a project and is killed with SIGKILL at a
 * random moment, 50 times in a row on the same project. Label edits go to the label journal and
 * image index edits to the image journal, which each child compacts into labels.json and
 * project.json every few edits, so kills land during appends, during compactions and between
 * them. After every kill project.json and labels.json must parse and validate, the journals may
 * hold a torn line only at their end, and every edit the child acknowledged (its promise had
 * resolved) must be in labels.json or project.json plus their journals.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../src-main/core/project-store';
import { imagesOnDisk } from './fixtures/images-on-disk';
import { labelsOnDisk } from './fixtures/labels-on-disk';
import { counterOf, imageRecord, seededRandom } from '../support/project-data';

/** The child's label loops (on the first images) and the record it replaces (the next one). */
const LABEL_LOOPS = 4;
/** The split the child gives a replaced record for each counter (durability-child.ts). */
const SPLIT_OF_COUNTER = ['pool', 'train', 'val', 'test'];

const KILLS = 50;
const SEED = 0x5eed_f00d;
const repo = path.resolve(import.meta.dirname, '../..');
const childSource = path.join(import.meta.dirname, 'fixtures', 'durability-child.ts');

/** Children not yet ended; a failing test must not leave one waiting for GO. */
const live = new Set<ChildProcess>();
let root: string;
let dir: string;
let child: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-durability-'));
  dir = path.join(root, 'project');
  // The child is bundled once with esbuild (the transformer tsx runs on) and started with plain
  // node: `node --import tsx` costs ~0.8 s of CPU per start against ~0.15 s for the bundle, which
  // over 50 starts on 2 shared cores is the difference between ~1 and ~2+ minutes.
  child = path.join(root, 'durability-child.mjs');
  await build({
    entryPoints: [childSource],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const store = await ProjectStore.create(dir, {
    name: 'Crash',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  await store.putImages(Array.from({ length: 10 }, (_, i) => imageRecord(i)));
  await store.close();
});
afterAll(async () => {
  for (const proc of live) proc.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

interface RunResult {
  lines: string[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

interface Child {
  /** Resolves once the child has loaded its code and waits for GO. */
  ready: Promise<void>;
  /** Lets the child open the project; it is killed `killAfterMs` after its first acknowledgement. */
  go(killAfterMs: number): Promise<RunResult>;
}

/**
 * Starts a child that loads its code and then waits. Start-up is most of a run's cost on a busy
 * machine, so the next child is started while the current one runs.
 */
function startChild(debounceMs: number, compactAfterFaces: number): Child {
  const proc = spawn(
    process.execPath,
    [child, dir, String(debounceMs), String(compactAfterFaces)],
    {
      cwd: repo,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  live.add(proc);
  let stdout = '';
  let stderr = '';
  let killAfterMs: number | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const closed = new Promise<RunResult>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (_code, signal) => {
      live.delete(proc);
      clearTimeout(watchdog);
      clearTimeout(killTimer);
      markReady(); // a child that died early must not leave the parent waiting
      // A line cut off by the kill was never a complete acknowledgement.
      const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
      const lines = complete.split('\n').filter((line) => line !== '' && line !== 'READY');
      resolve({ lines, signal, stderr });
    });
  });
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('READY\n')) markReady();
    if (
      killAfterMs !== null &&
      killTimer === undefined &&
      /^(ACK|IMG|REC|GONE) .*\n/m.test(stdout)
    ) {
      killTimer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    ready,
    go(afterMs) {
      killAfterMs = afterMs;
      // A child that never acknowledges anything must not hang the test.
      watchdog = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      proc.stdin.write('GO\n');
      return closed;
    },
  };
}

describe('durability under SIGKILL', () => {
  it(`keeps both files valid and every acknowledged edit across ${KILLS} kills`, async () => {
    const random = seededRandom(SEED);
    const ackedCounter = new Map<string, number>();
    const ackedImages = new Set<string>();
    const ackedRecords = new Map<string, number>();
    const ackedRemovals = new Set<string>();
    let acks = 0;
    let killsWithTempFileLeft = 0;
    let killsMidCompaction = 0;
    let killsMidImageCompaction = 0;
    let killsWithImageJournal = 0;
    let killsWithJournal = 0;
    let tornTails = 0;

    // 0–24 ms: from a write per edit to a few edits per write.
    const nextDebounce = () => Math.floor(random() * 25);
    // 4–40 faces: a compaction every one to ten appends (4 faces at most per append).
    const nextCompaction = () => 4 + Math.floor(random() * 37);
    let debounceMs = nextDebounce();
    let compactAfter = nextCompaction();
    let next = startChild(debounceMs, compactAfter);
    for (let run = 0; run < KILLS; run += 1) {
      const current = next;
      const currentDebounce = debounceMs;
      const currentCompaction = compactAfter;
      await current.ready;
      if (run + 1 < KILLS) {
        debounceMs = nextDebounce();
        compactAfter = nextCompaction();
        next = startChild(debounceMs, compactAfter);
      }
      const killAfterMs = 20 + random() * 180;
      const result = await current.go(killAfterMs);
      const where =
        `run ${run} (debounce ${currentDebounce} ms, compaction after ${currentCompaction} ` +
        `faces, kill after ${killAfterMs.toFixed(0)} ms)`;
      expect(result.signal, `${where} ended on its own: ${result.stderr}`).toBe('SIGKILL');

      for (const line of result.lines) {
        const [kind, id, value] = line.split(' ');
        if (kind === 'ERR') throw new Error(`${where}: the child failed: ${line}`);
        if (kind === 'ACK' && id !== undefined) {
          ackedCounter.set(id, Math.max(ackedCounter.get(id) ?? 0, Number(value)));
          acks += 1;
        } else if (kind === 'IMG' && id !== undefined) {
          ackedImages.add(id);
          acks += 1;
        } else if (kind === 'REC' && id !== undefined) {
          ackedRecords.set(id, Math.max(ackedRecords.get(id) ?? 0, Number(value)));
          acks += 1;
        } else if (kind === 'GONE' && id !== undefined) {
          ackedRemovals.add(id);
          acks += 1;
        }
      }

      // Throws (failing the test) on an invalid project.json or a bad line before a good one.
      const index = await imagesOnDisk(dir).catch((error: unknown) => {
        throw new Error(`${where}: ${(error as Error).message}`);
      });
      if ('images.journal.compacting.jsonl' in index.journalLines) killsMidImageCompaction += 1;
      if (Object.values(index.journalLines).some((lines) => lines > 0)) killsWithImageJournal += 1;
      tornTails += index.tornTails.length;
      // Throws (failing the test) on an invalid labels.json or a bad line before a good one.
      const onDisk = await labelsOnDisk(dir).catch((error: unknown) => {
        throw new Error(`${where}: ${(error as Error).message}`);
      });
      if ('labels.journal.compacting.jsonl' in onDisk.journalLines) killsMidCompaction += 1;
      if (Object.values(onDisk.journalLines).some((lines) => lines > 0)) killsWithJournal += 1;
      tornTails += onDisk.tornTails.length;
      const faces = onDisk.labels.faces;
      for (const [imageId, counter] of ackedCounter) {
        const face = faces[imageId];
        expect(face, `${where}: face ${imageId}`).toBeDefined();
        expect(counterOf(face!), `${where}: face ${imageId}`).toBeGreaterThanOrEqual(counter);
      }
      const indexed = new Set(index.images.map((image) => image.id));
      for (const imageId of ackedImages) expect(indexed.has(imageId), `${where}`).toBe(true);
      // A record replaced in place holds its last acknowledged edit or a later one, whole (its
      // split is the one its counter gave it), at the place it had.
      const byId = new Map(index.images.map((image, at) => [image.id, { image, at }]));
      for (const [imageId, counter] of ackedRecords) {
        const found = byId.get(imageId);
        expect(found?.at, `${where}: record ${imageId}`).toBe(LABEL_LOOPS);
        expect(Number(found?.image.subject), `${where}: record ${imageId}`).toBeGreaterThanOrEqual(
          counter,
        );
        expect(found?.image.split).toBe(
          SPLIT_OF_COUNTER[Number(found?.image.subject) % SPLIT_OF_COUNTER.length],
        );
      }
      for (const imageId of ackedRemovals) expect(indexed.has(imageId), `${where}`).toBe(false);

      if ((await readdir(dir)).some((name) => name.endsWith('.tmp'))) killsWithTempFileLeft += 1;
    }

    // Every run was killed after its first acknowledgement, so there were at least KILLS of them.
    expect(acks).toBeGreaterThanOrEqual(KILLS);
    expect(ackedCounter.size).toBe(LABEL_LOOPS);
    // The record replaced in place and the removals were acknowledged too.
    expect(ackedRecords.size).toBe(1);
    expect(ackedRemovals.size).toBeGreaterThan(0);
    // Kills found edits still in a journal, not only in labels.json.
    expect(killsWithJournal).toBeGreaterThan(0);
    // ...and some landed between a compaction's rotation and its end (10 of 50 in a typical run).
    expect(killsMidCompaction).toBeGreaterThan(0);
    // The same for the image index's journal and its compaction into project.json.
    expect(killsWithImageJournal).toBeGreaterThan(0);
    expect(killsMidImageCompaction).toBeGreaterThan(0);
    // The store replays the journals to what the independent reader found; closing it folds them
    // into labels.json and removes them. Opening cleans up the temp files of the killed writers.
    const expected = (await labelsOnDisk(dir)).labels;
    const expectedImages = (await imagesOnDisk(dir)).images;
    const store = await ProjectStore.open(dir);
    for (const imageId of Object.keys(expected.faces)) {
      expect(store.getFace(imageId)).toEqual(expected.faces[imageId]);
    }
    expect(store.listImages()).toEqual(expectedImages);
    await store.close();
    const after = await labelsOnDisk(dir);
    expect(after.labels).toEqual(expected);
    expect(after.journalLines).toEqual({});
    const afterImages = await imagesOnDisk(dir);
    expect(afterImages.project.images).toEqual(expectedImages);
    expect(afterImages.journalLines).toEqual({});
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    console.info(
      `durability: ${KILLS} kills, ${acks} acknowledged edits, ` +
        `${killsWithTempFileLeft} kills landed mid-write (temp file left), ` +
        `${killsMidCompaction} mid-compaction (compacting file left), ` +
        `${killsWithJournal} with journal lines, ${killsMidImageCompaction} mid image ` +
        `compaction, ${killsWithImageJournal} with image journal lines, ` +
        `${tornTails} torn journal tails`,
    );
  }, 180_000);
});
