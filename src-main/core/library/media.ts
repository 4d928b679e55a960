/**
 * What the renderer's `<img>` tags load: an image of the open project or its thumbnail, found by
 * the image's id in the project's index (never by a path from the request), so the media routes
 * (the bridge's GET /media/…, Electron's `studio-media://`) reach only files the project lists.
 * A missing thumbnail is made on first request (imports may leave them for later); BMP and PPM,
 * which browsers do not show, are converted to PNG.
 *
 * An image is served from where it really is (symlinks resolved). A host that confines the studio
 * to a folder (`serve --projects-root`) passes it as `confineTo`, and an image whose real path
 * lies outside it is not served, even when the project lists it (a symlink placed or changed since
 * the import, or a project written by the CLI that references files elsewhere).
 */
import { realpath, stat } from 'node:fs/promises';
import type { ProjectStore } from '../project-store';
import { liesInside, realPathOrNull } from '../real-path';
import type { ImageFormat } from './image-formats';
import { openImage } from './image-source';
import { imageFileOf, thumbnailDirOf } from './library-service';
import { thumbnailPath, writeThumbnail } from './thumbnails';

export type MediaKind = 'thumb' | 'image';

export type MediaBody =
  | { kind: 'file'; file: string; size: number; contentType: string }
  | { kind: 'bytes'; bytes: Buffer; contentType: string };

const IMAGE_ID = /^[0-9a-f]{64}$/;

const SERVED_AS_IS: Partial<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** `thumb/<id>` or `image/<id>` (leading slashes ignored) → kind and id, or null. */
export function parseMediaRequest(
  kind: string,
  imageId: string,
): { kind: MediaKind; imageId: string } | null {
  if ((kind !== 'thumb' && kind !== 'image') || !IMAGE_ID.test(imageId)) return null;
  return { kind, imageId };
}

/**
 * How long the page must have asked for no image or thumbnail before background work goes on:
 * longer than the gap between two thumbnails the page loads in a row (a few ms), short enough
 * that the work resumes soon after the user stops (thumbnails-ahead.ts, missing-images.ts).
 */
export const MEDIA_QUIET_MS = 500;

/** Media requests being answered now, when the last one ended, and who waits for none. */
let inFlight = 0;
let lastEnded = Number.NEGATIVE_INFINITY;
let idleWaiters: (() => void)[] = [];

/**
 * Resolves once no media request has been answered for `quietMs` (nor, given `since`, a
 * `performance.now()` time such as a project's opening, has it been less than `quietMs` since
 * then): background work yields to the page's. The page asks for thumbnails a few at a time,
 * each right after the last came back, so waiting only while one is being answered would slip a
 * background thumbnail into every gap (thumbnails-ahead.ts).
 */
export async function whenMediaQuiet(
  quietMs: number,
  since = Number.NEGATIVE_INFINITY,
): Promise<void> {
  for (;;) {
    if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    const left = Math.max(lastEnded, since) + quietMs - performance.now();
    if (left <= 0 && inFlight === 0) return;
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
}

/** The bytes to send, or null when no project is open, it lists no such image, or it is gone. */
export async function resolveMedia(
  store: ProjectStore | null,
  kind: MediaKind,
  imageId: string,
  options: { confineTo?: string } = {},
): Promise<MediaBody | null> {
  inFlight += 1;
  try {
    return await resolveMediaNow(store, kind, imageId, options);
  } finally {
    inFlight -= 1;
    lastEnded = performance.now();
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}

async function resolveMediaNow(
  store: ProjectStore | null,
  kind: MediaKind,
  imageId: string,
  options: { confineTo?: string },
): Promise<MediaBody | null> {
  if (!store || store.closed || !IMAGE_ID.test(imageId)) return null;
  const record = store.getImage(imageId);
  if (!record) return null;
  const source = await realPathOrNull(imageFileOf(store, record));
  if (source === null) return null;
  if (options.confineTo !== undefined) {
    const root = await realpath(options.confineTo).catch(() => null);
    if (root === null || !liesInside(root, source)) return null;
  }
  try {
    if (kind === 'thumb') {
      const target = thumbnailPath(thumbnailDirOf(store), imageId);
      if (!(await isFile(target))) {
        await writeThumbnail((await openImage(source)).pipeline(), thumbnailDirOf(store), imageId);
      }
      return fileBody(target, 'image/webp');
    }
    const image = await openImage(source);
    const contentType = SERVED_AS_IS[image.format];
    if (contentType) return fileBody(source, contentType);
    return {
      kind: 'bytes',
      bytes: await image.pipeline().png().toBuffer(),
      contentType: 'image/png',
    };
  } catch {
    // Moved, deleted or corrupt since the import: the grid shows an empty cell, not an error.
    return null;
  }
}

async function fileBody(file: string, contentType: string): Promise<MediaBody | null> {
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? { kind: 'file', file, size: info.size, contentType } : null;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false;
}
