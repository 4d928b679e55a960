/**
 * Which of a project's images pre-training learns from (docs/ARCHITECTURE.md, "Training recipe"):
 * the pool and train splits, less the images curation flagged as having no face, each with its
 * curation crop box (or the whole image when it has no face record). val and test stay unseen.
 */
import path from 'node:path';
import type { FaceSource } from '../../engine/data/project-faces';
import type { ImageRecord } from '../../shared/domain';
import type { ProjectStore } from '../../core/project-store';
import { readProjectSnapshot } from './project-snapshot';

/** Whether pre-training learns from this image. */
function isPretrainSource(image: ImageRecord): boolean {
  return (image.split === 'pool' || image.split === 'train') && !image.flags?.includes('no-face');
}

export function pretrainSources(projectDir: string, images: readonly ImageRecord[]): FaceSource[] {
  return images.filter(isPretrainSource).map((r) => ({
    file: path.resolve(projectDir, r.path),
    width: r.width,
    height: r.height,
    crop: r.face?.crop ?? null,
  }));
}

/**
 * How many images pre-training learns from, without building their sources (the Train view's
 * one-click config asks on every opening: at 100,000 images a path.resolve and an object each).
 */
export function pretrainSourceCount(images: readonly ImageRecord[]): number {
  let count = 0;
  for (const image of images) if (isPretrainSource(image)) count += 1;
  return count;
}

export function pretrainSourcesOf(store: ProjectStore): FaceSource[] {
  return pretrainSources(store.dir, store.listImages());
}

/**
 * The same list from a read-only snapshot of the project (project-snapshot.ts): the store's own
 * reader, without the project's lock, since the training side never holds a project open.
 */
export async function readPretrainSources(projectDir: string): Promise<FaceSource[]> {
  const snapshot = await readProjectSnapshot(projectDir);
  return pretrainSources(snapshot.dir, snapshot.images);
}
