/**
 * Browser mode: the studio's handlers, a project session, the recent-projects list and the
 * training process, served over the bridge. `face-studio serve` and the end-to-end tests call
 * `serveStudio`; Electron builds the same StudioContext with its own window and dialogs.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProjectSession } from '../core/project-session';
import { RecentProjects } from '../core/recent-projects';
import { createHandlers } from '../app/handlers';
import type { StudioContext } from '../app/handlers/studio-context';
import { labelEvents } from '../app/label-events';
import { nodeTrainingSpawner } from '../app/node-training-spawner';
import { TrainingHost, type TrainingSpawner } from '../app/training-host';
import { TrainingRelay } from '../app/training-relay';
import { startBridge, type Bridge } from './bridge';
import { findMediaFile } from './media-files';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Where the recent-projects list lives; see `defaultDataDir`. */
  dataDir?: string;
  /** When set, projects can only be created and opened inside this folder. */
  projectsRoot?: string;
  /** The built renderer; defaults to the repository's out/renderer. */
  rendererDir?: string;
  token?: string;
  /** Starts the training process; defaults to a Node child running the training worker. */
  trainingSpawner?: TrainingSpawner;
}

export interface ServedStudio {
  readonly url: string;
  readonly bridge: Bridge;
  close(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const DEFAULT_RENDERER_DIR = path.join(REPO_ROOT, 'out', 'renderer');

/** $XDG_CONFIG_HOME/face-studio, else ~/.config/face-studio. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(configHome, 'face-studio');
}

export function studioVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function serveStudio(options: ServeOptions = {}): Promise<ServedStudio> {
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir());
  await mkdir(dataDir, { recursive: true });
  // Handlers need `emit` before the bridge exists; pushes before it is listening have no listener.
  let bridge: Bridge | null = null;
  // Every open page hears of the label writes that reached the disk (counts, faces, revisions).
  const session = new ProjectSession(labelEvents((event, payload) => bridge?.emit(event, payload)));
  const recent = new RecentProjects(path.join(dataDir, 'recent-projects.json'));
  const training = new TrainingHost(options.trainingSpawner ?? nodeTrainingSpawner());
  const relay = new TrainingRelay(training, (payload) => bridge?.emit('training:event', payload));

  const context: StudioContext = {
    mode: 'browser',
    version: studioVersion(),
    session,
    recent,
    pickFolder: async () => ({ dir: null, supported: false }),
    backend: () => training.backend(),
    training: relay,
    emit: (event, payload) => bridge?.emit(event, payload),
  };

  training.on((event) => {
    if (event.type === 'ready') context.emit('system:backend', event.backend);
  });
  // Not awaited: the page shows "starting…" while the process picks its backend, and a failure
  // reaches the page through system:info's backendError.
  void training.start();
  const projectsRoot = options.projectsRoot ? path.resolve(options.projectsRoot) : undefined;
  try {
    bridge = await startBridge({
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      rendererDir: options.rendererDir ?? DEFAULT_RENDERER_DIR,
      handlers: createHandlers(context),
      token: options.token,
      projectsRoot,
      media: (kind, imageId) => findMediaFile(session, kind, imageId, projectsRoot),
    });
  } catch (error) {
    await training.stop();
    throw error;
  }
  const started = bridge;

  return {
    url: started.url,
    bridge: started,
    async close() {
      await started.close();
      await session.close();
      await training.stop();
    },
  };
}
