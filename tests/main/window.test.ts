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

const APP_PAGE = 'app://face-studio/index.html';
const isAppUrl = (url: string) => url.startsWith(APP_PAGE);

function openWindow() {
  const window = createMainWindow({
    renderer: { kind: 'app-scheme', url: APP_PAGE, rendererDir: '/opt/face-studio/out/renderer' },
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
    // Over the app's own scheme, never file://.
    expect(window.loaded).toEqual({ url: APP_PAGE });
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

      const inApp = fakeEvent(`${APP_PAGE}#/labelling`);
      contents.emit(name, inApp, inApp.url);
      expect(inApp.defaultPrevented, name).toBe(false);
    }
  });

  it('refuses every sub-frame navigation, and main-frame navigation away from the app', () => {
    const { contents } = openWindow();
    const frameNavigation = (url: string, isMainFrame: boolean) => {
      const event = { ...fakeEvent(url), isMainFrame };
      contents.emit('will-frame-navigate', event);
      return event.defaultPrevented;
    };
    // The page has no frames: a sub-frame is injected content, even one showing the app's page.
    expect(frameNavigation(APP_PAGE, false)).toBe(true);
    expect(frameNavigation('https://example.com/', false)).toBe(true);
    expect(frameNavigation('app://face-studio/assets/index.js', false)).toBe(true);
    expect(frameNavigation('https://example.com/', true)).toBe(true);
    expect(frameNavigation('file:///etc/passwd', true)).toBe(true);
    expect(frameNavigation(`${APP_PAGE}#/library`, true)).toBe(false);
  });

  it('denies window.open and webviews', () => {
    const { contents } = openWindow();
    expect(contents.windowOpenHandler?.({ url: APP_PAGE })).toEqual({ action: 'deny' });
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
      'frame-src': "'none'",
      'style-src': "'self' 'unsafe-inline'",
      'img-src': "'self' data: blob: studio-media:",
      'connect-src': "'self'",
    });
    // Nothing that would let injected markup run code, and no local files by URL.
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/file:/);
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
