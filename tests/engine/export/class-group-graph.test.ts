/**
 * One-of-N groups in an exported attributes graph (class-group-graph.ts, beside
 * backbone-head-export.test.ts): MTFL faces through mini-Xception + FaceMesh from one crop, two
 * yes/no attributes (Male, Smiling) and two pose groups — one on every tap, one on FaceMesh's
 * points alone — exported as one graph. Its `attributes` output equals the engine's yes/no
 * probabilities and each group's softmax within 1e-4; predictFaces reads each group's class
 * probabilities and most probable class from it; a card that names other groups is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../../src-main/core/library/image-source';
import { MTFL_POSES } from '../../../src-main/core/formats/mtfl';
import {
  fitClassGroups,
  pointColumns,
  type ClassGroupHead,
} from '../../../src-main/engine/attributes/class-groups';
import {
  fitClassifierHead,
  headProbabilities,
  type ClassifierHead,
} from '../../../src-main/engine/attributes/classifier-head';
import {
  concatFeatures,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import { embedHeadCrops, headCropPlan } from '../../../src-main/engine/backbones/head-crops';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { cropFaces, faceCropBox } from '../../../src-main/engine/data/face-crop';
import { exportBackboneHeadModel } from '../../../src-main/engine/export/backbone-head-export';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';
import { withGroupProbabilities } from '../../../src-main/engine/jobs/class-head-groups';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import type { ModelCard } from '../../../src-main/shared/model-card';
import { useWasm } from '../../support/engine-helpers';
import { readMtflFaces, type MtflFace } from '../attributes/appearance-data';
import { headReads } from '../../../src-main/engine/attributes/head-tap-selection';
import { headCard } from './backbone-head-fixtures';

const NAMES = ['Male', 'Smiling'];
const TAPS = [
  { backbone: 'mini-xception', tap: 'pooled' },
  { backbone: 'facemesh', tap: 'mesh' },
];

let tmp: string;
let backbones: FaceBackbone[];
let faces: MtflFace[];
let crops: tf.Tensor4D;
let features: FeatureRows;
let head: ClassifierHead;
let groups: ClassGroupHead[];
const TRAIN = 60;

beforeAll(async () => {
  await useWasm();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'class-group-graph-'));
  backbones = [await loadMiniXceptionBackbone(), await loadFaceMesh()];
  faces = [
    ...(await readMtflFaces('training.txt', TRAIN, 5)),
    ...(await readMtflFaces('testing.txt', 12, 5)),
  ];
  const plan = headCropPlan(backbones);
  const pieces = await Promise.all(
    faces.map(async (f) => {
      const opened = await openImage(f.source as string);
      const detection = { box: f.box!, crop: f.box!, score: 1 };
      return cropFaces(opened, [faceCropBox(opened, { detection }, plan.crop)], plan.inputSize);
    }),
  );
  crops = tf.concat(pieces) as tf.Tensor4D;
  tf.dispose(pieces);
  const [a, b] = await embedHeadCrops(plan, backbones, crops, [['pooled'], ['mesh']]);
  features = concatFeatures(
    { rows: faces.length, dim: 256, data: a!.pooled! },
    { rows: faces.length, dim: 1404, data: b!.mesh! },
  );
  const train = {
    rows: TRAIN,
    dim: features.dim,
    data: features.data.subarray(0, TRAIN * features.dim),
  };
  const labelled = faces.slice(0, TRAIN);
  head = await fitClassifierHead(
    { task: 'attributes', attributes: NAMES },
    TAPS,
    train,
    labelled.map((f) => [f.labels.male, f.labels.smiling]),
  );
  const poses = labelled.map((f) => [f.labels.pose]);
  const pose = { name: 'pose', classes: [...MTFL_POSES] };
  groups = [
    ...(await fitClassGroups([pose], train, poses, null)),
    ...(await fitClassGroups(
      [{ ...pose, name: 'pose from points' }],
      train,
      poses,
      pointColumns([256, 1404], [false, true]),
      { only: 'points' },
    )),
  ];
}, 400_000);

afterAll(async () => {
  for (const b of backbones ?? []) b.dispose();
  crops?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function card(id: string, named: ModelCard['groups']): ModelCard {
  const base = headCard(
    id,
    backbones,
    [['pooled'], ['mesh']],
    { task: 'attributes', attributes: NAMES },
    TRAIN,
  );
  // The yes/no heads read both taps, the second group the points alone (head-reads.ts).
  const reads = headReads(TAPS, [256, 1404], TAPS, groups);
  return {
    ...base,
    head: { ...base.head!, reads },
    ...(named ? { groups: named } : {}),
  };
}

describe('exported one-of-N groups', () => {
  it('output the engine’s group probabilities after the yes/no ones, within 1e-4', async () => {
    expect(groups.map((g) => g.features)).toEqual(['all', 'points']);
    const out = path.join(tmp, 'mtfl-pose');
    await exportBackboneHeadModel(out, {
      card: card(
        'mtfl-pose',
        groups.map((g) => ({ name: g.name, classes: g.classes })),
      ),
      backbones,
      head: { task: 'attributes', model: head, taps: TAPS, groups },
    });
    const engine = withGroupProbabilities(
      headProbabilities(head, features),
      NAMES.length,
      groups,
      features,
    );
    const width = NAMES.length + 10;
    expect(engine).toHaveLength(faces.length * width);
    const loaded = await loadExportedModel(out);
    try {
      const graph = (await loaded.predict(crops)).probabilities!;
      expect(graph).toHaveLength(engine.length);
      let worst = 0;
      for (let i = 0; i < engine.length; i++)
        worst = Math.max(worst, Math.abs(graph[i]! - engine[i]!));
      console.log(`graph vs engine, ${faces.length} MTFL faces: worst ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);

      // predictFaces cuts the same crops and reads each group by name.
      const outcome = await predictFaces(
        loaded,
        faces.map((f) => ({ file: f.source as string, box: f.box! })),
        { detect: false, flipTest: false },
      );
      expect(outcome.faces).toHaveLength(faces.length);
      outcome.faces.forEach((face, r) => {
        expect(Object.keys(face.scores.attributes!)).toEqual(NAMES);
        groups.forEach((g, gi) => {
          const p = g.classes.map((c) => face.scores.classes![g.name]![c]!);
          p.forEach((v, c) =>
            expect(Math.abs(v - engine[r * width + 2 + gi * 5 + c]!)).toBeLessThan(1e-4),
          );
          expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
          expect(face.labels.classes![g.name]).toBe(g.classes[p.indexOf(Math.max(...p))]);
        });
      });
    } finally {
      loaded.dispose();
    }
  }, 300_000);

  it('refuses a card that names other groups, or none', async () => {
    const spec = (named: ModelCard['groups']) => ({
      card: card('bad', named),
      backbones,
      head: { task: 'attributes' as const, model: head, taps: TAPS, groups },
    });
    await expect(exportBackboneHeadModel(path.join(tmp, 'bad'), spec(undefined))).rejects.toThrow(
      /Cannot export model bad: card.groups is \[\]; the head's groups are \[\{"name":"pose"/,
    );
    await expect(
      exportBackboneHeadModel(
        path.join(tmp, 'bad'),
        spec(groups.map((g) => ({ name: g.name, classes: [...g.classes].reverse() }))),
      ),
    ).rejects.toThrow(/card.groups is .*"right profile","right"/);
  });
});
