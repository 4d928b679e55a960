/**
 * One backbone-comparison job (docs/ARCHITECTURE.md, "Backbones and tasks"): the project's faces
 * labelled for a task through every backbone the app offers it (backbone-registry.ts), each
 * fitted on train and scored on val and test (backbones/compare-backbones.ts). Progress goes out
 * per backbone (`compareProgress`); the result is saved as the project's last comparison of the
 * task (run-folder.ts: models/backbone-comparison.<task>.json) before `done`, so whoever reads it
 * after `done` reads this one. Cancel stops between chunks of faces (nothing is saved); pause
 * holds between backbones. It writes no run folder.
 */
import type { BackboneComparison } from '../../shared/backbone-comparison';
import { toIpcError } from '../../shared/errors';
import type { FinetuneTaskName } from '../../shared/training';
import { offeredBackbones, type OfferedBackbone } from '../backbones/backbone-registry';
import { compareBackbones } from '../backbones/compare-backbones';
import type { LabelledFaceSet } from '../data/labelled-faces';
import type { JobRunControls, JobRunOutcome } from './job-run';
import { modelsDir, writeComparison } from './run-folder';

export interface CompareJobSpec {
  jobId: string;
  projectDir: string;
  task: FinetuneTaskName;
  /** The project's faces labelled for the task (the app reads them). */
  faces: (task: FinetuneTaskName) => Promise<LabelledFaceSet>;
  /** The backbones to compare (tests pass a few); default: every one offered to the project. */
  backbones?: (projectDir: string) => Promise<readonly OfferedBackbone[]>;
  /** Faces per backbone call. */
  chunk?: number;
}

export interface CompareJobOutcome {
  outcome: JobRunOutcome;
  /** The saved comparison, when the job finished. */
  comparison: BackboneComparison | null;
}

export async function runCompareJob(
  spec: CompareJobSpec,
  controls: JobRunControls,
): Promise<CompareJobOutcome> {
  const { jobId } = spec;
  let outcome: JobRunOutcome;
  let comparison: BackboneComparison | null = null;
  try {
    const set = await spec.faces(spec.task);
    const backbones = await (spec.backbones ?? ((dir: string) => offeredBackbones(modelsDir(dir))))(
      spec.projectDir,
    );
    controls.emit({ type: 'started', jobId, runDir: modelsDir(spec.projectDir) });
    comparison = await compareBackbones(set, backbones, {
      ...(controls.signal ? { signal: controls.signal } : {}),
      ...(controls.beforeStep ? { beforeBackbone: controls.beforeStep } : {}),
      ...(spec.chunk ? { chunk: spec.chunk } : {}),
      onProgress: (progress) => controls.emit({ type: 'compareProgress', jobId, progress }),
    });
    await writeComparison(spec.projectDir, comparison);
    outcome = {
      type: 'done',
      jobId,
      result: { step: comparison.rows.length, finalLoss: null, checksum: '', checkpoint: null },
      modelDir: null,
    };
  } catch (error) {
    comparison = null;
    outcome = controls.signal?.aborted
      ? { type: 'cancelled', jobId, lastCheckpoint: null }
      : { type: 'failed', jobId, message: toIpcError(error).message, lastCheckpoint: null };
  }
  controls.emit(outcome);
  return { outcome, comparison };
}
