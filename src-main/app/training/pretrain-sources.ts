/**
 * Which of a project's images pre-training learns from (docs/ARCHITECTURE.md, "Training recipe"):
 * the pool and train splits, less the images curation flagged as having no face, each with its
 * curation crop box (or the whole image when it has no face record). val and test stay unseen.
 */
import path from 'node:path';
import type { FaceSource } from '../../engine/data/project-faces';
import type { ImageRecord, Split } from '../../shared/domain';
import type { ProjectStore } from '../../core/project-store';
import { readProjectSnapshot } from './project-snapshot';

/** The splits pre-training learns from; val and test stay unseen. */
export const PRETRAIN_SPLITS: readonly Split[] = ['pool', 'train'];

/** An image curation (or a person) flagged as having no face: pre-training leaves it out. */
export const isFlaggedNoFace = (image: ImageRecord): boolean =>
  image.flags?.includes('no-face') === true;

export function pretrainSources(projectDir: string, images: readonly ImageRecord[]): FaceSource[] {
  return images
    .filter((r) => PRETRAIN_SPLITS.includes(r.split) && !isFlaggedNoFace(r))
    .map((r) => ({
      file: path.resolve(projectDir, r.path),
      width: r.width,
      height: r.height,
      crop: r.face?.crop ?? null,
    }));
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
