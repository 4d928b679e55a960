import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import {
  BrowserWindow,
  fakeEvent,
  resetElectronMock,
  session,
  type FakeWebContents,
} from './electron-mock';
import {
  CONTENT_SECURITY_POLICY,
  createMainWindow,
  focusWindow,
  hardenSession,
} from '../../src-main/main/window';
import type { BrowserWindow as ElectronWindow, Session } from 'electron';

const APP_FILE = '/opt/face-studio/out/renderer/index.html';
const isAppUrl = (url: string) => url.startsWith(`file://${APP_FILE}`);

function openWindow() {
  const window = createMainWindow({
    renderer: { kind: 'file', file: APP_FILE },
    preload: '/opt/face-studio/out/preload/index.cjs',
    isAppUrl,
  }) as unknown as BrowserWindow;
  return { window, contents: window.webContents as FakeWebContents };
}

beforeEach(() => resetElectronMock());

describe('createMainWindow', () => {
  it('creates an isolated, sandboxed window without Node and with web security', () => {
    const { window } = openWindow();
    expect(BrowserWindow.instances).toHaveLength(1);
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      webviewTag: false,
      preload: '/opt/face-studio/out/preload/index.cjs',
    });
    expect(window.loaded).toEqual({ file: APP_FILE });
  });

  it('loads the dev server URL in development', () => {
    const window = createMainWindow({
      renderer: { kind: 'dev-server', url: 'http://localhost:5173/' },
      preload: '/p.cjs',
      isAppUrl,
    }) as unknown as BrowserWindow;
    expect(window.loaded).toEqual({ url: 'http://localhost:5173/' });
  });

  it('blocks navigation and redirects away from the app, and allows the app itself', () => {
    const { contents } = openWindow();
    for (const name of ['will-navigate', 'will-redirect']) {
      const away = fakeEvent('https://example.com/');
      contents.emit(name, away, away.url);
      expect(away.defaultPrevented, name).toBe(true);

      const inApp = fakeEvent(`file://${APP_FILE}#/labelling`);
      contents.emit(name, inApp, inApp.url);
      expect(inApp.defaultPrevented, name).toBe(false);
    }
  });

  it('denies window.open and webviews', () => {
    const { contents } = openWindow();
    expect(contents.windowOpenHandler?.({ url: `file://${APP_FILE}` })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
      action: 'deny',
    });
    const attach = fakeEvent();
    contents.emit('will-attach-webview', attach);
    expect(attach.defaultPrevented).toBe(true);
  });

  it('shows the window only when it is ready, and focusWindow restores a minimised one', () => {
    const { window } = openWindow();
    expect(window.shown).toBe(false);
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);

    window.minimized = true;
    focusWindow(window as unknown as ElectronWindow);
    expect(window.minimized).toBe(false);
    expect(window.focused).toBe(true);
  });
});

describe('hardenSession', () => {
  const harden = () => hardenSession(session.defaultSession as unknown as Session);

  it('sets a strict CSP on every response, replacing any the server sent', () => {
    harden();
    const listener = session.defaultSession.headersListener;
    expect(listener).not.toBeNull();
    let headers: Record<string, string[]> | undefined;
    listener?.(
      {
        url: 'http://localhost:5173/',
        responseHeaders: {
          'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
          'Content-Type': ['text/html'],
        },
      },
      (response) => (headers = response.responseHeaders),
    );
    expect(headers?.['Content-Type']).toEqual(['text/html']);
    expect(headers?.['content-security-policy']).toBeUndefined();
    expect(headers?.['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);

    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    expect(Object.fromEntries(directives)).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
      'style-src': "'self' 'unsafe-inline'",
      'img-src': "'self' data: blob: file: studio-media:",
      'connect-src': "'self'",
    });
    // Nothing that would let injected markup run code.
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });

  it('denies every permission request and check', () => {
    harden();
    const granted: boolean[] = [];
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) {
      session.defaultSession.permissionRequestHandler?.({}, permission, (ok) => granted.push(ok));
    }
    expect(granted).toEqual([false, false, false, false]);
    expect(session.defaultSession.permissionCheckHandler?.({}, 'media')).toBe(false);
  });
});
