/**
 * The browser bridge against raw HTTP and WebSocket clients: the token, Host and Origin checks,
 * static files that cannot escape the renderer folder, invoke errors, events, and the projects
 * root. Raw `http.request` is used because fetch normalises `..` and forbids a custom Host.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../../src-main/server/bridge';
import type { ProjectSummary } from '../../src-main/shared/domain';
import { stubHandlers } from './stub-handlers';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function raw(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const SECRET = 'top secret outside the renderer';
let workDir: string;
let rendererDir: string;

beforeAll(async () => {
  workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'bridge-test-')));
  rendererDir = path.join(workDir, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Studio</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1);');
  await writeFile(path.join(rendererDir, 'assets', 'style.css'), 'body{}');
  await writeFile(path.join(workDir, 'secret.txt'), SECRET);
  await symlink(path.join(workDir, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('bridge without a projects root', () => {
  let bridge: Bridge;
  const seenDirs: string[] = [];

  beforeAll(async () => {
    bridge = await startBridge({
      port: 0,
      rendererDir,
      handlers: stubHandlers(seenDirs),
      maxBodyBytes: 2048,
    });
  });
  afterAll(async () => {
    await bridge.close();
  });

  const invokeHeaders = () => ({
    'content-type': 'application/json',
    'x-studio-token': bridge.token,
  });

  it('prints a loopback URL that carries a long random token', () => {
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=${bridge.token}`);
    expect(bridge.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  describe('the page and its assets', () => {
    it('refuses the page without a token (401) and with a wrong one (403)', async () => {
      const missing = await raw(bridge.port, { path: '/' });
      expect(missing.status).toBe(401);
      expect(missing.body).not.toContain('<title>Studio');
      const wrong = await raw(bridge.port, { path: '/?token=not-the-token' });
      expect(wrong.status).toBe(403);
    });

    it('serves index.html for / with the token, a strict CSP and an HttpOnly SameSite cookie', async () => {
      const page = await raw(bridge.port, { path: `/?token=${bridge.token}` });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<title>Studio</title>');
      const csp = page.headers['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      const cookie = page.headers['set-cookie']?.[0] ?? '';
      expect(cookie).toContain(`=${bridge.token}`);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
    });

    it('serves assets with their MIME type once the cookie is set, and not without it', async () => {
      const page = await raw(bridge.port, { path: `/?token=${bridge.token}` });
      const cookie = (page.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
      const script = await raw(bridge.port, { path: '/assets/app.js', headers: { cookie } });
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.body).toBe('console.log(1);');
      const style = await raw(bridge.port, { path: '/assets/style.css', headers: { cookie } });
      expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
      expect((await raw(bridge.port, { path: '/assets/app.js' })).status).toBe(401);
      const forged = { cookie: `studio_token_${bridge.port}=forged` };
      expect((await raw(bridge.port, { path: '/assets/app.js', headers: forged })).status).toBe(
        403,
      );
    });

    it('refuses paths that leave the renderer folder, however they are spelled', async () => {
      const withToken = (p: string) => `${p}?token=${bridge.token}`;
      for (const attempt of [
        '/../secret.txt',
        '/assets/../../secret.txt',
        '/..%2fsecret.txt',
        '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
        '/assets/link.txt',
        '/%00index.html',
        '/..%5csecret.txt',
      ]) {
        const response = await raw(bridge.port, { path: withToken(attempt) });
        expect([403, 404], attempt).toContain(response.status);
        expect(response.body, attempt).not.toContain(SECRET);
      }
      expect((await raw(bridge.port, { path: withToken('/..%2fsecret.txt') })).status).toBe(403);
      expect((await raw(bridge.port, { path: withToken('/assets/link.txt') })).status).toBe(403);
      expect((await raw(bridge.port, { path: withToken('/nothing.js') })).status).toBe(404);
      expect((await raw(bridge.port, { path: withToken('/assets') })).status).toBe(404);
    });
  });

  describe('Host and Origin', () => {
    it('refuses a Host that is not loopback with our port (DNS rebinding)', async () => {
      const path = `/?token=${bridge.token}`;
      const rebound = await raw(bridge.port, {
        path,
        headers: { host: `evil.example:${bridge.port}` },
      });
      expect(rebound.status).toBe(403);
      const otherPort = await raw(bridge.port, { path, headers: { host: '127.0.0.1:1' } });
      expect(otherPort.status).toBe(403);
      const localhost = await raw(bridge.port, {
        path,
        headers: { host: `localhost:${bridge.port}` },
      });
      expect(localhost.status).toBe(200);
    });

    it('refuses a cross-origin invoke even with the right token', async () => {
      const body = JSON.stringify({ channel: 'system:info', payload: {} });
      const evil = await raw(bridge.port, {
        method: 'POST',
        path: '/api/invoke',
        headers: { ...invokeHeaders(), origin: 'http://evil.example' },
        body,
      });
      expect(evil.status).toBe(403);
      expect(JSON.parse(evil.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const same = await raw(bridge.port, {
        method: 'POST',
        path: '/api/invoke',
        headers: { ...invokeHeaders(), origin: `http://127.0.0.1:${bridge.port}` },
        body,
      });
      expect(same.status).toBe(200);
    });
  });

  describe('POST /api/invoke', () => {
    const post = (headers: Record<string, string>, body: string) =>
      raw(bridge.port, { method: 'POST', path: '/api/invoke', headers, body });
    const infoBody = JSON.stringify({ channel: 'system:info', payload: {} });

    it('refuses a missing token (401) and a wrong one (403)', async () => {
      const missing = await post({ 'content-type': 'application/json' }, infoBody);
      expect(missing.status).toBe(401);
      const wrong = await post({ ...invokeHeaders(), 'x-studio-token': 'x'.repeat(32) }, infoBody);
      expect(wrong.status).toBe(403);
    });

    it('does not accept the cookie alone: invoke needs the header', async () => {
      const cookie = `studio_token_${bridge.port}=${bridge.token}`;
      const response = await post({ 'content-type': 'application/json', cookie }, infoBody);
      expect(response.status).toBe(401);
    });

    it('dispatches a valid request with the token', async () => {
      const response = await post(invokeHeaders(), infoBody);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({
        ok: true,
        value: { version: '9.9.9', mode: 'browser', backend: null, backendError: null },
      });
    });

    it('answers invalid-payload for an unknown channel or a payload that fails validation', async () => {
      const unknown = await post(
        invokeHeaders(),
        JSON.stringify({ channel: 'fs:read', payload: {} }),
      );
      expect(JSON.parse(unknown.body)).toMatchObject({
        ok: false,
        error: { code: 'invalid-payload', message: expect.stringContaining('fs:read') },
      });
      const badDir = await post(
        invokeHeaders(),
        JSON.stringify({ channel: 'project:open', payload: { dir: 42 } }),
      );
      expect(JSON.parse(badDir.body)).toMatchObject({
        ok: false,
        error: { code: 'invalid-payload', message: expect.stringContaining('dir') },
      });
      expect(seenDirs).toEqual([]);
    });

    it('refuses bodies that are not a JSON object, not JSON, or too large', async () => {
      const notJson = await post(invokeHeaders(), '{nope');
      expect(notJson.status).toBe(400);
      expect(JSON.parse(notJson.body).error.code).toBe('invalid-payload');
      const array = await post(invokeHeaders(), '[1,2]');
      expect(array.status).toBe(400);
      const textPlain = await post({ ...invokeHeaders(), 'content-type': 'text/plain' }, infoBody);
      expect(textPlain.status).toBe(415);
      const huge = JSON.stringify({
        channel: 'project:open',
        payload: { dir: 'd'.repeat(4096) },
      });
      const tooLarge = await post(invokeHeaders(), huge);
      expect(tooLarge.status).toBe(413);
      expect(JSON.parse(tooLarge.body).error.message).toContain('2048 bytes');
    });

    it('answers 405 to other methods', async () => {
      const get = await raw(bridge.port, { path: '/api/invoke', headers: invokeHeaders() });
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe('POST');
    });
  });

  describe('the events WebSocket', () => {
    const sockets: WebSocket[] = [];
    afterEach(() => {
      for (const socket of sockets.splice(0)) socket.terminate();
    });

    function connect(query: string, headers: Record<string, string> = {}) {
      const socket = new WebSocket(`ws://127.0.0.1:${bridge.port}/api/events${query}`, { headers });
      sockets.push(socket);
      return socket;
    }

    function refusalStatus(socket: WebSocket): Promise<number> {
      return new Promise((resolve, reject) => {
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => reject(new Error('the socket opened')));
        socket.on('error', () => undefined);
      });
    }

    it('refuses a socket without the token, with a wrong one, or from another origin', async () => {
      expect(await refusalStatus(connect(''))).toBe(401);
      expect(await refusalStatus(connect('?token=wrong'))).toBe(403);
      const crossSite = connect(`?token=${bridge.token}`, { origin: 'http://evil.example' });
      expect(await refusalStatus(crossSite)).toBe(403);
    });

    it('pushes emitted events as {event, payload} to connected pages', async () => {
      const socket = connect(`?token=${bridge.token}`);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const received = new Promise<unknown>((resolve) =>
        socket.once('message', (data) => resolve(JSON.parse(String(data)))),
      );
      bridge.emit('labels:flushed', { count: 3 });
      expect(await received).toEqual({ event: 'labels:flushed', payload: { count: 3 } });
    });

    it('refuses to push a payload its event does not allow', () => {
      expect(() => bridge.emit('labels:flushed', { count: -1 })).toThrow();
    });
  });
});

describe('bridge with a projects root', () => {
  let bridge: Bridge;
  let root: string;
  let outside: string;
  const seenDirs: string[] = [];

  beforeAll(async () => {
    root = path.join(workDir, 'projects');
    outside = path.join(workDir, 'elsewhere');
    await mkdir(root, { recursive: true });
    await mkdir(outside, { recursive: true });
    await symlink(outside, path.join(root, 'escape-link'));
    bridge = await startBridge({
      port: 0,
      rendererDir,
      handlers: stubHandlers(seenDirs),
      projectsRoot: root,
    });
  });
  afterAll(async () => {
    await bridge.close();
  });

  async function invoke(channel: string, payload: unknown) {
    const response = await raw(bridge.port, {
      method: 'POST',
      path: '/api/invoke',
      headers: { 'content-type': 'application/json', 'x-studio-token': bridge.token },
      body: JSON.stringify({ channel, payload }),
    });
    return JSON.parse(response.body) as
      { ok: true; value: ProjectSummary } | { ok: false; error: { code: string; message: string } };
  }

  /** The answer to a folder outside the projects root. */
  const OUTSIDE_ROOT = {
    ok: false,
    error: { code: 'forbidden', message: expect.stringContaining('outside the projects folder') },
  };

  it('creates inside the root, resolving a relative folder against it', async () => {
    const created = await invoke('project:create', { dir: 'helen', name: 'Helen' });
    expect(created).toMatchObject({ ok: true, value: { dir: path.join(root, 'helen') } });
    const nested = await invoke('project:open', { dir: path.join(root, 'a', 'b') });
    expect(nested).toMatchObject({ ok: true, value: { dir: path.join(root, 'a', 'b') } });
  });

  it('refuses folders outside the root: absolute, climbing out, via a symlink, or the root itself', async () => {
    const before = seenDirs.length;
    for (const dir of [outside, '../elsewhere', 'helen/../../elsewhere', 'escape-link/new', root]) {
      for (const [channel, payload] of [
        ['project:create', { dir, name: 'X' }],
        ['project:open', { dir }],
      ] as const) {
        expect(await invoke(channel, payload), `${channel} ${dir}`).toMatchObject(OUTSIDE_ROOT);
      }
    }
    expect(seenDirs.length).toBe(before);
  });

  it('confines the folders an import reads and an export writes in the same way', async () => {
    await mkdir(path.join(root, 'helen', 'images'), { recursive: true });
    const imported = await invoke('library:importFolder', {
      dir: 'helen/images',
      format: 'images',
      curate: false,
    });
    expect(imported).toMatchObject({ ok: true, value: { jobId: 'job' } });
    const exported = await invoke('library:export', { format: 'pts', outDir: 'helen/export' });
    expect(exported).toMatchObject({
      ok: true,
      value: { outDir: path.join(root, 'helen', 'export') },
    });
    expect(seenDirs.slice(-2)).toEqual([
      path.join(root, 'helen', 'images'),
      path.join(root, 'helen', 'export'),
    ]);

    const before = seenDirs.length;
    for (const dir of [outside, '../elsewhere', 'helen/../../elsewhere', 'escape-link', root]) {
      for (const [channel, payload] of [
        ['library:importFolder', { dir, format: 'images', curate: false }],
        ['library:export', { format: 'pts', outDir: dir }],
      ] as const) {
        expect(await invoke(channel, payload), `${channel} ${dir}`).toMatchObject(OUTSIDE_ROOT);
      }
    }
    expect(seenDirs.length).toBe(before);
  });
});

describe('an invoke whose client left before its dispatch', () => {
  let bridge: Bridge;
  let statsCalls = 0;
  /** The next invoke waits here after its body is read; each test arms it. */
  let hold: { entered: () => void; release: Promise<void>; gone: AbortSignal | null } | null = null;

  beforeAll(async () => {
    const handlers = stubHandlers([]);
    bridge = await startBridge({
      port: 0,
      rendererDir,
      handlers: {
        ...handlers,
        'library:stats': (payload) => {
          statsCalls += 1;
          return handlers['library:stats'](payload);
        },
      },
      beforeDispatch: async (clientGone) => {
        const held = hold;
        if (held === null) return;
        hold = null;
        held.gone = clientGone;
        held.entered();
        await held.release;
      },
    });
  });
  afterAll(async () => {
    await bridge.close();
  });

  /** Arms the hold; resolves `entered` once an invoke's body has been read and it waits there. */
  function armHold() {
    let entered!: () => void;
    let release!: () => void;
    const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
    const held = {
      entered,
      release: new Promise<void>((resolve) => (release = resolve)),
      gone: null as AbortSignal | null,
    };
    hold = held;
    return { held, entered: enteredPromise, release };
  }

  /** A stats invoke whose body is sent whole; the request object, to close its connection. */
  function sendStats() {
    const body = JSON.stringify({ channel: 'library:stats', payload: {} });
    const req = httpRequest({
      host: '127.0.0.1',
      port: bridge.port,
      method: 'POST',
      path: '/api/invoke',
      headers: { 'content-type': 'application/json', 'x-studio-token': bridge.token },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.end(body);
    return { req, answered };
  }

  it('dispatches a held request whose client stayed, once released', async () => {
    statsCalls = 0;
    const { held, entered, release } = armHold();
    const { answered } = sendStats();
    await entered;
    expect(statsCalls).toBe(0);
    expect(held.gone?.aborted).toBe(false);
    release();
    expect(await answered).toBe(200);
    expect(statsCalls).toBe(1);
  });

  it('never dispatches a request whose connection closed after its body was read', async () => {
    statsCalls = 0;
    const { held, entered, release } = armHold();
    const { req, answered } = sendStats();
    answered.catch(() => undefined);
    await entered;
    // The page aborts its fetch: the connection closes while the request waits for dispatch.
    req.destroy();
    const gone = held.gone!;
    if (!gone.aborted) await new Promise((resolve) => gone.addEventListener('abort', resolve));
    release();
    // A request sent after it is answered after the dropped one went on from the hold.
    const later = sendStats();
    expect(await later.answered).toBe(200);
    expect(statsCalls).toBe(1);
  });
});
