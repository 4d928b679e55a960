/**
 * Main only relays: with a REAL training process pre-training a tiny model (wasm, a few dozen
 * steps on a tiny project), the main process's event loop keeps turning while every job event is
 * relayed (and validated, as the bridge does before pushing it): events arrive one by one as the
 * steps finish, with turns of the loop between them, rather than in a burst after main was held
 * up. Counted, not timed, so a busy machine cannot fail it; the lag in milliseconds (the 50 ms
 * stutter target) is measured by bench/relay-lag.bench.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTrainingSpawner } from '../../src-main/app/node-training-spawner';
import { TrainingHost } from '../../src-main/app/training-host';
import { TrainingRelay } from '../../src-main/app/training-relay';
import { eventContract } from '../../src-main/shared/ipc-contract';
import type { TrainingEventPayload } from '../../src-main/shared/training';
import { createTinyProject } from '../engine/fixtures/tiny-project';
import { TINY_TEST_CONFIG } from '../engine/helpers';

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
  it('relays a pre-training run while the event loop turns between its steps', async () => {
    // Started first: forking and loading TensorFlow.js is the child's work, not a relay's.
    await host.start();
    const pushed: TrainingEventPayload[] = [];
    /** Turns of a 1 ms interval timer seen when each event was pushed. */
    const turnsAt: number[] = [];
    let turns = 0;
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    const relay = new TrainingRelay(host, (payload) => {
      pushed.push(eventContract['training:event'].parse(payload));
      turnsAt.push(turns);
      if (['done', 'failed', 'cancelled'].includes(payload.event.type)) ended();
    });

    const ticker = setInterval(() => (turns += 1), 1);
    const run = await relay.start(projectDir, {
      kind: 'pretrain',
      task: null,
      backboneId: null,
      // 8 faces at batch 4: 2 steps per epoch, so 20 epochs leave room for STEPS.
      config: { ...TINY_TEST_CONFIG, epochs: 20, maxSteps: STEPS, checkpointEvery: 10 },
    });
    await end;
    clearInterval(ticker);

    const last = pushed.at(-1)!;
    expect(last.event).toMatchObject({ type: 'done', run: { status: 'done', modelId: run.id } });
    const steps = pushed.flatMap((p) =>
      p.event.type === 'progress' ? [p.event.progress.step] : [],
    );
    expect(steps.at(-1)).toBe(STEPS);
    expect(pushed.filter((p) => p.event.type === 'checkpoint').length).toBeGreaterThanOrEqual(3);

    // Between one step's progress and the next, the timer got turns: main was free while the
    // training process computed the step. A main that trained, or was held up for the run,
    // would push the progress events back to back. Most gaps, not all: a machine busy elsewhere
    // may hand main two queued messages in one turn now and then.
    const progressAt = pushed.flatMap((p, i) => (p.event.type === 'progress' ? [turnsAt[i]!] : []));
    const gaps = progressAt.slice(1).map((at, i) => at - progressAt[i]!);
    expect(gaps).toHaveLength(STEPS - 1);
    expect(gaps.filter((turnsBetween) => turnsBetween > 0).length).toBeGreaterThan(gaps.length / 2);

    const detail = await relay.detail(projectDir, run.id);
    expect(detail.progress.at(-1)?.step).toBe(STEPS);
    expect(detail.run.status).toBe('done');
  });
});
