/**
 * Crash safety on real disk: a child process edits a project and is killed with SIGKILL at a
 * random moment, 50 times in a row on the same project. After every kill both files must parse
 * and validate, and every edit the child acknowledged (its promise had resolved) must be there.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../src-main/core/project-store';
import { LabelsFile, ProjectFile } from '../../src-main/shared/domain';
import { counterOf, imageRecord, seededRandom } from './fixtures/project-data';

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
function startChild(debounceMs: number): Child {
  const proc = spawn(process.execPath, [child, dir, String(debounceMs)], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
    if (killAfterMs !== null && killTimer === undefined && /^(ACK|IMG) .*\n/m.test(stdout)) {
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

async function readJson(name: string, where: string): Promise<unknown> {
  const text = await readFile(path.join(dir, name), 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${where}: ${name} is not valid JSON (${(error as Error).message})`);
  }
}

describe('durability under SIGKILL', () => {
  it(`keeps both files valid and every acknowledged edit across ${KILLS} kills`, async () => {
    const random = seededRandom(SEED);
    const ackedCounter = new Map<string, number>();
    const ackedImages = new Set<string>();
    let acks = 0;
    let killsWithTempFileLeft = 0;

    // 0–24 ms: from a write per edit to a few edits per write.
    const nextDebounce = () => Math.floor(random() * 25);
    let debounceMs = nextDebounce();
    let next = startChild(debounceMs);
    for (let run = 0; run < KILLS; run += 1) {
      const current = next;
      const currentDebounce = debounceMs;
      await current.ready;
      if (run + 1 < KILLS) {
        debounceMs = nextDebounce();
        next = startChild(debounceMs);
      }
      const killAfterMs = 20 + random() * 180;
      const result = await current.go(killAfterMs);
      const where = `run ${run} (debounce ${currentDebounce} ms, kill after ${killAfterMs.toFixed(0)} ms)`;
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
        }
      }

      const project = ProjectFile.safeParse(await readJson('project.json', where));
      const labels = LabelsFile.safeParse(await readJson('labels.json', where));
      expect(project.error, `${where}: project.json`).toBeUndefined();
      expect(labels.error, `${where}: labels.json`).toBeUndefined();
      const faces = labels.data!.faces;
      for (const [imageId, counter] of ackedCounter) {
        const face = faces[imageId];
        expect(face, `${where}: face ${imageId}`).toBeDefined();
        expect(counterOf(face!), `${where}: face ${imageId}`).toBeGreaterThanOrEqual(counter);
      }
      const onDisk = new Set(project.data!.images.map((image) => image.id));
      for (const imageId of ackedImages) expect(onDisk.has(imageId), `${where}`).toBe(true);

      if ((await readdir(dir)).some((name) => name.endsWith('.tmp'))) killsWithTempFileLeft += 1;
    }

    // Every run was killed after its first acknowledgement, so there were at least KILLS of them.
    expect(acks).toBeGreaterThanOrEqual(KILLS);
    expect(ackedCounter.size).toBe(4);
    // Opening cleans up the temp files of the killed writers.
    await (await ProjectStore.open(dir)).close();
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    console.info(
      `durability: ${KILLS} kills, ${acks} acknowledged edits, ` +
        `${killsWithTempFileLeft} kills landed mid-write (temp file left)`,
    );
  }, 180_000);
});
