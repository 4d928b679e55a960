/**
 * The Electron main process: lifecycle only (docs/ARCHITECTURE.md, "Layers and processes"). Set up
 * each subsystem — session rules, the project session, recent projects, the training process, IPC —
 * then open the window.
 */
import { app, BrowserWindow, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLockHolderName } from '../core/project-lock';
import { ProjectSession } from '../core/project-session';
import { RecentProjects } from '../core/recent-projects';
import { handleAppRequests } from './app-protocol';
import { isAppUrl, rendererLocation } from './app-url';
import { electronTrainingSpawner } from './electron-training-spawner';
import { pickFolder } from './folder-dialog';
import { createHandlers } from '../app/handlers';
import type { StudioContext } from '../app/handlers/studio-context';
import { registerIpc } from './ipc';
import { labelEvents } from '../app/label-events';
import { handleMediaRequests } from './media-protocol';
import { registerPrivilegedSchemes } from './privileged-schemes';
import { TrainingHost } from '../app/training-host';
import { TrainingRelay } from '../app/training-relay';
import { createMainWindow, focusWindow, hardenSession } from './window';

/** Built layout (electron-vite): out/main/index.js, out/preload/index.cjs, out/renderer/. */
const PRELOAD = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const RENDERER_DIR = fileURLToPath(new URL('../renderer/', import.meta.url));

function main(): void {
  // Every renderer sandboxed, whatever a window's options say.
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    // Another Face Studio runs: it gets 'second-instance' and comes to the front.
    app.quit();
    return;
  }

  // Projects this app opens are locked in its name, which a second opener's error shows.
  setLockHolderName('the Face Studio app');
  // Privileged schemes can only be registered before the app is ready, and only once.
  registerPrivilegedSchemes();
  let window: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (window) focusWindow(window);
  });

  app
    .whenReady()
    .then(() => {
      const renderer = rendererLocation({
        isPackaged: app.isPackaged,
        env: process.env,
        rendererDir: RENDERER_DIR,
      });
      const isApp = (url: string) => isAppUrl(renderer, url);
      hardenSession(session.defaultSession);
      if (renderer.kind === 'app-scheme') handleAppRequests(renderer.rendererDir);

      // Every window hears of the label writes that reached the disk (counts, faces, revisions).
      const projects = new ProjectSession(
        labelEvents((event, payload) => ipc.broadcast(event, payload)),
      );
      const recent = new RecentProjects(path.join(app.getPath('userData'), 'recent-projects.json'));
      const training = new TrainingHost(electronTrainingSpawner());
      const relay = new TrainingRelay(training, (payload) =>
        ipc.broadcast('training:event', payload),
      );
      const context: StudioContext = {
        mode: 'electron',
        version: app.getVersion(),
        session: projects,
        recent,
        pickFolder: (title) => pickFolder(window, title),
        backend: () => training.backend(),
        training: relay,
        emit: (event, payload) => ipc.broadcast(event, payload),
      };
      const ipc = registerIpc(createHandlers(context), { isAppUrl: isApp });
      handleMediaRequests(projects);
      training.on((event) => {
        if (event.type === 'ready') ipc.broadcast('system:backend', event.backend);
        if (event.type === 'error') console.error('[training-process]', event.message);
      });

      const openWindow = () => {
        window = createMainWindow({ renderer, preload: PRELOAD, isAppUrl: isApp });
        window.on('closed', () => (window = null));
      };
      openWindow();
      // After the window, so loading TensorFlow.js does not delay the first paint; the page
      // shows the backend when 'system:backend' arrives.
      void training.start();

      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) openWindow();
      });
      app.on('window-all-closed', () => {
        if (process.platform !== 'darwin') app.quit();
      });

      // Quitting waits once for pending label writes and the training process to end.
      let cleanedUp = false;
      app.on('before-quit', (event) => {
        if (cleanedUp) return;
        event.preventDefault();
        void Promise.allSettled([projects.close(), training.stop()]).then((results) => {
          for (const result of results) {
            if (result.status === 'rejected') console.error('[quit]', result.reason);
          }
          cleanedUp = true;
          ipc.dispose();
          app.quit();
        });
      });
    })
    .catch((error: unknown) => {
      console.error('[main] start-up failed', error);
      app.exit(1);
    });
}

main();
