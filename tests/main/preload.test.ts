import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import type * as ElectronMockModule from './electron-mock';
import type { StudioApi } from '../../src-main/shared/ipc-contract';

type ElectronMock = typeof ElectronMockModule;

/** Runs the preload afresh, as each new page does, and returns what it exposed. */
async function loadPreload(): Promise<{ electron: ElectronMock; studio: StudioApi }> {
  vi.resetModules();
  const electron = (await import('electron')) as unknown as ElectronMock;
  electron.resetElectronMock();
  await import('../../src-main/preload/index');
  return { electron, studio: electron.contextBridge.exposed.get('studio') as StudioApi };
}

let electron: ElectronMock;
let studio: StudioApi;

beforeEach(async () => {
  ({ electron, studio } = await loadPreload());
});

describe('preload', () => {
  it('exposes only `studio`, with only invoke and on', () => {
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['studio']);
    expect(Object.keys(studio).sort()).toEqual(['invoke', 'on']);
    // ipcRenderer (whose events carry `sender`) must not be reachable from the API object.
    const reachable = Object.values(studio);
    expect(reachable).not.toContain(electron.ipcRenderer);
  });

  it('forwards a contract channel to ipcRenderer.invoke and returns its answer', async () => {
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: null });
    const result = await studio.invoke('project:current', {});
    expect(result).toEqual({ ok: true, value: null });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('project:current', {});
  });

  it('refuses a channel outside the contract without touching IPC', async () => {
    const invoke = studio.invoke as (channel: string, request: unknown) => Promise<unknown>;
    for (const channel of ['shell:openExternal', 'toString', '__proto__']) {
      expect(await invoke(channel, {})).toMatchObject({
        ok: false,
        error: { code: 'invalid-payload', message: `Unknown channel "${channel}"` },
      });
    }
    expect(electron.ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('delivers event payloads without the IPC event, and unsubscribes', () => {
    const received: unknown[] = [];
    const unsubscribe = studio.on('labels:flushed', (payload) => received.push(payload));
    electron.ipcRenderer.emit('labels:flushed', { sender: electron.ipcRenderer }, { count: 2 });
    expect(received).toEqual([{ count: 2 }]);

    unsubscribe();
    electron.ipcRenderer.emit('labels:flushed', { sender: electron.ipcRenderer }, { count: 5 });
    expect(received).toEqual([{ count: 2 }]);
    expect(electron.ipcRenderer.listenerCount('labels:flushed')).toBe(0);
  });

  it('refuses to subscribe to an event outside the contract', () => {
    const on = studio.on as (event: string, listener: () => void) => () => void;
    expect(() => on('ipc:anything', () => undefined)).toThrow('Unknown event "ipc:anything"');
    expect(electron.ipcRenderer.eventNames()).toEqual([]);
  });
});
