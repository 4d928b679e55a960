/**
 * The bridge's media route, `/media/<kind>/<imageId>`: parses the path and asks the shared
 * resolver (core/library/media.ts) for the open project's file.
 */
import type { ProjectSession } from '../core/project-session';
import type { ProjectStore } from '../core/project-store';
import { parseMediaRequest, resolveMedia } from '../core/library/media';
import type { MediaBody, MediaKind } from '../core/library/media';

export type { MediaBody, MediaKind };

const MEDIA_PATH = /^\/media\/([a-z]+)\/([^/]+)$/;

export function parseMediaPath(urlPath: string): { kind: MediaKind; imageId: string } | null {
  const match = MEDIA_PATH.exec(urlPath);
  return match ? parseMediaRequest(match[1]!, match[2]!) : null;
}

/**
 * The body to send, or null when no project is open, it lists no such image, or (with a projects
 * root) the image really lies outside the root.
 */
export async function findMediaFile(
  session: ProjectSession,
  kind: MediaKind,
  imageId: string,
  projectsRoot?: string,
): Promise<MediaBody | null> {
  let store: ProjectStore | null = null;
  try {
    store = session.require();
  } catch {
    return null;
  }
  return resolveMedia(store, kind, imageId, projectsRoot ? { confineTo: projectsRoot } : {});
}
