/**
 * The browser bridge: the same contract as Electron IPC, over HTTP and a WebSocket on loopback.
 *
 *   GET  /, /assets/…   the built renderer (token in the query once, then a cookie)
 *   POST /api/invoke    {channel, payload} → dispatch() → InvokeResult JSON (token header)
 *   WS   /api/events    pushes {event, payload} for eventContract events (token in the query)
 *
 * Every request passes RequestGuard (token, Host, Origin) first. Used by `face-studio serve` and
 * by the end-to-end tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatch, type HandlerTable } from '../app/dispatch';
import {
  eventContract,
  type EventChannel,
  type EventPayload,
  type IpcError,
} from '../shared/ipc-contract';
import { confineProjectDirs } from './project-confinement';
import { newAccessToken, RequestGuard, type Refusal } from './request-guard';
import { parseMediaPath, type MediaBody, type MediaKind } from './media-files';
import { lookupStaticFile, sendFile } from './static-files';

export interface BridgeOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Loopback only; the CLI refuses anything else. */
  host?: string;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  handlers: HandlerTable;
  /** Defaults to a fresh random token per launch. */
  token?: string;
  /** When set, project folders must lie inside it (see project-confinement.ts). */
  projectsRoot?: string;
  /** Largest invoke body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Finds the file behind GET /media/<kind>/<imageId> (see media-files.ts); none: 404. */
  media?: (kind: MediaKind, imageId: string) => Promise<MediaBody | null>;
  /**
   * Awaited after an invoke's body is read and before it is dispatched, with a signal that aborts
   * when the client goes away. None in the app: the tests hold it to close a connection at exactly
   * that point and see the request dropped.
   */
  beforeDispatch?: (clientGone: AbortSignal) => Promise<void>;
}

export interface Bridge {
  /** The address to open, token included. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly token: string;
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
  close(): Promise<void>;
}

/** Invoke requests are small JSON (a face's landmarks at most); 1 MiB leaves ample room. */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** `img-src data: blob:` for thumbnails and canvases; `ws:` for the events socket. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // The page URL carries the token: never leak it in a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly ipcError: IpcError,
  ) {
    super(ipcError.message);
  }
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newAccessToken();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const handlers = options.projectsRoot
    ? confineProjectDirs(options.handlers, options.projectsRoot)
    : options.handlers;

  // The guard needs the port, which a random port only has after listen().
  let guard: RequestGuard | null = null;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  // The page never sends anything on the events socket; ignore it rather than act on it.
  sockets.on('connection', (socket: WebSocket) => socket.on('message', () => undefined));

  const server = createServer((request, response) => {
    if (!guard) return refuse(response, { status: 403, reason: 'Not ready' });
    handleRequest(request, response, guard).catch(() => {
      if (!response.headersSent) sendJson(response, 500, internalError('Request failed'));
      else response.destroy();
    });
  });

  async function handleRequest(
    request: IncomingMessage,
    response: ServerResponse,
    guard: RequestGuard,
  ): Promise<void> {
    const siteRefusal = guard.checkSite(request);
    if (siteRefusal) return refuse(response, siteRefusal);
    const url = new URL(request.url ?? '/', 'http://studio.invalid');

    if (url.pathname === '/api/invoke') {
      const refusal = guard.checkToken(guard.headerToken(request));
      if (refusal) return refuse(response, refusal);
      if (request.method !== 'POST') {
        response.setHeader('Allow', 'POST');
        return sendJson(response, 405, failure('invalid-payload', 'Use POST for /api/invoke'));
      }
      return handleInvoke(request, response);
    }
    if (url.pathname.startsWith('/api/')) {
      const refusal = guard.checkToken(guard.headerToken(request));
      if (refusal) return refuse(response, refusal);
      return sendJson(response, 404, failure('not-found', `No API at ${url.pathname}`));
    }
    return handleStatic(request, response, url, guard);
  }

  async function handleInvoke(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The page aborts requests it has left behind (a grid page scrolled past): its connection
    // closes. One whose client is gone by the time its body is read is not served at all.
    const clientGone = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) clientGone.abort();
    });
    try {
      const contentType = request.headers['content-type'] ?? '';
      // Only JSON: a form or text/plain post is what a cross-site page could send without asking.
      if (!/^application\/json\b/i.test(contentType)) {
        throw new HttpError(415, {
          code: 'invalid-payload',
          message: 'Send the request as application/json',
        });
      }
      const body = await readJsonBody(request, maxBodyBytes);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpError(400, {
          code: 'invalid-payload',
          message: 'Expected a JSON object {channel, payload}',
        });
      }
      const { channel, payload } = body as { channel?: unknown; payload?: unknown };
      await options.beforeDispatch?.(clientGone.signal);
      if (clientGone.signal.aborted) return;
      const result = await dispatch(handlers, channel, payload);
      if (!clientGone.signal.aborted) sendJson(response, 200, result);
    } catch (error) {
      if (error instanceof HttpError) {
        // A half-read oversized body: close the connection instead of reading the rest.
        if (error.status === 413) response.setHeader('Connection', 'close');
        return sendJson(response, error.status, { ok: false, error: error.ipcError });
      }
      throw error;
    }
  }

  async function handleStatic(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    guard: RequestGuard,
  ): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return refuseText(response, 405, 'Method not allowed');
    }
    const queryToken = url.searchParams.get('token');
    const refusal = guard.checkToken(queryToken ?? guard.cookieToken(request));
    if (refusal) {
      return refuseText(
        response,
        refusal.status,
        `${refusal.reason}. Open the address printed by \`face-studio serve\`; it carries the token.`,
      );
    }
    if (url.pathname.startsWith('/media/')) {
      const media = parseMediaPath(url.pathname);
      const body = media && options.media ? await options.media(media.kind, media.imageId) : null;
      if (!body) return refuseText(response, 404, 'Not found');
      // Content-addressed (the id is the bytes' sha256): safe to cache for the session.
      const headers = {
        ...SECURITY_HEADERS,
        'Content-Type': body.contentType,
        'Cache-Control': 'private, max-age=3600',
      };
      if (body.kind === 'file') return sendFile(response, body, request.method === 'HEAD', headers);
      response.writeHead(200, { ...headers, 'Content-Length': String(body.bytes.length) });
      response.end(request.method === 'HEAD' ? undefined : body.bytes);
      return;
    }
    const found = await lookupStaticFile(options.rendererDir, url.pathname);
    if (found.kind === 'forbidden') return refuseText(response, 403, 'Forbidden path');
    if (found.kind === 'not-found') return refuseText(response, 404, 'Not found');
    const headers: Record<string, string> = { ...SECURITY_HEADERS };
    if (found.file.endsWith('.html')) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    if (queryToken) headers['Set-Cookie'] = guard.cookieHeader(token);
    sendFile(response, found, request.method === 'HEAD', headers);
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = upgradeRefusal(request);
    if (refusal) {
      socket.end(
        `HTTP/1.1 ${refusal.status} ${statusText(refusal.status)}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  function upgradeRefusal(request: IncomingMessage): Refusal | null {
    if (!guard) return { status: 403, reason: 'Not ready' };
    const siteRefusal = guard.checkSite(request);
    if (siteRefusal) return siteRefusal;
    const url = new URL(request.url ?? '/', 'http://studio.invalid');
    if (url.pathname !== '/api/events') return { status: 403, reason: 'No socket here' };
    return guard.checkToken(url.searchParams.get('token'));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  guard = new RequestGuard(token, host, port);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    host,
    token,
    emit(event, payload) {
      // Validate here so a bad push fails in the server, where it is a bug, not in every page.
      const message = JSON.stringify({ event, payload: eventContract[event].parse(payload) });
      for (const client of sockets.clients) {
        if (client.readyState === client.OPEN) client.send(message);
      }
    },
    close: () => closeServer(server, sockets),
  };
}

async function closeServer(server: Server, sockets: WebSocketServer): Promise<void> {
  for (const client of sockets.clients) client.terminate();
  await new Promise<void>((resolve) => sockets.close(() => resolve()));
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * Reads at most `limit` bytes. Past the limit it stops keeping data and answers 413 at once; the
 * rest of the body drains into nothing and the connection closes after the reply.
 */
function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      request.resume();
      return reject(tooLarge(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let overflowed = false;
    request.on('data', (chunk: Buffer) => {
      if (overflowed) return;
      size += chunk.length;
      if (size > limit) {
        overflowed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (overflowed) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(
          new HttpError(400, { code: 'invalid-payload', message: 'The request body is not JSON' }),
        );
      }
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, {
    code: 'invalid-payload',
    message: `The request body is larger than ${limit} bytes`,
  });
}

function failure(code: IpcError['code'], message: string) {
  return { ok: false, error: { code, message } } as const;
}

function internalError(message: string) {
  return failure('internal', message);
}

function refuse(response: ServerResponse, refusal: Refusal): void {
  sendJson(response, refusal.status, failure('forbidden', refusal.reason));
}

function refuseText(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
  response.end(`${message}\n`);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
  });
  response.end(text);
}

function statusText(status: number): string {
  return status === 401 ? 'Unauthorized' : 'Forbidden';
}
