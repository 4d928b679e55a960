/**
 * All of Electron IPC in one place (STYLE §2): every channel of the contract is registered with
 * `ipcMain.handle`, each request must come from a frame of one of the app's windows showing the
 * app's own page, and `dispatch` validates the payload, calls the handler and maps errors.
 * Pushes to the renderer go through `broadcast`, which checks the payload against the contract.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { dispatch, type HandlerTable } from '../app/dispatch';
import {
  eventContract,
  invokeChannels,
  type EventChannel,
  type EventPayload,
  type InvokeChannel,
  type InvokeResult,
} from '../shared/ipc-contract';

export interface IpcOptions {
  /** The app-URL test shared with the navigation guard (see app-url.ts). */
  isAppUrl(url: string): boolean;
}

export interface StudioIpc {
  /** Sends an event to every app window; throws if the payload breaks the contract. */
  broadcast<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
  /** Removes every handler (tests, and a clean shutdown). */
  dispose(): void;
}

export function registerIpc(table: HandlerTable, options: IpcOptions): StudioIpc {
  const isTrustedSender = (event: IpcMainInvokeEvent): boolean => {
    // A window the app did not create (there should be none: window.open is denied) or a frame
    // that left the app's page (navigation is blocked, but a frame may still be an iframe or
    // gone) gets nothing.
    const frame = event.senderFrame;
    if (!frame || BrowserWindow.fromWebContents(event.sender) === null) return false;
    return options.isAppUrl(frame.url);
  };

  for (const channel of invokeChannels) {
    ipcMain.handle(
      channel,
      async (event, payload: unknown): Promise<InvokeResult<InvokeChannel>> => {
        if (!isTrustedSender(event)) {
          return {
            ok: false,
            error: {
              code: 'forbidden',
              message: `${channel} refused: the request did not come from the app's window`,
            },
          };
        }
        return dispatch(table, channel, payload);
      },
    );
  }

  return {
    broadcast(event, payload) {
      const parsed = eventContract[event].safeParse(payload);
      if (!parsed.success) {
        throw new Error(
          `Event ${event} payload does not match the contract: ${parsed.error.issues
            .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
            .join('; ')}`,
        );
      }
      for (const window of BrowserWindow.getAllWindows()) {
        const contents = window.webContents;
        if (window.isDestroyed() || contents.isDestroyed()) continue;
        if (!options.isAppUrl(contents.getURL())) continue;
        contents.send(event, parsed.data);
      }
    },
    dispose() {
      for (const channel of invokeChannels) ipcMain.removeHandler(channel);
    },
  };
}
