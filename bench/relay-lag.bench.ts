/**
 * Event-loop lag of the main process while it relays a REAL pre-training run (`npx tsx
 * bench/relay-lag.bench.ts`): a tiny model (wasm, 30 steps on an 8-face project) trains in the
 * training process; main relays and validates every event as the bridge does. Prints the lag's
 * max, p99 and mean, and whether the max stays under 50 ms (what a window would notice as a
 * stutter: more than three 60 Hz frames). On a machine busy with other work the figures grow with
 * the load; tests/app/training-relay-lag.test.ts checks the relay's behaviour without the clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nodeTrainingSpawner } from '../src-main/app/node-training-spawner';
import { TrainingHost } from '../src-main/app/training-host';
import { TrainingRelay } from '../src-main/app/training-relay';
import { eventContract } from '../src-main/shared/ipc-contract';
import { createTinyProject } from '../tests/engine/fixtures/tiny-project';
import { TINY_TEST_CONFIG } from '../tests/engine/helpers';

const TARGET_MAX_LAG_MS = 50;
const STEPS = 30;

const workDir = await mkdtemp(path.join(os.tmpdir(), 'relay-lag-bench-'));
const projectDir = path.join(workDir, 'project');
await createTinyProject(projectDir, 8);
const host = new TrainingHost(
  nodeTrainingSpawner({ env: { ...process.env, FACE_STUDIO_BACKEND: 'wasm' } }),
);
try {
  await host.start();
  let events = 0;
  let ended!: () => void;
  const end = new Promise<void>((resolve) => (ended = resolve));
  const relay = new TrainingRelay(host, (payload) => {
    eventContract['training:event'].parse(payload);
    events += 1;
    if (['done', 'failed', 'cancelled'].includes(payload.event.type)) ended();
  });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  await relay.start(projectDir, {
    kind: 'pretrain',
    task: null,
    backboneId: null,
    config: { ...TINY_TEST_CONFIG, epochs: 20, maxSteps: STEPS, checkpointEvery: 10 },
  });
  await end;
  lag.disable();
  const ms = (ns: number) => Number((ns / 1e6).toFixed(1));
  const figures = {
    events,
    maxMs: ms(lag.max),
    p99Ms: ms(lag.percentile(99)),
    meanMs: ms(lag.mean),
    targetMaxMs: TARGET_MAX_LAG_MS,
    withinTarget: lag.max / 1e6 < TARGET_MAX_LAG_MS,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(JSON.stringify(figures));
} finally {
  await host.stop();
  await rm(workDir, { recursive: true, force: true });
}
