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
import { whileMediaAnswered } from './media-quiet';
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

/** The bytes to send, or null when no project is open, it lists no such image, or it is gone. */
export async function resolveMedia(
  store: ProjectStore | null,
  kind: MediaKind,
  imageId: string,
  options: { confineTo?: string } = {},
): Promise<MediaBody | null> {
  return whileMediaAnswered(() => resolveMediaNow(store, kind, imageId, options));
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
      // One stat for a thumbnail made already (the grid's common case: it asks for dozens at once).
      const made = await fileBody(target, 'image/webp');
      if (made) return made;
      await writeThumbnail((await openImage(source)).pipeline(), thumbnailDirOf(store), imageId);
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
