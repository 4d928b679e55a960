/**
 * The first check of an import, before any file is hashed: the folder exists, is not empty, and
 * (for plain images) holds at least one image file. It stops at the first image found, so it is
 * quick even on a tree of 100,000 files; the app runs it before it starts the background job, so
 * a wrong folder is refused at once rather than by a job that finds nothing.
 * A labelled set that reads as no images at all is refused by `requireSomeImages`.
 */
import { readdir, stat } from 'node:fs/promises';
import type { ImportFormat } from '../../shared/library';
import { StudioError } from '../../shared/errors';
import { scanImageFiles } from './scan';

/** What each format expects in the folder, for the message when it finds nothing. */
const EXPECTED: Readonly<Record<ImportFormat, string>> = {
  images: 'image files (JPEG, PNG, WebP, BMP or PPM) in it or its subfolders',
  pts: 'NAME.pts files, each beside its image NAME.jpg (or .png)',
  coco: 'a COCO keypoints annotations.json and the images it names',
  mtfl: 'training.txt and testing.txt with the images they name',
  celeba: 'list_attr_celeba.txt and the images it names',
  dlib: 'dlib .xml files and the images they name',
  yolo: 'data.yaml, images/ and labels/',
  'class-folders': 'one folder per expression class holding its images (<folder>/<class>/<image>)',
  studio: 'studio-labels.json and the images it names',
};

export function expectedInput(format: ImportFormat): string {
  return EXPECTED[format];
}

export async function checkImportSource(dir: string, format: ImportFormat): Promise<void> {
  const info = await stat(dir).catch((error: unknown) => {
    throw new StudioError('not-found', `${dir} does not exist or cannot be read`, {
      cause: error,
    });
  });
  if (!info.isDirectory()) return;
  const entries = await readdir(dir).catch((error: unknown) => {
    throw new StudioError('io', `Cannot list the folder ${dir}`, { cause: error });
  });
  if (entries.every((name) => name.startsWith('.'))) {
    throw new StudioError(
      'invalid-payload',
      `${dir} is empty: nothing to import (expected ${EXPECTED[format]})`,
    );
  }
  if (format !== 'images') return;
  const files = scanImageFiles([dir]);
  const first = await files.next();
  await files.return(undefined);
  if (first.done) {
    throw new StudioError(
      'invalid-payload',
      `${dir} holds no image files: nothing to import (expected ${EXPECTED.images})`,
    );
  }
}

/** A labelled set that names no image at all is the wrong folder or the wrong format. */
export function requireSomeImages(dir: string, format: ImportFormat, count: number): void {
  if (count > 0) return;
  throw new StudioError(
    'invalid-payload',
    `${dir} holds no images labelled as ${format}: nothing to import (expected ${EXPECTED[format]})`,
  );
}
