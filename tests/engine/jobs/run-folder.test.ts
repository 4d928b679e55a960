/** RunFolder's log files: lines land in the order they were appended, awaited or not. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunFolder } from '../../../src-main/engine/jobs/run-folder';

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

describe('run folder logs', () => {
  it('keeps metrics and validation lines in call order when the appends are not awaited one by one', async () => {
    const run = new RunFolder(path.join(dir, 'burst'));
    await run.create();
    const pending: Promise<void>[] = [];
    // Lines of very different lengths, as progress lines with and without optional fields are.
    for (let step = 1; step <= 300; step++) {
      pending.push(run.appendMetrics({ step, pad: 'x'.repeat((step * 7919) % 4000) }));
      if (step % 10 === 0) pending.push(run.appendValidation({ step }));
    }
    await Promise.all(pending);
    expect(await steps(run.metricsFile)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await steps(run.validationFile)).toEqual(
      Array.from({ length: 30 }, (_, i) => (i + 1) * 10),
    );
  });
});
