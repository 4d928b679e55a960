/**
 * Electron's app:// scheme against the mocked electron module and a real folder: the built
 * renderer's files with the app's CSP, and nothing outside the folder.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import { protocol, resetElectronMock } from './electron-mock';
import { handleAppRequests, serveRendererFile } from '../../src-main/main/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../src-main/main/window';

const SECRET = 'a file beside the renderer folder, never to be served';
let workDir: string;
let rendererDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'app-protocol-'));
  rendererDir = path.join(workDir, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><title>Face Studio</title>',
  );
  await writeFile(path.join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1);');
  await writeFile(path.join(workDir, 'secret.txt'), SECRET);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

beforeEach(() => resetElectronMock());

const fetchApp = (url: string, method = 'GET') =>
  serveRendererFile(rendererDir, new Request(url, { method }));

describe('app://face-studio/', () => {
  it('is handled by one handler for the app scheme once the app is ready', async () => {
    handleAppRequests(rendererDir);
    const handler = protocol.handlers.get('app');
    expect(handler).toBeDefined();
    const response = await handler!(new Request('app://face-studio/index.html'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Face Studio</title>');
  });

  it('serves the page and its assets with their types, the CSP and nosniff', async () => {
    const page = await fetchApp('app://face-studio/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    const script = await fetchApp('app://face-studio/assets/index-abc.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1);');

    // `/` is the page; HEAD answers without a body.
    expect(await (await fetchApp('app://face-studio/')).text()).toContain('Face Studio');
    const head = await fetchApp('app://face-studio/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses paths that lead out of the renderer folder', async () => {
    for (const url of [
      'app://face-studio/..%2fsecret.txt',
      'app://face-studio/%2e%2e%2fsecret.txt',
      'app://face-studio/assets/..%2f..%2fsecret.txt',
      'app://face-studio/..%5csecret.txt',
      'app://face-studio/index.html%00.js',
      'app://face-studio/%E0%A4%A',
    ]) {
      const response = await fetchApp(url);
      expect(response.status, url).toBe(403);
      expect(await response.text(), url).not.toContain(SECRET);
    }
    // Absolute paths, encoded, are read as paths inside the folder: nothing there.
    for (const url of [
      'app://face-studio/%2fetc%2fpasswd',
      `app://face-studio/${encodeURIComponent(path.join(workDir, 'secret.txt'))}`,
    ]) {
      const response = await fetchApp(url);
      expect(response.status, url).toBe(404);
      expect(await response.text(), url).not.toContain(SECRET);
    }
    // A literal `..` never reaches the handler as such: the URL parser resolves it inside the origin.
    const dotted = await fetchApp('app://face-studio/../secret.txt');
    expect(dotted.status).toBe(404);
    expect(await dotted.text()).not.toContain(SECRET);
  });

  it('answers 404 to other hosts, missing files and folders, 405 to writes', async () => {
    expect((await fetchApp('app://evil.example/index.html')).status).toBe(404);
    expect((await fetchApp('app://face-studio/missing.js')).status).toBe(404);
    expect((await fetchApp('app://face-studio/assets')).status).toBe(404);
    expect((await fetchApp('app://face-studio/index.html', 'POST')).status).toBe(405);
  });

  it("the page's own policy (src-renderer/index.html) names no file: source either", async () => {
    const html = await readFile(
      fileURLToPath(new URL('../../src-renderer/index.html', import.meta.url)),
      'utf8',
    );
    const policy = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(policy).toMatch(/default-src 'self'/);
    expect(policy).not.toMatch(/file:/);
  });
});
