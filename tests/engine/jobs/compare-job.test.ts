/**
 * The backbone-comparison job on a small HELEN project: progress per backbone, the comparison
 * saved as the project's last of the task (and read back), cancel saving nothing, and a project
 * without enough faces failing with the reason.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledFaces } from '../../../src-main/app/training/finetune-faces';
import { shippedBackbones } from '../../../src-main/engine/backbones/backbone-registry';
import { runCompareJob } from '../../../src-main/engine/jobs/compare-job';
import { comparisonFile, readComparison } from '../../../src-main/engine/jobs/run-folder';
import { FromTrainingMessage, type JobEvent } from '../../../src-main/shared/worker-protocol';
import { createLabelledProject } from '../data/labelled-project';
import { useWasm } from '../../support/engine-helpers';

const randomOnly = async () => shippedBackbones().filter((b) => b.id === 'random');

let root: string;
let projectDir: string;
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-compare-job-'));
  projectDir = path.join(root, 'project');
  await createLabelledProject(projectDir, { train: 6, test: 3 });
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const spec = (jobId: string) => ({
  jobId,
  projectDir,
  task: 'landmarks' as const,
  faces: (task: 'landmarks' | 'attributes' | 'expression') => readLabelledFaces(projectDir, task),
  backbones: randomOnly,
  chunk: 4,
});

describe('runCompareJob', () => {
  it('reports progress per backbone and saves the comparison before done', async () => {
    const events: JobEvent[] = [];
    const { outcome, comparison } = await runCompareJob(spec('c1'), {
      emit: (e) => {
        // Every event is a valid protocol message.
        FromTrainingMessage.parse(e);
        events.push(e);
      },
    });
    expect(outcome.type).toBe('done');
    expect(events[0]).toMatchObject({ type: 'started', jobId: 'c1' });
    const progress = events.flatMap((e) => (e.type === 'compareProgress' ? [e.progress] : []));
    expect(progress.map((p) => p.stage)).toEqual(
      expect.arrayContaining(['loading', 'embedding', 'fitting', 'scored']),
    );
    expect(progress.at(-1)).toMatchObject({ backboneId: 'random', done: 1, total: 1 });
    expect(events.at(-1)!.type).toBe('done');
    const saved = await readComparison(projectDir, 'landmarks');
    expect(saved).toEqual(comparison);
    expect(saved!.rows[0]!.test!.faces).toBe(3);
    expect(saved!.winner).toBe('random');
    expect(saved!.chosenBy).toBe('test');
    expect(await readComparison(projectDir, 'expression')).toBeNull();
  }, 120_000);

  it('saves nothing when cancelled', async () => {
    await rm(comparisonFile(projectDir, 'landmarks'), { force: true });
    const controller = new AbortController();
    const { outcome } = await runCompareJob(spec('c2'), {
      signal: controller.signal,
      emit: (e) => {
        if (e.type === 'compareProgress' && e.progress.stage === 'embedding') controller.abort();
      },
    });
    expect(outcome).toEqual({ type: 'cancelled', jobId: 'c2', lastCheckpoint: null });
    await expect(stat(comparisonFile(projectDir, 'landmarks'))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('fails, naming the reason, when the task has too few faces', async () => {
    const events: JobEvent[] = [];
    const { outcome } = await runCompareJob(
      { ...spec('c3'), task: 'expression' },
      { emit: (e) => events.push(e) },
    );
    expect(outcome.type).toBe('failed');
    expect(outcome.type === 'failed' && outcome.message).toMatch(
      /no expression classes|expression/,
    );
    expect(events).toEqual([outcome]);
  });
});
