/**
 * The Models view's backbone comparison (a class of `$state` fields): the project's last
 * comparison of the chosen task (`models:comparison`), a new one started with
 * `models:compareBackbones` whose progress and result arrive as `models:compareProgress`, and
 * cancel. Events can outrun the answer that names the job: while a start is in flight, the
 * events of its task are taken as its own.
 */
import type { BackboneComparison, ComparisonProgress } from '$shared/backbone-comparison';
import type { FinetuneTaskName } from '$shared/training';
import { attempt, invoke, on } from '../../lib/api';

class CompareState {
  task = $state<FinetuneTaskName>('landmarks');
  comparison = $state.raw<BackboneComparison | null>(null);
  /** The running comparison's job, or null. */
  jobId = $state<string | null>(null);
  starting = $state(false);
  progress = $state.raw<ComparisonProgress | null>(null);
  error = $state<string | null>(null);

  get running(): boolean {
    return this.starting || this.jobId !== null;
  }

  start(): () => void {
    const stop = on('models:compareProgress', (event) => {
      const ours =
        event.jobId === this.jobId ||
        (this.starting && this.jobId === null && event.task === this.task);
      if (!ours) return;
      if (!event.finished) {
        this.progress = event.progress;
        return;
      }
      this.jobId = null;
      this.progress = null;
      // A start still in flight must not take this job for a running one.
      this.starting = false;
      if (event.comparison) this.comparison = event.comparison;
      if (event.error) this.error = event.error;
    });
    void this.load();
    return stop;
  }

  /** The project's last comparison of the chosen task. */
  async load(): Promise<void> {
    const task = this.task;
    await this.#guard(async () => {
      const last = await invoke('models:comparison', { task });
      if (this.task === task) this.comparison = last;
    });
  }

  async setTask(task: FinetuneTaskName): Promise<void> {
    if (this.running || task === this.task) return;
    this.task = task;
    this.comparison = null;
    this.error = null;
    await this.load();
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.error = null;
    this.progress = null;
    this.starting = true;
    await this.#guard(async () => {
      const { jobId } = await invoke('models:compareBackbones', { task: this.task });
      // Finished already (its last event came before this answer): nothing is running.
      if (this.starting) this.jobId = jobId;
    });
    this.starting = false;
  }

  async cancel(): Promise<void> {
    const jobId = this.jobId;
    if (!jobId) return;
    await this.#guard(async () => {
      await invoke('models:cancelCompare', { jobId });
    });
  }

  #guard(action: () => Promise<void>): Promise<boolean> {
    return attempt(action, (message) => (this.error = message));
  }
}

export const compare = new CompareState();
