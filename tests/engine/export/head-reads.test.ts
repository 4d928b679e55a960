/**
 * An attributes graph whose heads read different taps (head-tap-selection.ts, head-reads.ts): MTFL
 * faces through the attribute default (face-api age-gender + mini-Xception + FaceMesh) from one
 * crop, the yes/no attributes (male, smiling) fitted on the appearance taps only, MTFL pose on
 * FaceMesh's points alone and on every tap, exported as one graph whose card records what each
 * head reads. The graph's `attributes` output equals the engine's probabilities (each head on its
 * own columns) within 1e-4, and no yes/no probability moves when the FaceMesh points change; a
 * card that leaves the selection out, or names another, is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTFL_POSES } from '../../../src-main/core/formats/mtfl';
import {
  fitClassGroups,
  pointColumns,
  selectColumns,
  type ClassGroupHead,
} from '../../../src-main/engine/attributes/class-groups';
import {
  fitClassifierHead,
  headProbabilities,
  type ClassifierHead,
} from '../../../src-main/engine/attributes/classifier-head';
import { headReads, tapColumns } from '../../../src-main/engine/attributes/head-tap-selection';
import {
  concatFeatures,
  selectRows,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import { DEFAULT_FACE_BACKBONES } from '../../../src-main/engine/backbones/backbone-registry';
import {
  findTap,
  tapSize,
  type FaceBackbone,
} from '../../../src-main/engine/backbones/face-backbone';
import { embedHeadCrops, headCropPlan } from '../../../src-main/engine/backbones/head-crops';
import { loadFaceBackbone } from '../../../src-main/engine/backbones/load-face-backbone';
import { exportBackboneHeadModel } from '../../../src-main/engine/export/backbone-head-export';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';
import { withGroupProbabilities } from '../../../src-main/engine/jobs/class-head-groups';
import { classifyTapsOf } from '../../../src-main/engine/jobs/class-head-job';
import type { ModelCard } from '../../../src-main/shared/model-card';
import { useWasm } from '../../support/engine-helpers';
import { mtflPlanCrops, readMtflFaces, type MtflFace } from '../attributes/appearance-data';
import { headCard } from './backbone-head-fixtures';

const NAMES = ['male', 'smiling'];
const TRAIN = 80;
const POSE = { name: 'pose', classes: [...MTFL_POSES] };

let tmp: string;
let backbones: FaceBackbone[];
let faces: MtflFace[];
let crops: tf.Tensor4D;
let features: FeatureRows;
let columns: number[];
let head: ClassifierHead;
let groups: ClassGroupHead[];
let selection: ReturnType<typeof classifyTapsOf>;
let sizes: number[];

beforeAll(async () => {
  await useWasm();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'head-reads-'));
  backbones = [];
  for (const id of DEFAULT_FACE_BACKBONES.attributes) backbones.push(await loadFaceBackbone(id));
  selection = classifyTapsOf('attributes', backbones);
  faces = [
    ...(await readMtflFaces('training.txt', TRAIN, 9)),
    ...(await readMtflFaces('testing.txt', 16, 9)),
  ];
  const plan = headCropPlan(backbones);
  crops = await mtflPlanCrops(faces, plan);
  const perBackbone = backbones.map((b) =>
    selection.taps.filter((t) => t.backbone === b.id).map((t) => t.tap),
  );
  const embedded = await embedHeadCrops(plan, backbones, crops, perBackbone);
  sizes = selection.taps.map((t) =>
    tapSize(
      findTap(
        backbones.find((b) => b.id === t.backbone)!,
        t.tap,
      ),
    ),
  );
  features = concatFeatures(
    ...selection.taps.map((t, i) => ({
      rows: faces.length,
      dim: sizes[i]!,
      data: embedded[backbones.findIndex((b) => b.id === t.backbone)]![t.tap]!,
    })),
  );
  columns = tapColumns(selection.taps, sizes, selection.classifier);
  const train = selectRows(
    features,
    Array.from({ length: TRAIN }, (_, i) => i),
  );
  const labelled = faces.slice(0, TRAIN);
  head = await fitClassifierHead(
    { task: 'attributes', attributes: NAMES },
    selection.classifier,
    selectColumns(train, columns),
    labelled.map((f) => [f.labels.male, f.labels.smiling]),
  );
  const poses = labelled.map((f) => [f.labels.pose]);
  const points = pointColumns(
    sizes,
    selection.taps.map((t) => t.tap === 'mesh'),
  );
  groups = [
    ...(await fitClassGroups([POSE], train, poses, points, { only: 'points' })),
    ...(await fitClassGroups([{ ...POSE, name: 'pose on every tap' }], train, poses, points, {
      only: 'all',
    })),
  ];
}, 400_000);

afterAll(async () => {
  for (const b of backbones ?? []) b.dispose();
  crops?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function card(id: string, reads: NonNullable<ModelCard['head']>['reads'] | null): ModelCard {
  const base = headCard(
    id,
    backbones,
    backbones.map((b) => selection.taps.filter((t) => t.backbone === b.id).map((t) => t.tap)),
    { task: 'attributes', attributes: NAMES },
    TRAIN,
  );
  return {
    ...base,
    groups: groups.map((g) => ({ name: g.name, classes: g.classes })),
    head: { ...base.head!, ...(reads ? { reads } : {}) },
  };
}

/** The engine's probabilities: the yes/no heads on their columns, the groups after them. */
function engine(x: FeatureRows): Float64Array {
  return withGroupProbabilities(
    headProbabilities(head, selectColumns(x, columns)),
    NAMES.length,
    groups,
    x,
  );
}

describe('an attributes graph whose heads read their own taps', () => {
  it('records the selection on the card and equals the engine within 1e-4', async () => {
    expect(selection.classifier.map((t) => `${t.backbone}/${t.tap}`)).toEqual([
      'face-api-age-gender/pooled',
      'face-api-age-gender/gender',
      'mini-xception/pooled',
    ]);
    expect(selection.taps.at(-1)).toEqual({ backbone: 'facemesh', tap: 'mesh' });
    const reads = headReads(selection.taps, sizes, selection.classifier, groups);
    expect(reads.groups).toEqual([
      { name: 'pose', taps: ['facemesh/mesh'] },
      { name: 'pose on every tap', taps: reads.classifier.concat('facemesh/mesh') },
    ]);
    const out = path.join(tmp, 'reads');
    await exportBackboneHeadModel(out, {
      card: card('reads', reads),
      backbones,
      head: { task: 'attributes', model: head, taps: selection.taps, groups },
    });
    const want = engine(features);
    const width = NAMES.length + 2 * MTFL_POSES.length;
    expect(want).toHaveLength(faces.length * width);
    const loaded = await loadExportedModel(out);
    try {
      const graph = (await loaded.predict(crops)).probabilities!;
      expect(graph).toHaveLength(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(graph[i]! - want[i]!));
      console.log(`graph vs engine, ${faces.length} MTFL faces: worst ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    } finally {
      loaded.dispose();
    }

    // The yes/no heads weigh no FaceMesh column: moving the points leaves them where they were,
    // and moves the groups that read them.
    const moved = { ...features, data: Float32Array.from(features.data) };
    const meshAt = columns.length;
    for (let r = 0; r < moved.rows; r++)
      for (let j = meshAt; j < moved.dim; j++) moved.data[r * moved.dim + j]! += 0.05 * (j % 7);
    const after = engine(moved);
    let yesNo = 0;
    let group = 0;
    for (let r = 0; r < faces.length; r++)
      for (let c = 0; c < width; c++) {
        const d = Math.abs(after[r * width + c]! - want[r * width + c]!);
        if (c < NAMES.length) yesNo = Math.max(yesNo, d);
        else group = Math.max(group, d);
      }
    expect(yesNo).toBe(0);
    expect(group).toBeGreaterThan(1e-3);
  }, 300_000);

  it('refuses a card that leaves the selection out or names another', async () => {
    const spec = (reads: NonNullable<ModelCard['head']>['reads'] | null) => ({
      card: card('bad', reads),
      backbones,
      head: { task: 'attributes' as const, model: head, taps: selection.taps, groups },
    });
    await expect(exportBackboneHeadModel(path.join(tmp, 'bad'), spec(null))).rejects.toThrow(
      /Cannot export model bad: card.head.reads is missing; the heads read \{"classifier":\["face-api-age-gender\/pooled"/,
    );
    const reads = headReads(selection.taps, sizes, selection.classifier, groups);
    await expect(
      exportBackboneHeadModel(
        path.join(tmp, 'bad'),
        spec({ ...reads, classifier: [...reads.classifier, 'facemesh/mesh'] }),
      ),
    ).rejects.toThrow(/card.head.reads is \{"classifier":\[.*"facemesh\/mesh"\].*; the heads read/);
    // A head fitted on taps the graph does not carry in that order.
    const swapped = { ...head, taps: [...head.taps].reverse() };
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        ...spec(reads),
        head: { task: 'attributes', model: swapped, taps: selection.taps, groups },
      }),
    ).rejects.toThrow(
      /the head was fitted on \[mini-xception\/pooled, face-api-age-gender\/gender/,
    );
  });
});
