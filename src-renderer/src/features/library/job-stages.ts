/**
 * What a library job's progress says: the stages it goes through, in order (so the dialog can
 * list them, each done, running or still to come), and one line for the running stage with its
 * own count, rate and time left ("Copying 12/40 · 3.4 images/s · ETA 4 s").
 */
import type { EventPayload } from '$shared/ipc-contract';
import { stagesOf, type ImportStage, type JobPlan } from '$shared/library';
import { formatDuration } from '$shared/progress-text';

export type JobProgress = Pick<
  EventPayload<'library:importProgress'>,
  'stage' | 'done' | 'total' | 'rate' | 'etaSeconds'
>;

export const STAGE_NAMES: Record<ImportStage, string> = {
  scanning: 'Looking at the folder',
  validating: 'Checking the labels',
  importing: 'Reading images and making thumbnails',
  detecting: 'Detecting faces',
  'near-duplicates': 'Checking near-duplicates',
  copying: 'Copying into the project',
  writing: 'Writing the project',
};

export type StageState = 'done' | 'running' | 'waiting';

/** Each stage of the plan with its state, given the stage running now (null: not started). */
export function stageStates(
  plan: JobPlan,
  running: ImportStage | null,
): { stage: ImportStage; name: string; state: StageState }[] {
  const stages = stagesOf(plan);
  const at = running === null ? -1 : stages.indexOf(running);
  return stages.map((stage, i) => ({
    stage,
    name: STAGE_NAMES[stage],
    state: i < at ? 'done' : i === at ? 'running' : 'waiting',
  }));
}

/**
 * The running stage in one line: its name, then `done/total`, the rate and the time left when it
 * counts images. Detection at 0 says it is loading the detector (a few seconds, before any image).
 * Before the first report it names the job's first stage.
 */
export function stageLine(progress: JobProgress | null, first: ImportStage = 'scanning'): string {
  if (!progress) return `${STAGE_NAMES[first]}…`;
  const name = STAGE_NAMES[progress.stage];
  const { done, total, rate, etaSeconds } = progress;
  if (total === 0) return `${name}…`;
  if (progress.stage === 'detecting' && done === 0) {
    return `${name} 0/${total} · loading the face detector…`;
  }
  return `${name} ${done}/${total} · ${rate.toFixed(1)} images/s · ETA ${formatDuration(etaSeconds)}`;
}

/** How far the running stage is, 0–100 (0 while its size is not known). */
export function stagePercent(progress: JobProgress | null): number {
  if (!progress || progress.total === 0) return 0;
  return Math.min(100, (100 * progress.done) / progress.total);
}
