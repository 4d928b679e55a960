/**
 * The app's window and the session rules that keep web content in its box (Electron's security
 * checklist): an isolated, sandboxed renderer without Node, a strict CSP on every response, no
 * navigation away from the app's page, no sub-frame navigation, no new windows, no webviews, no
 * permissions.
 */
import { BrowserWindow, type Session } from 'electron';
import type { RendererLocation } from './app-url';

/**
 * style-src allows inline styles because Svelte and Konva set element styles at run time. No
 * `file:` anywhere: the page is app://face-studio/ (or the dev server), images come over
 * studio-media:, and the page has no frames.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: studio-media:",
  "connect-src 'self'",
].join('; ');

/** Applies the CSP and denies every permission request (camera, notifications, …). */
export function hardenSession(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    // Drop any policy the server sent under another casing so ours is the only one.
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'content-security-policy') delete headers[name];
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export interface MainWindowOptions {
  renderer: RendererLocation;
  /** The built preload script (CommonJS, as a sandboxed preload must be). */
  preload: string;
  isAppUrl(url: string): boolean;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    title: 'Face Studio',
    // Shown on ready-to-show, so the user never sees an empty white frame.
    show: false,
    webPreferences: {
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      webviewTag: false,
      preload: options.preload,
    },
  });

  const contents = window.webContents;
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!options.isAppUrl(event.url)) event.preventDefault();
  });
  // Every frame's navigations, sub-frames included: the page has no frames, so any sub-frame
  // navigation is injected content and is refused; the main frame only goes to the app's page.
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame || !options.isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!options.isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());

  // The dev server's URL, or app://face-studio/index.html (handled by app-protocol.ts).
  window
    .loadURL(options.renderer.url)
    .catch((error: unknown) => console.error('[window] the renderer failed to load', error));
  return window;
}

/** Brings the window to the front (a second launch of the app lands here). */
export function focusWindow(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
