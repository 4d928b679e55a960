/**
 * How the shell's running-jobs indicator reads a background job: where it leads (the section that
 * shows the job) and one line of where it stands. Pure.
 */
import type { LiveJob } from '$shared/live-jobs';
import { formatDuration } from '$shared/progress-text';
import type { Section } from '../lib/app.svelte';

/** The section that shows a job: a run's dashboard, the import dialog, the labeller, Models. */
export function jobSection(job: Pick<LiveJob, 'kind'>): Section {
  switch (job.kind) {
    case 'run':
      return 'train';
    case 'import':
      return 'library';
    case 'prelabel':
      return 'label';
    case 'compare':
      return 'models';
  }
}

/** The section's name as the navigation writes it, for the button's hover text. */
const SECTION_NAMES: Record<Section, string> = {
  library: 'Library',
  label: 'Label',
  train: 'Train',
  models: 'Models',
};

export function jobDestination(job: Pick<LiveJob, 'kind'>): string {
  return `Show it in ${SECTION_NAMES[jobSection(job)]}`;
}

/** Done of total as a fraction 0..1; null while the total is unknown. */
export function jobFraction(job: Pick<LiveJob, 'done' | 'total'>): number | null {
  if (!job.total) return null;
  return Math.min(1, Math.max(0, job.done / job.total));
}

/**
 * `paused · step 12 / 40 · 30%`, `running · detecting 12 / 40 · ETA 35 s`, `queued`. The ETA only
 * while it runs (a paused job's would only grow).
 */
export function jobProgressText(job: LiveJob): string {
  const parts: string[] = [job.status];
  const count =
    job.total !== null ? `${job.done} / ${job.total}` : job.done > 0 ? `${job.done}` : '';
  const what = job.kind === 'run' ? 'step' : job.stage;
  if (count) parts.push(what ? `${what} ${count}` : count);
  else if (job.stage) parts.push(job.stage);
  const fraction = jobFraction(job);
  if (fraction !== null) parts.push(`${Math.round(fraction * 100)}%`);
  if (job.status === 'running' && job.etaSeconds !== null && job.etaSeconds > 0) {
    parts.push(`ETA ${formatDuration(job.etaSeconds)}`);
  }
  return parts.join(' · ');
}
