/**
 * Electron's side of the media routes: `studio-media://thumb/<id>` and `studio-media://image/<id>`
 * answer with the open project's thumbnail or image through the shared resolver
 * (core/library/media.ts), the same one the bridge's GET /media/… uses. The scheme is registered
 * as privileged (standard, secure) before the app is ready, as Electron requires
 * (privileged-schemes.ts), and the CSP's img-src names it.
 */
import { readFile } from 'node:fs/promises';
import { protocol, type CustomScheme } from 'electron';
import type { ProjectSession } from '../core/project-session';
import type { ProjectStore } from '../core/project-store';
import { parseMediaRequest, resolveMedia } from '../core/library/media';

export const MEDIA_SCHEME = 'studio-media';

/** Registered with the app's scheme by privileged-schemes.ts, before the app is ready. */
export const MEDIA_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: MEDIA_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** Call once the app is ready. */
export function handleMediaRequests(session: ProjectSession): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const media = parseMediaRequest(url.hostname, url.pathname.replace(/^\/+/, ''));
    let store: ProjectStore | null = null;
    try {
      store = session.require();
    } catch {
      store = null;
    }
    const body = media ? await resolveMedia(store, media.kind, media.imageId) : null;
    if (!body) return new Response('Not found', { status: 404 });
    const bytes = body.kind === 'file' ? await readFile(body.file) : body.bytes;
    return new Response(new Uint8Array(bytes), {
      headers: { 'Content-Type': body.contentType, 'Cache-Control': 'private, max-age=3600' },
    });
  });
}
