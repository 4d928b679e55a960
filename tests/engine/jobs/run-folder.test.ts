/**
 * RunFolder, the one owner of a run's files: lines land in the order they were appended, awaited
 * or not; run ids have one format; run.json has one writer; paths refuse ids that are not names.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointFile,
  modelDir,
  newRunId,
  patchRunRecord,
  progressOfLine,
  RunFolder,
  runDir,
} from '../../../src-main/engine/jobs/run-folder';
import type { JobValidation, MetricsLine } from '../../../src-main/shared/worker-protocol';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'run-folder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function steps(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);
}

function line(step: number, time = '2025-01-01T00:00:00.000Z'): MetricsLine {
  return {
    step,
    totalSteps: 300,
    epoch: 0,
    loss: 1 / step,
    lr: 1e-3,
    momentum: null,
    teacherEntropy: null,
    imagesPerSec: 4,
    etaSeconds: 300 - step,
    memory: { rssBytes: 1, tensors: 2, tensorBytes: 3 },
    time,
  };
}

function validation(step: number): JobValidation {
  return {
    epoch: step / 10,
    step,
    metrics: { nme: 0.1 },
    monitored: 'nme',
    lowerIsBetter: true,
    improved: false,
    samples: [],
  };
}

describe('run folder logs', () => {
  it('keeps metrics and validation lines in call order when the appends are not awaited one by one', async () => {
    const run = new RunFolder(path.join(dir, 'burst'));
    await run.create();
    const pending: Promise<void>[] = [];
    // Lines of very different lengths, as progress lines with and without optional fields are.
    for (let step = 1; step <= 300; step++) {
      pending.push(run.appendMetrics(line(step, 'x'.repeat((step * 7919) % 4000))));
      if (step % 10 === 0) pending.push(run.appendValidation(validation(step)));
    }
    await Promise.all(pending);
    expect(await steps(run.metricsFile)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await steps(run.validationFile)).toEqual(
      Array.from({ length: 30 }, (_, i) => (i + 1) * 10),
    );
  });

  it('reads back the JobProgress each metrics line logged, and older lines filled in', async () => {
    const run = new RunFolder(path.join(dir, 'read-back'));
    await run.create();
    const { time: _time, ...progress } = line(7);
    await run.appendMetrics({ ...line(7), weightDecay: 0.04, teacherTemperature: 0.07 });
    // A pre-training line as written before MetricsLine: no totalSteps, ETA or memory.
    const older = { step: 8, epoch: 0, loss: 0.5, lr: 1e-4, momentum: 0.996, imagesPerSec: 3 };
    await writeFile(
      run.metricsFile,
      `${await readFile(run.metricsFile, 'utf8')}${JSON.stringify(older)}\nnot json\n`,
    );
    expect(await run.readProgress(40)).toEqual([
      progress,
      {
        ...older,
        totalSteps: 40,
        teacherEntropy: null,
        etaSeconds: 0,
        memory: { rssBytes: 0, tensors: 0, tensorBytes: 0 },
      },
    ]);
    expect(progressOfLine({ step: -1, loss: 1 }, 10)).toBeNull();
  });
});

describe('run ids', () => {
  it('names runs by kind and start time to the millisecond, sortable, each one apart', () => {
    const early = newRunId('pretrain', new Date('2025-01-01T10:00:00.001Z'));
    const late = newRunId('pretrain', new Date('2025-01-01T10:00:00.020Z'));
    expect(early).toMatch(/^pretrain-20250101-100000001-[0-9a-f]{4}$/);
    expect(early < late).toBe(true);
    const a = newRunId('finetune');
    expect(a).toMatch(/^finetune-\d{8}-\d{9}-[0-9a-f]{4}$/);
    expect(newRunId('finetune')).not.toBe(a);
  });

  it('puts runs and models in their folders and refuses an id that is a path, by name', () => {
    expect(runDir('/p', 'pretrain-20250101-120000-ab12')).toBe(
      path.join('/p', 'runs', 'pretrain-20250101-120000-ab12'),
    );
    expect(modelDir('/p', 'finetune-a')).toBe(path.join('/p', 'models', 'finetune-a'));
    expect(checkpointFile('/p/runs/r')).toBe(path.join('/p/runs/r', 'checkpoints', 'latest.ckpt'));
    expect(() => runDir('/p', '../escape')).toThrow(/"\.\.\/escape" is not a run id/);
    expect(() => modelDir('/p', 'a/b')).toThrow(/"a\/b" is not a model id/);
  });
});

describe('run.json', () => {
  it('is patched over what it holds, and a corrupt record is replaced', async () => {
    const run = new RunFolder(path.join(dir, 'pretrain-a'));
    await run.create();
    await run.writeRecord({
      id: run.id,
      kind: 'pretrain',
      status: 'running',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      step: 30,
      lastCheckpoint: null,
    });
    await patchRunRecord(run.dir, { status: 'failed', error: 'boom' });
    const patched = JSON.parse(await readFile(path.join(run.dir, 'run.json'), 'utf8'));
    expect(patched).toMatchObject({ kind: 'pretrain', step: 30, status: 'failed', error: 'boom' });
    expect(await run.readRecord()).toMatchObject({ status: 'failed', step: 30 });

    const broken = new RunFolder(path.join(dir, 'pretrain-b'));
    await broken.create();
    await writeFile(broken.recordFile, 'not json');
    expect((await broken.readRecordFile()).problem).toMatch(/run\.json is corrupt: not valid JSON/);
    await patchRunRecord(broken.dir, { kind: 'pretrain', status: 'failed' });
    expect(JSON.parse(await readFile(broken.recordFile, 'utf8'))).toMatchObject({
      id: 'pretrain-b',
      status: 'failed',
    });
  });
});
