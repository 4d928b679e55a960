import { beforeEach, describe, expect, it, vi } from 'vitest';
import path from 'node:path';

vi.mock('electron', () => import('./electron-mock'));

import type * as ElectronMockModule from './electron-mock';
import type * as RecentProjectsModule from '../../src-main/core/recent-projects';

const recentFiles = vi.hoisted(() => [] as string[]);
vi.mock('../../src-main/core/recent-projects', async (importOriginal) => {
  const real = await importOriginal<typeof RecentProjectsModule>();
  // The real list, with a note of which file main gave it.
  class RecordingRecentProjects extends real.RecentProjects {
    constructor(...args: ConstructorParameters<typeof real.RecentProjects>) {
      super(...args);
      recentFiles.push(args[0]);
    }
  }
  return { ...real, RecentProjects: RecordingRecentProjects };
});

import { invokeChannels } from '../../src-main/shared/ipc-contract';

type ElectronMock = typeof ElectronMockModule;

/** Imports main afresh (it runs on import, as in Electron) with the lock answer given. */
async function launch(lock: boolean): Promise<ElectronMock> {
  vi.resetModules();
  recentFiles.length = 0;
  const electron = (await import('electron')) as unknown as ElectronMock;
  electron.resetElectronMock();
  electron.app.singleInstanceLock = lock;
  await import('../../src-main/main/index');
  return electron;
}

/** Launches with the lock, lets Electron become ready, and waits for the window. */
async function launchReady() {
  const electron = await launch(true);
  electron.app.becomeReady();
  await vi.waitFor(() => expect(electron.BrowserWindow.instances).toHaveLength(1));
  const window = electron.BrowserWindow.instances[0]!;
  const invoke = (channel: string, payload: unknown) =>
    electron.invokeFromRenderer(channel, payload, {
      webContents: window.webContents,
      frameUrl: window.webContents.getURL(),
    });
  return { electron, window, invoke };
}

describe('main process lifecycle', () => {
  beforeEach(() => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  it('quits at once when another instance holds the lock, opening nothing', async () => {
    const electron = await launch(false);
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalledTimes(1);
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
    expect(electron.app.whenReady).not.toHaveBeenCalled();
    expect(electron.BrowserWindow.instances).toEqual([]);
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('sets up sandboxing, CSP, IPC, recent projects and the training process, then one window', async () => {
    const { electron, window } = await launchReady();
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    expect(electron.app.quit).not.toHaveBeenCalled();
    expect(electron.session.defaultSession.headersListener).not.toBeNull();
    expect(electron.session.defaultSession.permissionRequestHandler).not.toBeNull();
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual([...invokeChannels].sort());
    expect(recentFiles).toEqual([path.join(electron.app.userData, 'recent-projects.json')]);

    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, nodeIntegration: false, sandbox: true });
    expect(prefs.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    // The built page over app://, served from out/renderer; studio-media: beside it.
    expect(window.loaded).toEqual({ url: 'app://face-studio/index.html' });
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1);
    expect(electron.protocol.privileged.map((s) => s.scheme)).toEqual(['app', 'studio-media']);
    expect([...electron.protocol.handlers.keys()].sort()).toEqual(['app', 'studio-media']);

    expect(electron.utilityProcess.fork).toHaveBeenCalledTimes(1);
    expect(electron.utilityProcess.fork.mock.calls[0]?.[0]).toMatch(/[/\\]training-process\.js$/);
  });

  it('focuses the existing window when a second instance starts', async () => {
    const { electron, window } = await launchReady();
    window.minimized = true;
    electron.app.emit('second-instance');
    expect(window.minimized).toBe(false);
    expect(window.focused).toBe(true);
    expect(electron.BrowserWindow.instances).toHaveLength(1);
  });

  it('reports the backend in system:info and pushes it once the training process is ready', async () => {
    const { electron, window, invoke } = await launchReady();
    expect(await invoke('system:info', {})).toEqual({
      ok: true,
      value: { version: '0.1.0-test', mode: 'electron', backend: null, backendError: null },
    });

    const backend = { name: 'wasm', forced: false, skipped: [] };
    electron.utilityProcess.children[0]!.emit('message', { type: 'ready', backend });
    expect(window.webContents.sent).toEqual([{ channel: 'system:backend', payload: backend }]);
    expect(await invoke('system:info', {})).toMatchObject({ ok: true, value: { backend } });
  });

  it('answers dialog:pickFolder with the native dialog, modal to the window', async () => {
    const { electron, window, invoke } = await launchReady();
    electron.dialog.showOpenDialog.mockResolvedValueOnce({
      canceled: false,
      filePaths: ['/home/me/faces'],
    });
    expect(await invoke('dialog:pickFolder', { title: 'Project folder' })).toEqual({
      ok: true,
      value: { dir: '/home/me/faces', supported: true },
    });
    expect(electron.dialog.showOpenDialog).toHaveBeenCalledWith(
      window,
      expect.objectContaining({
        title: 'Project folder',
        properties: expect.arrayContaining(['openDirectory']),
      }),
    );
  });

  it('on quit, waits for the project and the training process before quitting', async () => {
    const { electron } = await launchReady();
    const child = electron.utilityProcess.children[0]!;
    const quitting = electron.fakeEvent();
    electron.app.emit('before-quit', quitting);
    expect(quitting.defaultPrevented).toBe(true);
    expect(child.posted).toContainEqual({ type: 'shutdown' });
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalledTimes(1));
    expect(electron.ipcMain.handlers.size).toBe(0);

    // The second before-quit (from that app.quit) goes through.
    const again = electron.fakeEvent();
    electron.app.emit('before-quit', again);
    expect(again.defaultPrevented).toBe(false);
  });
});
