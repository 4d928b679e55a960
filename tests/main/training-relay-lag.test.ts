/**
 * Main only relays: with a REAL training process pre-training a tiny model (wasm, a few dozen
 * steps on a tiny project), the main process's event loop stays free while every job event is
 * relayed (and validated, as the bridge does before pushing it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTrainingSpawner } from '../../src-main/main/node-training-spawner';
import { TrainingHost } from '../../src-main/main/training-host';
import { TrainingRelay } from '../../src-main/main/training-relay';
import { eventContract } from '../../src-main/shared/ipc-contract';
import type { TrainingEventPayload } from '../../src-main/shared/training';
import { createTinyProject } from '../engine/fixtures/tiny-project';
import { TINY_TEST_CONFIG } from '../engine/helpers';

/** What a window would notice as a stutter: more than three 60 Hz frames. */
const MAX_LAG_MS = 50;
const STEPS = 30;

let workDir: string;
let projectDir: string;
let host: TrainingHost;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'relay-lag-'));
  projectDir = path.join(workDir, 'project');
  await createTinyProject(projectDir, 8);
  host = new TrainingHost(
    nodeTrainingSpawner({ env: { ...process.env, FACE_STUDIO_BACKEND: 'wasm' } }),
  );
});
afterAll(async () => {
  await host?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('the relay with a real training process', { timeout: 120_000 }, () => {
  it('relays a pre-training run while the event loop never lags 50 ms', async () => {
    // Started first: forking and loading TensorFlow.js is the child's work, not a relay's.
    await host.start();
    const pushed: TrainingEventPayload[] = [];
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    const relay = new TrainingRelay(host, (payload) => {
      pushed.push(eventContract['training:event'].parse(payload));
      if (['done', 'failed', 'cancelled'].includes(payload.event.type)) ended();
    });

    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const run = await relay.start(projectDir, {
      kind: 'pretrain',
      task: null,
      backboneId: null,
      // 8 faces at batch 4: 2 steps per epoch, so 20 epochs leave room for STEPS.
      config: { ...TINY_TEST_CONFIG, epochs: 20, maxSteps: STEPS, checkpointEvery: 10 },
    });
    await end;
    lag.disable();

    const last = pushed.at(-1)!;
    expect(last.event).toMatchObject({ type: 'done', run: { status: 'done', modelId: run.id } });
    const steps = pushed.flatMap((p) =>
      p.event.type === 'progress' ? [p.event.progress.step] : [],
    );
    expect(steps.at(-1)).toBe(STEPS);
    expect(pushed.filter((p) => p.event.type === 'checkpoint').length).toBeGreaterThanOrEqual(3);

    const maxMs = lag.max / 1e6;
    console.info(
      `event-loop lag while relaying ${pushed.length} events: max ${maxMs.toFixed(1)} ms, ` +
        `p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, mean ${(lag.mean / 1e6).toFixed(1)} ms`,
    );
    expect(maxMs).toBeLessThan(MAX_LAG_MS);

    const detail = await relay.detail(projectDir, run.id);
    expect(detail.progress.at(-1)?.step).toBe(STEPS);
    expect(detail.run.status).toBe('done');
  });
});
