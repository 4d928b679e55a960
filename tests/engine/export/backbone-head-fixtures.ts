/**
 * Real faces and cards for the backbone-head export tests: HELEN faces cut by a backbone's crop
 * policy around their labelled points (embed-faces.ts), a landmark ridge head fitted on them, and
 * a complete v2 card with its head record.
 */
import { openImage } from '../../../src-main/core/library/image-source';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { flipIndex } from '../../../src-main/core/schemas/landmark-schema';
import {
  MODEL_CARD_VERSION,
  type CardBackbone,
  type ModelCard,
} from '../../../src-main/shared/model-card';
import {
  backboneCropBox,
  embedCrops,
  headInputOf,
  landmarkTapNames,
  type FaceCrop,
  type HeadTaps,
} from '../../../src-main/engine/backbones/embed-faces';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { headCropPlan } from '../../../src-main/engine/backbones/head-crops';
import { toCrop } from '../../../src-main/engine/data/face-crop';
import { headCropRecord } from '../../../src-main/engine/landmarks/head-crop-record';
import {
  DEFAULT_RIDGE_OPTIONS,
  fitLandmarkRidge,
  type LandmarkRidgeModel,
  type LandmarkRidgeOptions,
} from '../../../src-main/engine/landmarks/landmark-ridge-head';
import { cardSchemaOf } from '../../../src-main/engine/predict/card-schema';
import type { HelenFace } from '../../support/helen-crops';

export const MESH_TAPS = { points: 'mesh', map: 'p_re_lu_15' } as const satisfies HeadTaps;

/** Each face cut as `backbone`'s crop policy cuts it around its labelled points. */
export async function cropsOf(
  backbone: FaceBackbone,
  faces: readonly HelenFace[],
): Promise<FaceCrop[]> {
  return Promise.all(
    faces.map(async (f) => {
      const opened = await openImage(f.file);
      return { source: opened, box: backboneCropBox(backbone, opened, { points: f.points }) };
    }),
  );
}

/** A landmark ridge head fitted on `faces` through `mesh`, reading `taps`. */
export async function fitHelenHead(
  mesh: FaceBackbone,
  faces: readonly HelenFace[],
  taps: HeadTaps = MESH_TAPS,
  options: LandmarkRidgeOptions = DEFAULT_RIDGE_OPTIONS,
): Promise<LandmarkRidgeModel> {
  const crops = await cropsOf(mesh, faces);
  const embedded = await embedCrops(mesh, crops, landmarkTapNames(taps, true));
  const targets = new Float64Array(faces.length * 68 * 2);
  faces.forEach((f, i) =>
    toCrop(f.points, crops[i]!.box).forEach((p, k) => targets.set([p.x, p.y], (i * 68 + k) * 2)),
  );
  return fitLandmarkRidge(
    headInputOf(mesh, embedded, taps, false),
    headInputOf(mesh, embedded, taps, true),
    targets,
    flipIndex(builtinLandmarkSchema('ibug68')),
    options,
  );
}

/** The card entry of a backbone, its notice named `NOTICE-<id>.txt`. */
export function cardBackbone(backbone: FaceBackbone, taps: string[]): CardBackbone {
  return {
    id: backbone.id,
    name: backbone.name,
    kind: backbone.kind,
    taps,
    licence: backbone.licence.spdx,
    attribution: backbone.licence.attribution,
    package: backbone.licence.package,
    notice: backbone.licence.noticeFile ? `NOTICE-${backbone.id}.txt` : null,
  };
}

/** A complete card for a head on `backbones` (their taps as given), task fields from `task`. */
export function headCard(
  id: string,
  backbones: readonly FaceBackbone[],
  taps: string[][],
  task:
    | { task: 'landmarks' }
    | { task: 'expression'; classes: string[] }
    | { task: 'attributes'; attributes: string[] },
  trainFaces: number,
): ModelCard {
  const plan = headCropPlan(backbones);
  const widest = backbones.find((b) => b.id === plan.widest)!;
  return {
    format: 'face-studio-model',
    version: MODEL_CARD_VERSION,
    id,
    task: task.task,
    createdAt: '2026-12-03T00:00:00.000Z',
    studio: 'test',
    schema: task.task === 'landmarks' ? cardSchemaOf(builtinLandmarkSchema('ibug68')) : null,
    attributes: task.task === 'attributes' ? task.attributes : null,
    classes: task.task === 'expression' ? task.classes : null,
    input: {
      size: plan.inputSize,
      range: [0, 1],
      normalisation: { mean: [0, 0, 0], std: [1, 1, 1] },
    },
    crop: plan.crop,
    outputs: [task.task],
    metrics: [],
    data: { project: null, train: trainFaces, val: 0, test: 0 },
    backbone: { preset: 'backbone-head', pretrainedFrom: null },
    head: {
      method: 'ridge',
      backbones: backbones.map((b, i) => cardBackbone(b, taps[i]!)),
      crop: { ...headCropRecord(widest, 'landmarks'), inputSize: plan.inputSize },
      uncertainty: null,
    },
    config: {},
    runId: null,
  };
}
