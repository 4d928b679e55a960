/**
 * Which of pause / resume / cancel a run offers, by its status (`training:*` in the contract):
 * pause and cancel while it is queued or running, resume while paused, and "resume from
 * checkpoint" after it failed or was cancelled once a checkpoint exists.
 */
import type { RunInfo } from '$shared/training';

export interface RunControls {
  pause: boolean;
  cancel: boolean;
  /** The resume button's wording, or null when there is none. */
  resume: 'Resume' | 'Resume from checkpoint' | null;
}

export function controlsFor(run: Pick<RunInfo, 'status' | 'resumable'>): RunControls {
  switch (run.status) {
    case 'queued':
    case 'running':
      return { pause: true, cancel: true, resume: null };
    case 'paused':
      return { pause: false, cancel: true, resume: 'Resume' };
    case 'failed':
    case 'cancelled':
      return {
        pause: false,
        cancel: false,
        resume: run.resumable ? 'Resume from checkpoint' : null,
      };
    case 'done':
      return { pause: false, cancel: false, resume: null };
  }
}
