/**
 * Serves the built renderer (out/renderer) and nothing else: a request path is decoded, resolved
 * under the renderer folder (core/static-path.ts) and refused if it lands outside it (`..`, encoded
 * slashes, symlinks).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { contentTypeFor, isInside, resolveStaticPath } from '../core/static-path';

export type StaticLookup =
  { kind: 'file'; file: string; size: number } | { kind: 'not-found' } | { kind: 'forbidden' };

/**
 * Maps a URL path (still percent-encoded) to a file inside `rootDir`. `/` means index.html.
 * Symlinks are followed and the real target must also be inside the real root.
 */
export async function lookupStaticFile(rootDir: string, urlPath: string): Promise<StaticLookup> {
  const resolved = resolveStaticPath(rootDir, urlPath);
  if (resolved.kind === 'forbidden') return resolved;
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(resolved.file), realpath(resolved.root)]);
  } catch {
    return { kind: 'not-found' };
  }
  if (!isInside(realRoot, real)) return { kind: 'forbidden' };
  const info = await stat(real);
  if (!info.isFile()) return { kind: 'not-found' };
  return { kind: 'file', file: real, size: info.size };
}

/** Streams a file found by `lookupStaticFile`; `extraHeaders` carry CSP and cookies. */
export function sendFile(
  response: ServerResponse,
  found: { file: string; size: number },
  headOnly: boolean,
  extraHeaders: Record<string, string | string[]> = {},
): void {
  response.writeHead(200, {
    'Content-Type': contentTypeFor(found.file),
    'Content-Length': String(found.size),
    // The page is rebuilt between launches and the token changes: never serve a stale copy.
    'Cache-Control': 'no-cache',
    ...extraHeaders,
  });
  if (headOnly) {
    response.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}
