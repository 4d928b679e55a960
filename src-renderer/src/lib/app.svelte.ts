/**
 * The app shell's state: the open project, the recent list, the training backend and the last
 * error. Components read these fields and call the actions; only the actions talk to `api.ts`.
 */
import type { BackendReport, ProjectSummary, RecentProject } from '$shared/domain';
import type { RequestOf } from '$shared/ipc-contract';
import { describeError, invoke, mode, on, type StudioMode } from './api';

export type Section = 'library' | 'label' | 'train' | 'models';

/** Which part of the screen an error belongs to, so it shows beside what caused it. */
export type ErrorScope = 'create' | 'open' | 'recent' | 'project' | 'startup';

export interface ShownError {
  scope: ErrorScope;
  message: string;
}

export type NewProject = RequestOf<'project:create'>;

/** An image to open in the Label section: its id and its place in the unfiltered library. */
export interface LabelTarget {
  imageId: string;
  position: number;
}

/** How often to ask again while the training process is still choosing its backend. */
const BACKEND_POLL_MS = 1500;

/** Label writes come in bursts while a face is edited; one recount per quiet spell is plenty. */
const RECOUNT_DEBOUNCE_MS = 300;

class StudioState {
  readonly mode: StudioMode = mode;
  version = $state('');
  project = $state<ProjectSummary | null>(null);
  recent = $state<RecentProject[]>([]);
  backend = $state<BackendReport | null>(null);
  backendError = $state<string | null>(null);
  section = $state<Section>('library');
  error = $state<ShownError | null>(null);
  busy = $state(false);
  /** False until the first answer from the studio, so the home view does not flash empty. */
  ready = $state(false);
  private recountTimer: ReturnType<typeof setTimeout> | null = null;
  /** The image the Label section opens at when it next starts; taken once. */
  private labelTarget: LabelTarget | null = null;

  async start(): Promise<void> {
    on('project:changed', (summary) => {
      this.project = summary;
      void this.refreshRecent();
    });
    on('labels:flushed', () => this.scheduleRecount());
    on('system:backend', (report) => {
      this.backend = report;
      this.backendError = null;
    });
    await this.run('startup', async () => {
      const [system, project, recent] = await Promise.all([
        invoke('system:info', {}),
        invoke('project:current', {}),
        invoke('project:recent', {}),
      ]);
      this.version = system.version;
      this.backend = system.backend;
      this.backendError = system.backendError;
      this.project = project;
      this.recent = recent;
    });
    this.ready = true;
    if (!this.error) this.pollBackend();
  }

  async createProject(request: NewProject): Promise<boolean> {
    return this.run('create', async () => {
      this.project = await invoke('project:create', request);
      this.section = 'library';
      await this.refreshRecent();
    });
  }

  async openProject(dir: string): Promise<boolean> {
    return this.run('open', async () => {
      this.project = await invoke('project:open', { dir });
      this.section = 'library';
      await this.refreshRecent();
    });
  }

  /** Opening from the recent list reports errors beside the list, not the Open form. */
  async openRecent(dir: string): Promise<boolean> {
    return this.run('recent', async () => {
      this.project = await invoke('project:open', { dir });
      this.section = 'library';
      await this.refreshRecent();
    });
  }

  async closeProject(): Promise<boolean> {
    return this.run('project', async () => {
      await invoke('project:close', {});
      this.project = null;
      await this.refreshRecent();
    });
  }

  async forget(dir: string): Promise<boolean> {
    return this.run('recent', async () => {
      this.recent = await invoke('project:forget', { dir });
    });
  }

  /** The native folder picker; null when cancelled or when there is none (browser mode). */
  async pickFolder(title: string): Promise<string | null> {
    let dir: string | null = null;
    await this.run('create', async () => {
      dir = (await invoke('dialog:pickFolder', { title })).dir;
    });
    return dir;
  }

  /** Shows the Label section at this image (a double-click or Enter on a library tile). */
  openInLabel(target: LabelTarget): void {
    this.labelTarget = target;
    this.section = 'label';
  }

  /** The image asked for by `openInLabel`, once; null when none was. */
  takeLabelTarget(): LabelTarget | null {
    const target = this.labelTarget;
    this.labelTarget = null;
    return target;
  }

  dismissError(): void {
    this.error = null;
  }

  /** Asks again for the open project's summary, so the header's labelled count catches up. */
  private scheduleRecount(): void {
    if (this.recountTimer !== null) clearTimeout(this.recountTimer);
    this.recountTimer = setTimeout(async () => {
      this.recountTimer = null;
      if (!this.project) return;
      try {
        const current = await invoke('project:current', {});
        // A project opened or closed meanwhile has already set its own summary.
        if (current && current.dir === this.project?.dir) this.project = current;
      } catch {
        // The next flush asks again.
      }
    }, RECOUNT_DEBOUNCE_MS);
  }

  private async refreshRecent(): Promise<void> {
    this.recent = await invoke('project:recent', {});
  }

  /** A push may be missed while the events socket connects; asking again is cheap. */
  private pollBackend(): void {
    if (this.backend || this.backendError) return;
    setTimeout(async () => {
      try {
        const system = await invoke('system:info', {});
        this.backend ??= system.backend;
        this.backendError ??= system.backendError;
      } catch {
        // The studio may be restarting; the next poll asks again.
      }
      this.pollBackend();
    }, BACKEND_POLL_MS);
  }

  private async run(scope: ErrorScope, action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await action();
      return true;
    } catch (error) {
      this.error = { scope, message: describeError(error) };
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const studio = new StudioState();
