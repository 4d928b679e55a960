import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import {
  BrowserWindow,
  invokeFromRenderer,
  ipcMain,
  resetElectronMock,
  type FakeWebContents,
} from './electron-mock';
import { registerIpc } from '../../src-main/main/ipc';
import { isAppUrl, type RendererLocation } from '../../src-main/main/app-url';
import type { HandlerTable } from '../../src-main/app/dispatch';
import { invokeChannels, type InvokeChannel } from '../../src-main/shared/ipc-contract';

const renderer: RendererLocation = {
  kind: 'app-scheme',
  url: 'app://face-studio/index.html',
  rendererDir: '/opt/face-studio/out/renderer',
};
const APP_URL = 'app://face-studio/index.html';

function fakeTable() {
  const calls: { channel: InvokeChannel; request: unknown }[] = [];
  const table = Object.fromEntries(
    invokeChannels.map((channel) => [
      channel,
      async (request: unknown) => {
        calls.push({ channel, request });
        return null;
      },
    ]),
  ) as unknown as HandlerTable;
  return { table, calls };
}

function appWindow(url = APP_URL) {
  const window = new BrowserWindow({});
  window.webContents.navigatedTo(url);
  return window;
}

let calls: { channel: InvokeChannel; request: unknown }[];
let ipc: ReturnType<typeof registerIpc>;

beforeEach(() => {
  resetElectronMock();
  const fake = fakeTable();
  calls = fake.calls;
  ipc = registerIpc(fake.table, { isAppUrl: (url) => isAppUrl(renderer, url) });
});

describe('registerIpc', () => {
  it('registers every channel of the contract with ipcMain.handle, once', () => {
    const registered = ipcMain.handle.mock.calls.map(([channel]) => channel);
    expect(registered.sort()).toEqual([...invokeChannels].sort());
  });

  it("serves the app's own window", async () => {
    const window = appWindow();
    const result = await invokeFromRenderer(
      'project:current',
      {},
      {
        webContents: window.webContents,
        frameUrl: `${APP_URL}#/library`,
      },
    );
    expect(result).toEqual({ ok: true, value: null });
    expect(calls).toEqual([{ channel: 'project:current', request: {} }]);
  });

  it.each([
    ['a frame showing another page', 'https://evil.example/', true],
    ['a file:// page that is not the app', 'file:///home/user/Downloads/page.html', true],
    ['a frame that is gone', null, true],
    ['webContents that belong to no app window', APP_URL, false],
  ])('refuses %s with forbidden', async (_case, frameUrl, fromAppWindow) => {
    const webContents = fromAppWindow ? appWindow().webContents : { id: 999 };
    const result = await invokeFromRenderer(
      'project:open',
      { dir: '/tmp/p' },
      {
        webContents,
        frameUrl,
      },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(calls).toEqual([]);
  });

  it('answers an invalid payload with invalid-payload and never calls the handler', async () => {
    const window = appWindow();
    const result = await invokeFromRenderer(
      'project:open',
      { dir: 42 },
      {
        webContents: window.webContents,
        frameUrl: APP_URL,
      },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect((result as { error: { message: string } }).error.message).toMatch(/project:open.*dir/);
    expect(calls).toEqual([]);
  });

  it('dispose removes every handler', () => {
    ipc.dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });
});

describe('broadcast', () => {
  it('sends a valid event to app windows only', () => {
    const mine = appWindow();
    const elsewhere = appWindow('https://example.com/');
    ipc.broadcast('labels:flushed', { count: 3 });
    expect((mine.webContents as FakeWebContents).sent).toEqual([
      { channel: 'labels:flushed', payload: { count: 3 } },
    ]);
    expect(elsewhere.webContents.sent).toEqual([]);
  });

  it('refuses a payload that breaks the contract and sends nothing', () => {
    const mine = appWindow();
    expect(() => ipc.broadcast('labels:flushed', { count: -1 })).toThrow(
      /labels:flushed payload does not match the contract: count/,
    );
    expect(mine.webContents.sent).toEqual([]);
  });
});
