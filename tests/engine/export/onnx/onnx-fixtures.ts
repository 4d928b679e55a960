/**
 * One small real model folder of each kind the studio trains, for the ONNX tests and the bench,
 * each with 32 real faces cut as the model takes them:
 *
 * - `vit-landmarks`: a fine-tuned ViT landmark model (random weights, export-fixtures.ts) on 32
 *   HELEN test faces at 32 px;
 * - `mesh-landmarks`: a landmark ridge head on FaceMesh with the product's taps and its
 *   refinement (CropAndResize on `p_re_lu_9`), fitted on 20 HELEN training faces;
 * - `attributes`: the attribute default (age-gender + mini-Xception + FaceMesh, each head on its
 *   own taps) with Platt-calibrated male / smiling and the MTFL pose group, fitted on 40 MTFL
 *   faces;
 * - `expression`: a softmax-calibrated expression head on mini-Xception + FaceMesh, fitted on
 *   40 CK+ faces.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MTFL_POSES } from '../../../../src-main/core/formats/mtfl';
import {
  fitClassGroups,
  pointColumns,
  selectColumns,
} from '../../../../src-main/engine/attributes/class-groups';
import { fitClassifierHead } from '../../../../src-main/engine/attributes/classifier-head';
import { headReads, tapColumns } from '../../../../src-main/engine/attributes/head-tap-selection';
import {
  concatFeatures,
  selectRows,
} from '../../../../src-main/engine/attributes/ridge-classifier';
import { DEFAULT_FACE_BACKBONES } from '../../../../src-main/engine/backbones/backbone-registry';
import {
  findTap,
  tapSize,
  type FaceBackbone,
} from '../../../../src-main/engine/backbones/face-backbone';
import { embedHeadCrops, headCropPlan } from '../../../../src-main/engine/backbones/head-crops';
import { loadFaceBackbone } from '../../../../src-main/engine/backbones/load-face-backbone';
import { cropFaces } from '../../../../src-main/engine/data/face-crop';
import { exportBackboneHeadModel } from '../../../../src-main/engine/export/backbone-head-export';
import { exportFinetunedModel } from '../../../../src-main/engine/export/export-model';
import { classifyTapsOf } from '../../../../src-main/engine/jobs/class-head-job';
import { headCropRecord } from '../../../../src-main/engine/landmarks/head-crop-record';
import {
  landmarkCardHead,
  landmarkTapsOf,
} from '../../../../src-main/engine/landmarks/landmark-head-model';
import { DEFAULT_RIDGE_OPTIONS } from '../../../../src-main/engine/landmarks/landmark-ridge-head';
import { helenFaces, loadHelenCrops } from '../../../support/helen-crops';
import {
  ckPlanCrops,
  mtflPlanCrops,
  readCkFaces,
  readMtflFaces,
  type MtflFace,
} from '../../attributes/appearance-data';
import { cropsOf, fitHelenHead, headCard } from '../backbone-head-fixtures';
import { cardFieldsFor, randomResult } from '../export-fixtures';

export const FACES = 32;

export type OnnxModelKind = 'vit-landmarks' | 'mesh-landmarks' | 'attributes' | 'expression';
export const ONNX_MODEL_KINDS: readonly OnnxModelKind[] = [
  'vit-landmarks',
  'mesh-landmarks',
  'attributes',
  'expression',
];

export interface KindFixture {
  dir: string;
  /** `[32, S, S, 3]` real faces as the model takes them (the caller disposes). */
  faces: tf.Tensor4D;
}

const loaded = new Map<string, FaceBackbone>();
async function backbone(id: string): Promise<FaceBackbone> {
  let b = loaded.get(id);
  if (!b) loaded.set(id, (b = await loadFaceBackbone(id)));
  return b;
}

export function disposeBackbones(): void {
  for (const b of loaded.values()) b.dispose();
  loaded.clear();
}

async function concatCrops(pieces: Promise<tf.Tensor4D>[]): Promise<tf.Tensor4D> {
  const all = await Promise.all(pieces);
  const out = tf.concat(all) as tf.Tensor4D;
  tf.dispose(all);
  return out;
}

async function vitLandmarks(dir: string): Promise<KindFixture> {
  await exportFinetunedModel(dir, randomResult('landmarks', 5), cardFieldsFor('landmarks', 'vit'));
  return { dir, faces: (await loadHelenCrops('test', FACES, 32)).images };
}

async function meshLandmarks(dir: string): Promise<KindFixture> {
  const mesh = await backbone('facemesh');
  const taps = landmarkTapsOf(mesh);
  // Refinement kept whatever its gain on 20 faces: the graph must carry it (CropAndResize).
  const model = await fitHelenHead(mesh, await helenFaces('train', 20), taps, {
    ...DEFAULT_RIDGE_OPTIONS,
    refineMinGain: -Infinity,
  });
  if (!model.refine) throw new Error('The FaceMesh head was fitted without its refinement');
  const head = { task: 'landmarks' as const, model, taps };
  const base = headCard('mesh-landmarks', [mesh], [[]], { task: 'landmarks' }, 20);
  const crop = { ...headCropRecord(mesh, 'landmarks'), inputSize: 192 };
  await exportBackboneHeadModel(dir, {
    card: { ...base, head: landmarkCardHead(mesh, head, crop) },
    backbones: [mesh],
    head,
  });
  const crops = await cropsOf(mesh, await helenFaces('test', FACES));
  return { dir, faces: await concatCrops(crops.map((c) => cropFaces(c.source, [c.box], 192))) };
}

async function attributes(dir: string): Promise<KindFixture> {
  const train = 40;
  const names = ['male', 'smiling'];
  const pose = { name: 'pose', classes: [...MTFL_POSES] };
  const backbones: FaceBackbone[] = [];
  for (const id of DEFAULT_FACE_BACKBONES.attributes) backbones.push(await backbone(id));
  const selection = classifyTapsOf('attributes', backbones);
  const faces: MtflFace[] = [
    ...(await readMtflFaces('training.txt', train, 11)),
    ...(await readMtflFaces('testing.txt', FACES, 11)),
  ];
  const plan = headCropPlan(backbones);
  const crops = await mtflPlanCrops(faces, plan);
  const trainCrops = crops.slice(0, train);
  const perBackbone = backbones.map((b) =>
    selection.taps.filter((t) => t.backbone === b.id).map((t) => t.tap),
  );
  const embedded = await embedHeadCrops(plan, backbones, trainCrops, perBackbone);
  trainCrops.dispose();
  const sizes = selection.taps.map((t) =>
    tapSize(
      findTap(
        backbones.find((b) => b.id === t.backbone)!,
        t.tap,
      ),
    ),
  );
  const features = concatFeatures(
    ...selection.taps.map((t, i) => ({
      rows: train,
      dim: sizes[i]!,
      data: embedded[backbones.findIndex((b) => b.id === t.backbone)]![t.tap]!,
    })),
  );
  const labelled = faces.slice(0, train);
  const head = await fitClassifierHead(
    { task: 'attributes', attributes: names },
    selection.classifier,
    selectColumns(features, tapColumns(selection.taps, sizes, selection.classifier)),
    labelled.map((f) => [f.labels.male, f.labels.smiling]),
  );
  const points = pointColumns(
    sizes,
    selection.taps.map((t) => t.tap === 'mesh'),
  );
  const groups = await fitClassGroups(
    [pose],
    features,
    labelled.map((f) => [f.labels.pose]),
    points,
  );
  const base = headCard(
    'attributes',
    backbones,
    perBackbone,
    { task: 'attributes', attributes: names },
    train,
  );
  await exportBackboneHeadModel(dir, {
    card: {
      ...base,
      groups: groups.map((g) => ({ name: g.name, classes: g.classes })),
      head: {
        ...base.head!,
        reads: headReads(selection.taps, sizes, selection.classifier, groups),
      },
    },
    backbones,
    head: { task: 'attributes', model: head, taps: selection.taps, groups },
  });
  const test = crops.slice(train, FACES);
  crops.dispose();
  return { dir, faces: test };
}

async function expression(dir: string): Promise<KindFixture> {
  const train = 40;
  const backbones = [await backbone('mini-xception'), await backbone('facemesh')];
  const taps = [
    { backbone: 'mini-xception', tap: 'pooled' },
    { backbone: 'facemesh', tap: 'mesh' },
  ];
  const { faces, classes } = await readCkFaces(train + FACES, 3);
  const plan = headCropPlan(backbones);
  const crops = await ckPlanCrops(faces, plan);
  const trainCrops = crops.slice(0, train);
  const [a, b] = await embedHeadCrops(plan, backbones, trainCrops, [['pooled'], ['mesh']]);
  trainCrops.dispose();
  const features = concatFeatures(
    { rows: train, dim: 256, data: a!.pooled! },
    { rows: train, dim: 1404, data: b!.mesh! },
  );
  const rows = Array.from({ length: train }, (_, i) => i);
  const model = await fitClassifierHead(
    { task: 'expression', classes },
    taps,
    selectRows(features, rows),
    rows.map((i) => [faces[i]!.label]),
    { groups: rows.map((i) => faces[i]!.subject) },
  );
  await exportBackboneHeadModel(dir, {
    card: headCard(
      'expression',
      backbones,
      [['pooled'], ['mesh']],
      { task: 'expression', classes },
      train,
    ),
    backbones,
    head: { task: 'expression', model, taps },
  });
  const test = crops.slice(train, FACES);
  crops.dispose();
  return { dir, faces: test };
}

const MAKERS: Record<OnnxModelKind, (dir: string) => Promise<KindFixture>> = {
  'vit-landmarks': vitLandmarks,
  'mesh-landmarks': meshLandmarks,
  attributes,
  expression,
};

/** Exports the model of `kind` into `root/<kind>`. */
export function makeKindFixture(root: string, kind: OnnxModelKind): Promise<KindFixture> {
  return MAKERS[kind](path.join(root, kind));
}
