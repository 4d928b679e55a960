import { describe, expect, it } from 'vitest';
import { isAppUrl, rendererLocation } from '../../src-main/main/app-url';

const INDEX = '/opt/face-studio/out/renderer/index.html';

describe('rendererLocation', () => {
  it('uses the built index.html when packaged, even if a dev URL is set', () => {
    expect(
      rendererLocation({
        isPackaged: true,
        env: { ELECTRON_RENDERER_URL: 'http://localhost:5173' },
        indexHtml: INDEX,
      }),
    ).toEqual({ kind: 'file', file: INDEX });
  });

  it('uses a loopback dev server URL in development', () => {
    expect(
      rendererLocation({
        isPackaged: false,
        env: { ELECTRON_RENDERER_URL: 'http://localhost:5173' },
        indexHtml: INDEX,
      }),
    ).toEqual({ kind: 'dev-server', url: 'http://localhost:5173/' });
  });

  it('refuses a dev server URL that is not on this machine', () => {
    expect(() =>
      rendererLocation({
        isPackaged: false,
        env: { ELECTRON_RENDERER_URL: 'https://cdn.example.com/app' },
        indexHtml: INDEX,
      }),
    ).toThrow(/loopback/);
  });
});

describe('isAppUrl', () => {
  const file = { kind: 'file', file: INDEX } as const;
  const dev = { kind: 'dev-server', url: 'http://localhost:5173/' } as const;

  it.each([
    [file, `file://${INDEX}`, true],
    [file, `file://${INDEX}?x=1#/labelling`, true],
    [file, 'file:///opt/face-studio/out/renderer/other.html', false],
    [file, 'file:///opt/face-studio/out/renderer/../renderer/index.html', true],
    [file, `file://remote-host${INDEX}`, false],
    [file, 'https://example.com/', false],
    [file, 'not a url', false],
    [dev, 'http://localhost:5173/src/main.ts', true],
    [dev, 'http://localhost:5174/', false],
    [dev, 'http://127.0.0.1:5173/', false],
    [dev, `file://${INDEX}`, false],
  ])('$0.kind: $1 is the app: $2', (location, url, expected) => {
    expect(isAppUrl(location, url)).toBe(expected);
  });
});
