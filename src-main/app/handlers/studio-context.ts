/**
 * What the request handlers need from their host: the open project, the recent list, the training
 * relay, and what differs between Electron and the browser bridge (the folder picker, how events
 * reach windows). The handlers and the two hosts import it from here.
 */
import type { BackendReport } from '../../shared/domain';
import type { EventChannel, EventPayload } from '../../shared/ipc-contract';
import type { ProjectSession } from '../../core/project-session';
import type { RecentProjects } from '../../core/recent-projects';
import type { TrainingRelay } from '../training-relay';

export interface StudioContext {
  mode: 'electron' | 'browser';
  version: string;
  session: ProjectSession;
  recent: RecentProjects;
  /** Native folder picker; the bridge answers `{ dir: null, supported: false }`. */
  pickFolder(title?: string): Promise<{ dir: string | null; supported: boolean }>;
  /** The training process's backend, once it has reported one. */
  backend(): { report: BackendReport | null; error: string | null };
  /** Carries runs and pre-labelling jobs to the training process and relays their events. */
  training: TrainingRelay;
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
}
