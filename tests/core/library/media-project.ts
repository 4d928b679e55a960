/**
 * A small project for the media-route tests (bridge and Electron protocol): one image per format
 * the routes treat differently — JPEG, PNG and WebP are served as they are, BMP and PPM become PNG.
 * Images are imported with lazy thumbnails, so the routes also make a thumbnail on first request.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { importIntoProject } from '../../../src-main/core/library/library-service';
import { THUMBNAIL_SIZE } from '../../../src-main/core/library/thumbnails';
import type { ProjectSession } from '../../../src-main/core/project-session';
import { DATA, encodeBmp } from './test-images';

export const MEDIA_FILES = {
  jpeg: 'face.jpg',
  png: 'face.png',
  webp: 'face.webp',
  bmp: 'face.bmp',
  ppm: 'takeo.ppm',
} as const;

export type MediaFormat = keyof typeof MEDIA_FILES;

const HELEN_IMAGE = path.join(DATA, '300w-helen', 'test', '296814969_3.jpg');
const TAKEO = path.join(DATA, 'fixtures', 'takeo.ppm');

/** Creates a project in `projectDir` through the session and imports the five images; ids by format. */
export async function createMediaProject(
  session: ProjectSession,
  projectDir: string,
  imagesDir: string,
): Promise<Record<MediaFormat, string>> {
  await mkdir(imagesDir, { recursive: true });
  const face = sharp(await readFile(HELEN_IMAGE)).resize(160);
  await copyFile(HELEN_IMAGE, path.join(imagesDir, MEDIA_FILES.jpeg));
  await face.clone().png().toFile(path.join(imagesDir, MEDIA_FILES.png));
  await face.clone().webp().toFile(path.join(imagesDir, MEDIA_FILES.webp));
  const { data, info } = await face
    .clone()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  await writeFile(
    path.join(imagesDir, MEDIA_FILES.bmp),
    encodeBmp(new Uint8Array(data), info.width, info.height, 24),
  );
  await copyFile(TAKEO, path.join(imagesDir, MEDIA_FILES.ppm));

  await session.create(projectDir, {
    name: 'Media',
    landmarkSchema: 'ibug68',
    attributeSchema: null,
  });
  const store = session.require();
  const outcome = await importIntoProject(store, {
    dir: imagesDir,
    format: 'images',
    thumbnails: 'lazy',
  });
  if (outcome.added !== 5) {
    throw new Error(`expected 5 images imported, got ${JSON.stringify(outcome)}`);
  }
  const byName = new Map(store.listImages().map((image) => [path.basename(image.path), image.id]));
  const ids = {} as Record<MediaFormat, string>;
  for (const [format, name] of Object.entries(MEDIA_FILES) as [MediaFormat, string][]) {
    const id = byName.get(name);
    if (id === undefined) throw new Error(`${name} is not in the project`);
    ids[format] = id;
  }
  return ids;
}

/** The first bytes that identify each format a route may send. */
export function sniff(bytes: Uint8Array): 'jpeg' | 'png' | 'webp' | 'other' {
  const b = Buffer.from(bytes);
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'png';
  }
  if (b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    return 'webp';
  return 'other';
}

/**
 * A thumbnail's size for an image of `width`×`height`: its longer side brought down to
 * THUMBNAIL_SIZE (never up), the other in proportion. The shorter side may be rounded either way.
 */
export function thumbnailSizeOf(
  width: number,
  height: number,
): { long: number; short: number; landscape: boolean } {
  const scale = Math.min(1, THUMBNAIL_SIZE / Math.max(width, height));
  return {
    long: Math.round(Math.max(width, height) * scale),
    short: Math.min(width, height) * scale,
    landscape: width >= height,
  };
}
