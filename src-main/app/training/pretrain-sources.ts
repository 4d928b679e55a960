/**
 * Which of a project's images pre-training learns from (DESIGN §4): the pool and train splits,
 * less the images curation flagged as having no face, each with its curation crop box (or the
 * whole image when it has no face record). val and test stay unseen.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FaceSource } from '../../engine/data/project-faces';
import { ProjectFile, type ImageRecord } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import type { ProjectStore } from '../../core/project-store';

export function pretrainSources(projectDir: string, images: readonly ImageRecord[]): FaceSource[] {
  return images
    .filter((r) => (r.split === 'pool' || r.split === 'train') && !r.flags?.includes('no-face'))
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
 * The same list read straight from project.json, without opening a store: the training process
 * must not hold the project open (the app's main process does, and writes it).
 */
export async function readPretrainSources(projectDir: string): Promise<FaceSource[]> {
  const file = path.join(path.resolve(projectDir), 'project.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new StudioError('not-found', `${file} cannot be read: ${(error as Error).message}`);
  }
  const parsed = ProjectFile.safeParse(raw);
  if (!parsed.success)
    throw new StudioError('invalid-payload', `${file} is not a valid project file`);
  return pretrainSources(path.resolve(projectDir), parsed.data.images);
}
