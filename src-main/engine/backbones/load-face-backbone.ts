/**
 * Face backbones by id, as a fine-tuning config names them (`faceBackbones`) and a model card
 * records them (docs/ARCHITECTURE.md, "Backbones and tasks"): every one ships inside the app, so
 * loading one never downloads anything. A task's default is what `faceBackbones: null` means.
 */
import { StudioError } from '../../shared/errors';
import type { FinetuneTask } from '../finetune/finetune-config';
import type { FaceBackbone } from './face-backbone';
import { DEFAULT_FACE_BACKBONES, shippedBackbones } from './backbone-registry';

/** Loaders of the backbones a head can be fitted on (the registry's exportable ones), by id. */
const LOADERS: Record<string, () => Promise<FaceBackbone>> = Object.fromEntries(
  shippedBackbones()
    .filter((b) => b.exportable)
    .map((b) => [b.id, () => b.load()]),
);

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
  return [...DEFAULT_FACE_BACKBONES[task]];
}
