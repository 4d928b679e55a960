import { describe, expect, it } from 'vitest';
import { APP_PAGE_URL, isAppUrl, rendererLocation } from '../../src-main/main/app-url';

const RENDERER = '/opt/face-studio/out/renderer';

describe('rendererLocation', () => {
  it('serves the built renderer over app:// when packaged, even if a dev URL is set', () => {
    expect(
      rendererLocation({
        isPackaged: true,
        env: { ELECTRON_RENDERER_URL: 'http://localhost:5173' },
        rendererDir: RENDERER,
      }),
    ).toEqual({ kind: 'app-scheme', url: 'app://face-studio/index.html', rendererDir: RENDERER });
  });

  it('serves the built renderer over app:// when not packaged and no dev server runs', () => {
    const location = rendererLocation({ isPackaged: false, env: {}, rendererDir: RENDERER });
    expect(location).toEqual({ kind: 'app-scheme', url: APP_PAGE_URL, rendererDir: RENDERER });
    expect(location.url).not.toMatch(/^file:/);
  });

  it('uses a loopback dev server URL in development', () => {
    expect(
      rendererLocation({
        isPackaged: false,
        env: { ELECTRON_RENDERER_URL: 'http://localhost:5173' },
        rendererDir: RENDERER,
      }),
    ).toEqual({ kind: 'dev-server', url: 'http://localhost:5173/' });
  });

  it('refuses a dev server URL that is not on this machine', () => {
    expect(() =>
      rendererLocation({
        isPackaged: false,
        env: { ELECTRON_RENDERER_URL: 'https://cdn.example.com/app' },
        rendererDir: RENDERER,
      }),
    ).toThrow(/loopback/);
  });
});

describe('isAppUrl', () => {
  const app = { kind: 'app-scheme', url: APP_PAGE_URL, rendererDir: RENDERER } as const;
  const dev = { kind: 'dev-server', url: 'http://localhost:5173/' } as const;

  it.each([
    [app, 'app://face-studio/index.html', true],
    [app, 'app://face-studio/index.html?x=1#/labelling', true],
    [app, 'app://face-studio/sub/../index.html', true],
    [app, 'app://face-studio/other.html', false],
    [app, 'app://face-studio/assets/index.js', false],
    [app, 'app://other-host/index.html', false],
    [app, 'app://user:pw@face-studio/index.html', false],
    [app, `file://${RENDERER}/index.html`, false],
    [app, 'studio-media://face-studio/index.html', false],
    [app, 'https://example.com/', false],
    [app, 'not a url', false],
    [dev, 'http://localhost:5173/src/main.ts', true],
    [dev, 'http://localhost:5174/', false],
    [dev, 'http://127.0.0.1:5173/', false],
    [dev, APP_PAGE_URL, false],
  ])('$0.kind: $1 is the app: $2', (location, url, expected) => {
    expect(isAppUrl(location, url)).toBe(expected);
  });
});
