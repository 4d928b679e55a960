/**
 * The preload: exposes exactly one object, `window.studio`, built from the contract
 * (docs/ARCHITECTURE.md, "The contract"). The page gets `invoke` and `on` for known channels only;
 * `ipcRenderer` and its events (whose
 * `sender` reaches all of IPC) never cross the bridge.
 *
 * It runs in a sandboxed renderer, where `require` offers little beyond 'electron': electron-vite
 * bundles it, zod included, into one CommonJS file.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  eventContract,
  isInvokeChannel,
  type EventChannel,
  type EventPayload,
  type InvokeResult,
  type StudioApi,
} from '../shared/ipc-contract';

function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && Object.hasOwn(eventContract, value);
}

const api: StudioApi = {
  invoke(channel, request) {
    if (!isInvokeChannel(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'invalid-payload', message: `Unknown channel ${JSON.stringify(channel)}` },
      });
    }
    return ipcRenderer.invoke(channel, request) as Promise<InvokeResult<typeof channel>>;
  },
  on(event, listener) {
    if (!isEventChannel(event)) throw new Error(`Unknown event ${JSON.stringify(event)}`);
    const forward = (_event: IpcRendererEvent, payload: unknown) =>
      listener(payload as EventPayload<typeof event>);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
};

contextBridge.exposeInMainWorld('studio', api);
