/**
 * The one stand-in for the `electron` module (the binary is not installed here). Each test file
 * does `vi.mock('electron', () => import('./electron-mock'))` and calls `resetElectronMock()` in
 * `beforeEach`. It keeps just enough behaviour to observe what main, ipc.ts, window.ts and the
 * preload ask Electron for: registered handlers, window options, event listeners, exposed APIs.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

/** What a listener of a cancellable Electron event receives. */
export interface FakeEvent {
  url: string;
  defaultPrevented: boolean;
  preventDefault(): void;
}

export function fakeEvent(url = ''): FakeEvent {
  return {
    url,
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

let nextWebContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  url = '';
  destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  readonly sent: { channel: string; payload: unknown }[] = [];
  readonly mainFrame = { url: '', parent: null };

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }) {
    this.windowOpenHandler = handler;
  }
  getURL() {
    return this.url;
  }
  isDestroyed() {
    return this.destroyed;
  }
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  /** Test helper: the page now shows `url`. */
  navigatedTo(url: string) {
    this.url = url;
    this.mainFrame.url = url;
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = [];
  static getAllWindows() {
    return BrowserWindow.instances.filter((w) => !w.destroyed);
  }
  static fromWebContents(contents: unknown) {
    return BrowserWindow.instances.find((w) => w.webContents === contents) ?? null;
  }

  readonly webContents = new FakeWebContents();
  destroyed = false;
  minimized = false;
  shown = false;
  focused = false;
  loaded: { url?: string; file?: string } | null = null;

  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
  }
  loadURL(url: string) {
    this.loaded = { url };
    this.webContents.navigatedTo(url);
    return Promise.resolve();
  }
  loadFile(file: string) {
    this.loaded = { file };
    this.webContents.navigatedTo(new URL(`file://${file}`).href);
    return Promise.resolve();
  }
  isDestroyed() {
    return this.destroyed;
  }
  isMinimized() {
    return this.minimized;
  }
  restore() {
    this.minimized = false;
  }
  show() {
    this.shown = true;
  }
  focus() {
    this.focused = true;
  }
}

type InvokeHandler = (event: unknown, payload: unknown) => Promise<unknown>;

export const ipcMain = {
  handlers: new Map<string, InvokeHandler>(),
  handle: vi.fn((channel: string, handler: InvokeHandler) => {
    if (ipcMain.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    ipcMain.handlers.set(channel, handler);
  }),
  removeHandler: vi.fn((channel: string) => {
    ipcMain.handlers.delete(channel);
  }),
};

/**
 * Test helper: what `ipcRenderer.invoke` would trigger in main. The sender is a window's
 * webContents (or any object, for a foreign one) and the frame URL the request comes from.
 */
export function invokeFromRenderer(
  channel: string,
  payload: unknown,
  sender: { webContents: unknown; frameUrl: string | null },
): Promise<unknown> {
  const handler = ipcMain.handlers.get(channel);
  if (!handler) throw new Error(`No handler registered for ${channel}`);
  const senderFrame = sender.frameUrl === null ? null : { url: sender.frameUrl };
  return handler({ sender: sender.webContents, senderFrame }, payload);
}

type ProtocolHandler = (request: Request) => Promise<Response>;

/** Custom schemes: what main registers as privileged and the handler it gives each. */
export const protocol = {
  privileged: [] as { scheme: string; privileges?: Record<string, boolean> }[],
  handlers: new Map<string, ProtocolHandler>(),
  registerSchemesAsPrivileged: vi.fn((schemes: { scheme: string }[]) => {
    protocol.privileged.push(...schemes);
  }),
  handle: vi.fn((scheme: string, handler: ProtocolHandler) => {
    protocol.handlers.set(scheme, handler);
  }),
};

class FakeIpcRenderer extends EventEmitter {
  invoke = vi.fn(async (_channel: string, _payload: unknown): Promise<unknown> => undefined);
}
export const ipcRenderer = new FakeIpcRenderer();

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    contextBridge.exposed.set(key, api);
  }),
};

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
) => void;

class FakeSession {
  headersListener: HeadersListener | null = null;
  permissionRequestHandler:
    ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null =
    null;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null;
  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener) => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: FakeSession['permissionRequestHandler']) {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheckHandler']) {
    this.permissionCheckHandler = handler;
  }
}
export const session: { defaultSession: FakeSession } = { defaultSession: new FakeSession() };

class FakeApp extends EventEmitter {
  isPackaged = false;
  singleInstanceLock = true;
  userData = '/tmp/face-studio-mock/userData';
  private markReady: () => void = () => undefined;
  private ready = this.freshReady();

  requestSingleInstanceLock = vi.fn(() => this.singleInstanceLock);
  enableSandbox = vi.fn();
  quit = vi.fn();
  exit = vi.fn();
  getVersion = vi.fn(() => '0.1.0-test');
  getPath = vi.fn((name: string) => {
    if (name !== 'userData') throw new Error(`mock app.getPath: unexpected ${name}`);
    return this.userData;
  });
  whenReady = vi.fn(() => this.ready);

  /** Test helper: Electron finished initialising. */
  becomeReady() {
    this.markReady();
  }
  reset() {
    this.removeAllListeners();
    this.isPackaged = false;
    this.singleInstanceLock = true;
    this.ready = this.freshReady();
    for (const fn of [this.requestSingleInstanceLock, this.enableSandbox, this.quit, this.exit]) {
      fn.mockClear();
    }
    this.getVersion.mockClear();
    this.getPath.mockClear();
    this.whenReady.mockClear();
  }
  private freshReady() {
    return new Promise<void>((resolve) => (this.markReady = resolve));
  }
}
export const app = new FakeApp();

export const dialog = {
  showOpenDialog: vi.fn(
    async (..._args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> => ({
      canceled: true,
      filePaths: [],
    }),
  ),
};

class FakeUtilityProcess extends EventEmitter {
  readonly posted: unknown[] = [];
  postMessage(message: unknown) {
    this.posted.push(message);
    // Behaves like the real training process: a shutdown request ends it with code 0.
    if ((message as { type?: unknown }).type === 'shutdown') {
      setImmediate(() => this.emit('exit', 0));
    }
  }
  kill = vi.fn(() => {
    setImmediate(() => this.emit('exit', 9));
    return true;
  });
}
export const utilityProcess = {
  children: [] as FakeUtilityProcess[],
  fork: vi.fn((_modulePath: string, _args?: string[], _options?: unknown) => {
    const child = new FakeUtilityProcess();
    utilityProcess.children.push(child);
    return child;
  }),
};

/**
 * Fresh state for the next test. Objects are emptied in place, not replaced, because the code
 * under test holds the same references through its `import { app } from 'electron'`.
 */
export function resetElectronMock(): void {
  BrowserWindow.instances = [];
  ipcMain.handlers.clear();
  ipcMain.handle.mockClear();
  protocol.privileged = [];
  protocol.handlers.clear();
  protocol.registerSchemesAsPrivileged.mockClear();
  protocol.handle.mockClear();
  ipcMain.removeHandler.mockClear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoke.mockReset();
  contextBridge.exposed.clear();
  contextBridge.exposeInMainWorld.mockClear();
  session.defaultSession = new FakeSession();
  app.reset();
  dialog.showOpenDialog.mockClear();
  utilityProcess.children = [];
  utilityProcess.fork.mockClear();
}

export default {
  app,
  BrowserWindow,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  session,
  utilityProcess,
};
