/**
 * Electron's side of `app://face-studio/…`: the built renderer's files, served from out/renderer
 * (inside app.asar once packaged) and nothing else. A path that leads out of the folder is refused
 * with 403 (core/static-path.ts, the same confinement `serve` uses), other hosts and missing files
 * get 404, and every answer carries the app's CSP, so the policy holds even where a session's
 * header hook does not see custom-scheme responses.
 */
import { readFile } from 'node:fs/promises';
import { protocol, type CustomScheme } from 'electron';
import { contentTypeFor, resolveStaticPath } from '../core/static-path';
import { APP_HOST, APP_SCHEME } from './app-url';
import { CONTENT_SECURITY_POLICY } from './window';

/**
 * standard: relative URLs and an origin of its own; secure: a secure context like https;
 * supportFetchAPI: module scripts and fetch work; codeCache: V8 caches the page's scripts.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

/** Call once the app is ready. */
export function handleAppRequests(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => serveRendererFile(rendererDir, request));
}

function refusal(status: 403 | 404 | 405, text: string): Response {
  return new Response(text, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
  });
}

export async function serveRendererFile(rendererDir: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return refusal(404, 'Not found');
  if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, 'Read only');
  const resolved = resolveStaticPath(rendererDir, url.pathname);
  if (resolved.kind === 'forbidden') return refusal(403, 'Outside the app');
  let bytes: Buffer;
  try {
    bytes = await readFile(resolved.file);
  } catch {
    // Missing, or a folder.
    return refusal(404, 'Not found');
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(bytes), {
    headers: {
      'Content-Type': contentTypeFor(resolved.file),
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    },
  });
}
