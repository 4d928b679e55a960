/**
 * Where the renderer is loaded from, and the one test of "is this URL the app's own page?" that
 * the IPC sender check and the navigation guard share.
 *
 * - Development (`electron-vite dev`, not packaged): the dev server URL in ELECTRON_RENDERER_URL,
 *   accepted only on a loopback host so a stray environment variable cannot load a remote site.
 * - Otherwise: out/renderer/index.html, loaded with file://.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type RendererLocation = { kind: 'dev-server'; url: string } | { kind: 'file'; file: string };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function rendererLocation(options: {
  isPackaged: boolean;
  env: NodeJS.ProcessEnv;
  /** The built renderer's index.html. */
  indexHtml: string;
}): RendererLocation {
  const devUrl = options.env.ELECTRON_RENDERER_URL;
  if (!options.isPackaged && devUrl) {
    const url = new URL(devUrl);
    if (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      LOOPBACK_HOSTS.has(url.hostname)
    ) {
      return { kind: 'dev-server', url: url.href };
    }
    throw new Error(`ELECTRON_RENDERER_URL must be a loopback http(s) URL, got ${devUrl}`);
  }
  return { kind: 'file', file: path.resolve(options.indexHtml) };
}

/** True when `url` is the app's page: same dev-server origin, or the built index.html itself. */
export function isAppUrl(location: RendererLocation, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (location.kind === 'dev-server') return parsed.origin === new URL(location.url).origin;
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  // Query and hash are the page's own state (routes); only the file decides.
  parsed.search = '';
  parsed.hash = '';
  return path.resolve(fileURLToPath(parsed)) === location.file;
}
