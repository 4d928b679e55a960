/**
 * Face backbones by id, as a fine-tuning config names them (`faceBackbones`) and a model card
 * records them (docs/ARCHITECTURE.md, "Backbones and tasks"): every one ships inside the app, so
 * loading one never downloads anything. A task's default is what `faceBackbones: null` means.
 */
import { StudioError } from '../../shared/errors';
import type { FinetuneTask } from '../finetune/finetune-config';
import type { FaceBackbone } from './face-backbone';
import { loadFaceMesh } from './facemesh';

/** Loaders of the backbones a head can be fitted on, by id. */
const LOADERS: Record<string, () => Promise<FaceBackbone>> = {
  facemesh: () => loadFaceMesh(),
};

/** The ids `loadFaceBackbone` knows. */
export const FACE_BACKBONE_IDS: readonly string[] = Object.keys(LOADERS);

/** The backbone `id`; an unknown id fails naming the ones there are. */
export async function loadFaceBackbone(id: string): Promise<FaceBackbone> {
  const load = LOADERS[id];
  if (!load)
    throw new StudioError(
      'invalid-payload',
      `Unknown face backbone "${id}" (known: ${FACE_BACKBONE_IDS.join(', ')})`,
    );
  return load();
}

/** The backbones a head of `task` reads when the config names none (`faceBackbones: null`). */
export function defaultFaceBackbones(task: FinetuneTask): string[] {
  if (task === 'landmarks') return ['facemesh'];
  throw new StudioError(
    'invalid-payload',
    `A backbone head for ${task} has no default face backbone yet; name one in faceBackbones`,
  );
}
