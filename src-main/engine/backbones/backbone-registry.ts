/**
 * The face backbones the app offers, by id (docs/ARCHITECTURE.md, "Backbones and tasks"):
 * - `facemesh`: FaceMesh (MediaPipe, Apache-2.0), the geometry backbone;
 * - `face-api-age-gender`: face-api.js's age and gender net (MIT), the appearance backbone for
 *   identity-like attributes (male ≥ 88% on MTFL; mini-Xception alone reaches ~70%);
 * - `mini-xception`: mini-Xception (MIT), the expression backbone (CK+ by subject 89%), and
 *   beside the age-gender net for attributes (smiling ≥ 80%);
 * - `random`: the studio's ViT tiny at a seeded random init (what no pre-training gives);
 * - `pros-vit:<model id>`: each backbone pre-trained in the project (models/<id>/, task
 *   `backbone`).
 * Each entry says which taps a head reads for each task: the landmark head a points tap and a
 * feature map, the attribute and expression heads pooled (or grid) vectors.
 *
 * FaceRes (faceres-backbone.ts) is not offered: its source states no licence, so it stays a
 * bench-only row (bench/backbone-rows.ts) and never reaches an app user or a model card.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { FinetuneTaskName } from '../../shared/training';
import { readBackboneShape } from '../export/saved-backbone';
import type { HeadTaps } from './embed-faces';
import type { BackboneKind, BackboneLicence, FaceBackbone } from './face-backbone';
import { AGE_GENDER_LICENCE, loadAgeGenderBackbone } from './face-api-age-gender-backbone';
import { FACEMESH_LICENCE, loadFaceMesh } from './facemesh';
import { loadMiniXceptionBackbone, MINI_XCEPTION_LICENCE } from './mini-xception-backbone';
import { loadVitBackbone, randomVitBackbone, STUDIO_LICENCE } from './vit-backbone';

/** What a head of each task reads of a backbone. */
export interface TaskTaps {
  landmarks: HeadTaps;
  /** Vector taps, side by side, for attributes and expression. */
  classify: readonly string[];
}

/** One backbone the app offers: described without loading it, loaded on demand. */
export interface OfferedBackbone {
  id: string;
  name: string;
  kind: BackboneKind;
  licence: BackboneLicence;
  taps: TaskTaps;
  /**
   * Its graph can be written inside an exported model (it describes its packaged graph), so a
   * fine-tuning run can fit a head on it; a ViT backbone is compared but not (yet) exported.
   */
  exportable: boolean;
  load(): Promise<FaceBackbone>;
}

/** The prefix of a pre-trained project backbone's id: `pros-vit:<model id>`. */
export const PROS_VIT_PREFIX = 'pros-vit:';

/**
 * The default backbones of each task's closed-form head (finetune-config's `faceBackbones`),
 * chosen by measurement (research/APPEARANCE_NOTES.md, `npm run bench:appearance`): attributes'
 * yes/no heads read the age-gender net's `pooled` + `gender` beside mini-Xception's `pooled` (all
 * MTFL rows: male and smiling over their targets with one head), and their one-of-N groups (MTFL
 * pose) FaceMesh's `mesh` points (engine/attributes/head-tap-selection.ts).
 */
export const DEFAULT_FACE_BACKBONES: Readonly<Record<FinetuneTaskName, readonly string[]>> = {
  landmarks: ['facemesh'],
  attributes: ['face-api-age-gender', 'mini-xception', 'facemesh'],
  expression: ['mini-xception', 'facemesh'],
};

const VIT_TAPS: TaskTaps = { landmarks: { points: null, map: 'tokens' }, classify: ['pooled'] };

const SHIPPED: readonly OfferedBackbone[] = [
  {
    id: 'facemesh',
    name: 'FaceMesh (MediaPipe)',
    kind: 'geometry',
    licence: FACEMESH_LICENCE,
    // Landmarks: the mesh and two maps in the closed form, refined on the stride-8 map.
    taps: {
      landmarks: { points: 'mesh', map: ['p_re_lu_12', 'p_re_lu_15'], local: 'p_re_lu_9' },
      classify: ['mesh', 'p_re_lu_15'],
    },
    exportable: true,
    load: () => loadFaceMesh(),
  },
  {
    id: 'mini-xception',
    name: 'mini-Xception (FER-2013 expression)',
    kind: 'appearance',
    licence: MINI_XCEPTION_LICENCE,
    taps: { landmarks: { points: null, map: 'map' }, classify: ['pooled'] },
    exportable: true,
    load: () => loadMiniXceptionBackbone(),
  },
  {
    id: 'face-api-age-gender',
    name: 'face-api.js age & gender (TinyXception)',
    kind: 'appearance',
    licence: AGE_GENDER_LICENCE,
    taps: { landmarks: { points: null, map: 'map' }, classify: ['pooled', 'gender'] },
    exportable: true,
    load: () => loadAgeGenderBackbone(),
  },
  {
    id: 'random',
    name: 'random init (ViT tiny)',
    kind: 'learned',
    licence: STUDIO_LICENCE,
    taps: VIT_TAPS,
    exportable: false,
    load: async () => randomVitBackbone(),
  },
];

/** The backbones every project offers (shipped and random), in table order. */
export function shippedBackbones(): readonly OfferedBackbone[] {
  return SHIPPED;
}

/** A pre-trained project backbone in `dir` (models/<modelId>/) as an offered backbone. */
function prosBackbone(modelId: string, dir: string): OfferedBackbone {
  const id = `${PROS_VIT_PREFIX}${modelId}`;
  const name = `own ProS ViT (${modelId})`;
  return {
    id,
    name,
    kind: 'learned',
    licence: STUDIO_LICENCE,
    taps: VIT_TAPS,
    exportable: false,
    load: () => loadVitBackbone(id, name, dir),
  };
}

/**
 * Every backbone offered to a project whose models folder is `modelsDir` (null: none): the
 * shipped ones, then each pre-trained backbone model there, by id. A folder that is not a readable
 * backbone export is left out (the Models view names it already).
 */
export async function offeredBackbones(modelsDir: string | null): Promise<OfferedBackbone[]> {
  const out = [...SHIPPED];
  if (!modelsDir) return out;
  let names: string[];
  try {
    names = (await readdir(modelsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new StudioError('io', `${modelsDir} cannot be read: ${(error as Error).message}`);
  }
  for (const name of names) {
    const dir = path.join(modelsDir, name);
    const shape = await readBackboneShape(dir).catch(() => null);
    if (shape?.card.task === 'backbone') out.push(prosBackbone(name, dir));
  }
  return out;
}

/** The offered backbone `id` of a project, or a clear error naming what is offered. */
export async function offeredBackbone(
  id: string,
  modelsDir: string | null,
): Promise<OfferedBackbone> {
  const all = await offeredBackbones(modelsDir);
  const found = all.find((b) => b.id === id);
  if (!found) {
    throw new StudioError(
      'not-found',
      `No face backbone "${id}"${modelsDir ? ` for ${modelsDir}` : ''}; offered: ${all.map((b) => b.id).join(', ')}`,
    );
  }
  return found;
}
