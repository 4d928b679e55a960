/**
 * The built renderer's files by URL path, for the two hosts that serve them: `serve`'s HTTP
 * bridge (server/static-files.ts) and Electron's app:// scheme (main/app-protocol.ts). A path is
 * decoded, resolved under the folder and refused if it lands outside it (`..`, encoded slashes,
 * backslashes, NUL); `/` means index.html.
 */
import path from 'node:path';
import { relativeInside } from './real-path';

/** What the renderer build emits; anything else is served as bytes the browser won't sniff. */
const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticPath = { kind: 'path'; root: string; file: string } | { kind: 'forbidden' };

/** Maps a URL path (still percent-encoded) to a path inside `rootDir`, without touching the disk. */
export function resolveStaticPath(rootDir: string, urlPath: string): StaticPath {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'forbidden' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'forbidden' };
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  if (!isInside(root, file)) return { kind: 'forbidden' };
  return { kind: 'path', root, file };
}

/** True when `candidate` is strictly below `root` (both absolute). */
export function isInside(root: string, candidate: string): boolean {
  const relative = relativeInside(root, candidate);
  return relative !== null && relative !== '';
}
