/**
 * Where the renderer is loaded from, and the one test of "is this URL the app's own page?" that
 * the IPC sender check and the navigation guard share.
 *
 * - Development (`electron-vite dev`, not packaged): the dev server URL in ELECTRON_RENDERER_URL,
 *   accepted only on a loopback host so a stray environment variable cannot load a remote site.
 * - Otherwise: the built out/renderer/ folder, served over the privileged `app://face-studio/`
 *   scheme (app-protocol.ts) rather than file://, so the page is an origin of its own and no
 *   file: source is in its CSP (docs/ARCHITECTURE.md, "Layers and processes").
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'face-studio';
/** The page the window loads in the built app. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

export type RendererLocation =
  { kind: 'dev-server'; url: string } | { kind: 'app-scheme'; url: string; rendererDir: string };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function rendererLocation(options: {
  isPackaged: boolean;
  env: NodeJS.ProcessEnv;
  /** The built renderer's folder (index.html and its assets). */
  rendererDir: string;
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
  return { kind: 'app-scheme', url: APP_PAGE_URL, rendererDir: path.resolve(options.rendererDir) };
}

/** True when `url` is the app's page: same dev-server origin, or app://face-studio/index.html. */
export function isAppUrl(location: RendererLocation, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (location.kind === 'dev-server') return parsed.origin === new URL(location.url).origin;
  // Query and hash are the page's own state (routes); only the page decides.
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host === APP_HOST &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.pathname === new URL(APP_PAGE_URL).pathname
  );
}
