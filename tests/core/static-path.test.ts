import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, isInside, resolveStaticPath } from '../../src-main/core/static-path';

const ROOT = path.resolve('/opt/face-studio/out/renderer');

describe('resolveStaticPath', () => {
  it.each([
    ['/', 'index.html'],
    ['', 'index.html'],
    ['/index.html', 'index.html'],
    ['/assets/index-abc.js', 'assets/index-abc.js'],
    ['/assets/a%20b.css', 'assets/a b.css'],
    ['//etc/passwd', 'etc/passwd'],
    ['/assets/../index.html', 'index.html'],
    // Only leading slashes go: a path without one keeps every separator.
    ['assets/index-abc.js', 'assets/index-abc.js'],
    ['/assets//a.css', 'assets/a.css'],
  ])('%s → a path inside the folder: %s', (urlPath, relative) => {
    expect(resolveStaticPath(ROOT, urlPath)).toEqual({
      kind: 'path',
      root: ROOT,
      file: path.join(ROOT, relative),
    });
  });

  it.each([
    '/..',
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/a\\b.js',
    '/index.html%00.js',
    '/%E0%A4%A',
    // The folder itself is not a file.
    '/.',
  ])('%s is refused', (urlPath) => {
    expect(resolveStaticPath(ROOT, urlPath)).toEqual({ kind: 'forbidden' });
  });
});

describe('isInside', () => {
  it('is strictly below the root', () => {
    expect(isInside(ROOT, path.join(ROOT, 'a.js'))).toBe(true);
    // A name that starts with two dots is a name, not a step up.
    expect(isInside(ROOT, path.join(ROOT, '..a.js'))).toBe(true);
    expect(isInside(ROOT, ROOT)).toBe(false);
    expect(isInside(ROOT, `${ROOT}-other/a.js`)).toBe(false);
    expect(isInside(ROOT, path.dirname(ROOT))).toBe(false);
  });
});

describe('contentTypeFor', () => {
  it('names what the renderer build emits and falls back to bytes', () => {
    expect(contentTypeFor('index.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('a.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('b.wasm')).toBe('application/wasm');
    expect(contentTypeFor('c.exe')).toBe('application/octet-stream');
    expect(contentTypeFor('no-extension')).toBe('application/octet-stream');
  });

  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['a.js', 'text/javascript; charset=utf-8'],
    ['a.mjs', 'text/javascript; charset=utf-8'],
    ['a.css', 'text/css; charset=utf-8'],
    ['a.json', 'application/json; charset=utf-8'],
    ['a.js.map', 'application/json; charset=utf-8'],
    ['a.svg', 'image/svg+xml'],
    ['a.png', 'image/png'],
    ['a.jpg', 'image/jpeg'],
    ['a.JPEG', 'image/jpeg'],
    ['a.webp', 'image/webp'],
    ['a.gif', 'image/gif'],
    ['favicon.ico', 'image/x-icon'],
    ['a.woff', 'font/woff'],
    ['a.woff2', 'font/woff2'],
    ['a.ttf', 'font/ttf'],
    ['ort.wasm', 'application/wasm'],
    ['LICENSE.txt', 'text/plain; charset=utf-8'],
  ])('%s is served as %s', (file, type) => {
    expect(contentTypeFor(file)).toBe(type);
  });
});
