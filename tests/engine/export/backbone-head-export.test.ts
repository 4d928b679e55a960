/**
 * exportBackboneHeadModel on real faces: a landmark ridge head fitted on 20 HELEN training faces
 * through FaceMesh, exported as one graph folder, loaded by loadExportedModel and run on 10 HELEN
 * test crops, equals the engine (backbone.embed + the head per crop) within 1e-4; predictFaces on
 * the folder equals the head's flip-averaged prediction and scores a sensible NME. Then an
 * expression head (and two attribute heads) on mini-Xception + FaceMesh from one crop, fitted on
 * CK+ faces: the graph equals the engine's calibrated probabilities (`headProbabilities`), and
 * held-out subjects are predicted well above the majority class. Last, the attribute default:
 * MTFL male / smiling on face-api's age-gender net (the studio's written graph) + mini-Xception,
 * the graph equal to the engine within 1e-4 on real faces.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fitClassifierHead,
  headProbabilities,
} from '../../../src-main/engine/attributes/classifier-head';
import {
  concatFeatures,
  selectRows,
  type FeatureRows,
} from '../../../src-main/engine/attributes/ridge-classifier';
import { loadAgeGenderBackbone } from '../../../src-main/engine/backbones/face-api-age-gender-backbone';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { embedHeadCrops, headCropPlan } from '../../../src-main/engine/backbones/head-crops';
import { loadMiniXceptionBackbone } from '../../../src-main/engine/backbones/mini-xception-backbone';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import { cropFaces } from '../../../src-main/engine/data/face-crop';
import { exportBackboneHeadModel } from '../../../src-main/engine/export/backbone-head-export';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';
import {
  predictLandmarkCrops,
  predictLandmarkRidge,
  type HeadInput,
  type LandmarkRidgeModel,
} from '../../../src-main/engine/landmarks/landmark-ridge-head';
import { mean, nmeOfFace } from '../../../src-main/engine/metrics/landmark-metrics';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { useWasm } from '../../support/engine-helpers';
import {
  CK_FACE_BOX,
  ckPlanCrops,
  majorityRate,
  readCkFaces,
  readMtflFaces,
  type CkFace,
  type MtflFace,
} from '../attributes/appearance-data';
import { MESH_TAPS, cropsOf, fitHelenHead, headCard } from './backbone-head-fixtures';
import { helenFaces, type HelenFace } from '../../support/helen-crops';

let mesh: FaceBackbone;
let model: LandmarkRidgeModel;
let tmp: string;
let dir: string;
let test: HelenFace[];

beforeAll(async () => {
  await useWasm();
  mesh = await loadFaceMesh();
  model = await fitHelenHead(mesh, await helenFaces('train', 20));
  test = await helenFaces('test', 10);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'backbone-head-'));
  dir = path.join(tmp, 'helen-mesh');
  // Reading and embedding 30 faces twice: seconds on an idle machine, minutes under heavy load.
}, 400_000);

afterAll(async () => {
  mesh?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const landmarkCard = () =>
  headCard('helen-mesh', [mesh], [['mesh', 'p_re_lu_15']], { task: 'landmarks' }, 20);

function headInput(taps: Record<string, Float32Array>, n: number): HeadInput {
  return {
    count: n,
    points: taps.mesh!,
    pointCount: 468,
    pointDims: 3,
    maps: taps.p_re_lu_15!,
    mapDim: 6 * 6 * 128,
  };
}

/** The landmark folder, exported once by whichever test asks first (any order, any one alone). */
let landmarkExport: ReturnType<typeof exportBackboneHeadModel> | undefined;
const exportLandmarks = () =>
  (landmarkExport ??= exportBackboneHeadModel(dir, {
    card: landmarkCard(),
    backbones: [mesh],
    head: { task: 'landmarks', model, taps: MESH_TAPS },
  }));

describe('exportBackboneHeadModel (landmarks on FaceMesh)', () => {
  it('writes one graph folder with the card and the backbone notice', async () => {
    const { bytes } = await exportLandmarks();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      'NOTICE-facemesh.txt',
      'card.json',
      'group1-shard1of2.bin',
      'group1-shard2of2.bin',
      'model.json',
    ]);
    let total = 0;
    for (const f of files) total += (await stat(path.join(dir, f))).size;
    expect(bytes).toBe(total);
    // FaceMesh as float32 (its contour head left out) plus a (1404 + 4608) × 136 affine map.
    expect(bytes).toBeGreaterThan(4e6);
    expect(bytes).toBeLessThan(9e6);
    expect(await readFile(path.join(dir, 'NOTICE-facemesh.txt'), 'utf8')).toMatch(/Apache/);
    console.log(`landmark head folder: ${(bytes / 1e6).toFixed(2)} MB`);
  }, 300_000);

  it('runs as the engine does: each crop and its mirror within 1e-4', async () => {
    await exportLandmarks();
    const loaded = await loadExportedModel(dir);
    expect(loaded.inputSize).toBe(192);
    const crops = await cropsOf(mesh, test);
    const pieces = await Promise.all(crops.map((c) => cropFaces(c.source, [c.box], 192)));
    const images = tf.concat(pieces) as tf.Tensor4D;
    const mirrored = tf.reverse(images, 2) as tf.Tensor4D;
    tf.dispose(pieces);
    try {
      const n = test.length;
      for (const input of [images, mirrored]) {
        const graph = (await loaded.predict(input)).landmarks!;
        const embedded = await mesh.embed(input, [MESH_TAPS.points, MESH_TAPS.map]);
        const engine = await predictLandmarkCrops(model, headInput(embedded.taps, n));
        expect(graph).toHaveLength(engine.length);
        let worst = 0;
        for (let i = 0; i < engine.length; i++)
          worst = Math.max(worst, Math.abs(graph[i]! - engine[i]!));
        expect(worst).toBeLessThan(1e-4);
      }
    } finally {
      tf.dispose([images, mirrored]);
      loaded.dispose();
    }
  }, 300_000);

  it('predictFaces on the folder gives the head’s flip-averaged shapes and a sensible NME', async () => {
    await exportLandmarks();
    const loaded = await loadExportedModel(dir);
    try {
      const outcome = await predictFaces(
        loaded,
        test.map((f) => ({ file: f.file, points: f.points })),
        { detect: false },
      );
      expect(outcome.failed).toEqual([]);
      expect(outcome.faces).toHaveLength(test.length);
      // The engine's own flip-averaged prediction of the same crops (image px).
      const crops = await cropsOf(mesh, test);
      const pieces = await Promise.all(crops.map((c) => cropFaces(c.source, [c.box], 192)));
      const images = tf.concat(pieces) as tf.Tensor4D;
      const mirrored = tf.reverse(images, 2) as tf.Tensor4D;
      const taps = [MESH_TAPS.points, MESH_TAPS.map];
      const a = await mesh.embed(images, taps);
      const b = await mesh.embed(mirrored, taps);
      tf.dispose([...pieces, images, mirrored]);
      const engine = await predictLandmarkRidge(
        model,
        headInput(a.taps, test.length),
        headInput(b.taps, test.length),
      );
      const nmes = outcome.faces.map((face, i) => {
        const box = crops[i]!.box;
        expect(face.crop).toEqual(box);
        face.labels.points.forEach((p, k) => {
          const u = engine.shapes[(i * 68 + k) * 2]!;
          const v = engine.shapes[(i * 68 + k) * 2 + 1]!;
          expect(Math.abs(p.x - (box.x + u * box.width)) / box.width).toBeLessThan(1e-4);
          expect(Math.abs(p.y - (box.y + v * box.height)) / box.height).toBeLessThan(1e-4);
        });
        return nmeOfFace(
          face.labels.points.flatMap((p) => [p.x, p.y]),
          test[i]!.points.flatMap((p) => [p.x, p.y]),
          [36, 45],
        );
      });
      const nme = mean(nmes);
      console.log(`HELEN test (10 faces), 20 training faces: NME ${(100 * nme).toFixed(2)}%`);
      expect(nme).toBeLessThan(0.1);
    } finally {
      loaded.dispose();
    }
  }, 300_000);

  it('refuses a card that does not describe the graph, by field', async () => {
    const bad = landmarkCard();
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: { ...bad, input: { ...bad.input, size: 128 } },
        backbones: [mesh],
        head: { task: 'landmarks', model, taps: MESH_TAPS },
      }),
    ).rejects.toThrow(/card\.input\.size is 128; the graph needs 192/);
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: { ...bad, head: undefined },
        backbones: [mesh],
        head: { task: 'landmarks', model, taps: MESH_TAPS },
      }),
    ).rejects.toThrow(/no head record/);
    const swapped = { ...bad, schema: { ...bad.schema!, mirror: [] } };
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: swapped,
        backbones: [mesh],
        head: { task: 'landmarks', model, taps: MESH_TAPS },
      }),
    ).rejects.toThrow(/mirror pairs are not the flip/);
    const noNotice = {
      ...bad,
      head: { ...bad.head!, backbones: [{ ...bad.head!.backbones[0]!, notice: null }] },
    };
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: noNotice,
        backbones: [mesh],
        head: { task: 'landmarks', model, taps: MESH_TAPS },
      }),
    ).rejects.toThrow(/notice must travel with the model/);
    await expect(readdir(path.join(tmp, 'bad'))).rejects.toThrow(/ENOENT/);
  }, 300_000);
});

describe('exportBackboneHeadModel (expression and attributes on mini-Xception + FaceMesh)', () => {
  let xception: FaceBackbone;
  let faces: CkFace[];
  let classes: string[];
  let features: FeatureRows;
  let crops: tf.Tensor4D;
  let train: number[];
  let held: number[];
  const taps = [
    { backbone: 'mini-xception', tap: 'pooled' },
    { backbone: 'facemesh', tap: 'mesh' },
  ];
  beforeAll(async () => {
    xception = await loadMiniXceptionBackbone();
    ({ faces, classes } = await readCkFaces(120, 3));
    const plan = headCropPlan([xception, mesh]);
    crops = await ckPlanCrops(faces, plan);
    const [a, b] = await embedHeadCrops(plan, [xception, mesh], crops, [['pooled'], ['mesh']]);
    features = concatFeatures(
      { rows: faces.length, dim: 256, data: a!.pooled! },
      { rows: faces.length, dim: 1404, data: b!.mesh! },
    );
    const subjects = [...new Set(faces.map((f) => f.subject))].sort();
    const out = new Set(subjects.filter((_, i) => i % 4 === 0));
    train = faces.flatMap((f, i) => (out.has(f.subject) ? [] : [i]));
    held = faces.flatMap((f, i) => (out.has(f.subject) ? [i] : []));
  }, 400_000);

  afterAll(() => {
    xception?.dispose();
    crops?.dispose();
  });

  it('exports an expression head that runs as the engine does and predicts held-out subjects', async () => {
    const model = await fitClassifierHead(
      { task: 'expression', classes },
      taps,
      selectRows(features, train),
      train.map((i) => [faces[i]!.label]),
      { groups: train.map((i) => faces[i]!.subject) },
    );
    const out = path.join(tmp, 'ck-expression');
    const { bytes } = await exportBackboneHeadModel(out, {
      card: headCard(
        'ck-expression',
        [xception, mesh],
        [['pooled'], ['mesh']],
        { task: 'expression', classes },
        train.length,
      ),
      backbones: [xception, mesh],
      head: { task: 'expression', model, taps },
    });
    console.log(
      `expression head folder (mini-Xception + FaceMesh): ${(bytes / 1e6).toFixed(2)} MB`,
    );
    expect((await readdir(out)).filter((f) => f.startsWith('NOTICE')).sort()).toEqual([
      'NOTICE-facemesh.txt',
      'NOTICE-mini-xception.txt',
    ]);
    const loaded = await loadExportedModel(out);
    try {
      expect(loaded.inputSize).toBe(192);
      const heldCrops = tf.gather(crops, held) as tf.Tensor4D;
      const graph = (await loaded.predict(heldCrops)).probabilities!;
      heldCrops.dispose();
      const engine = headProbabilities(model, selectRows(features, held));
      expect(graph).toHaveLength(engine.length);
      let worst = 0;
      for (let i = 0; i < engine.length; i++)
        worst = Math.max(worst, Math.abs(graph[i]! - engine[i]!));
      expect(worst).toBeLessThan(1e-4);
      // predictFaces cuts the same crop from the face box and reads the same probabilities.
      const outcome = await predictFaces(
        loaded,
        held.map((i) => ({ file: faces[i]!.source as string, box: CK_FACE_BOX })),
        { detect: false },
      );
      expect(outcome.faces).toHaveLength(held.length);
      let hits = 0;
      outcome.faces.forEach((face, r) => {
        classes.forEach((name, c) =>
          expect(
            Math.abs(face.scores.expression![name]! - engine[r * classes.length + c]!),
          ).toBeLessThan(1e-4),
        );
        if (face.labels.expression === classes[faces[held[r]!]!.label]) hits++;
      });
      const truth = held.map((i) => faces[i]!.label);
      const rate = hits / held.length;
      console.log(
        `CK+ ${held.length} faces of held-out subjects, ${train.length} training faces: ` +
          `accuracy ${(100 * rate).toFixed(1)}%, majority ${(100 * majorityRate(truth)).toFixed(1)}%`,
      );
      expect(rate).toBeGreaterThan(majorityRate(truth) + 0.2);
    } finally {
      loaded.dispose();
    }
  }, 300_000);

  it('exports attributes with their Platt scaling, P(yes) as the engine gives it', async () => {
    const names = ['happy', 'surprise'];
    const models = await fitClassifierHead(
      { task: 'attributes', attributes: names },
      taps,
      selectRows(features, train),
      train.map((i) => names.map((name) => (classes[faces[i]!.label] === name ? 1 : 0))),
      { groups: train.map((i) => faces[i]!.subject) },
    );
    const out = path.join(tmp, 'ck-attributes');
    await exportBackboneHeadModel(out, {
      card: headCard(
        'ck-attributes',
        [xception, mesh],
        [['pooled'], ['mesh']],
        { task: 'attributes', attributes: names },
        train.length,
      ),
      backbones: [xception, mesh],
      head: { task: 'attributes', model: models, taps },
    });
    const loaded = await loadExportedModel(out);
    try {
      const heldCrops = tf.gather(crops, held) as tf.Tensor4D;
      const graph = (await loaded.predict(heldCrops)).probabilities!;
      heldCrops.dispose();
      const engine = headProbabilities(models, selectRows(features, held));
      let worst = 0;
      for (let i = 0; i < engine.length; i++)
        worst = Math.max(worst, Math.abs(graph[i]! - engine[i]!));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      loaded.dispose();
    }
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: headCard(
          'bad',
          [xception, mesh],
          [['pooled'], ['mesh']],
          { task: 'attributes', attributes: ['happy'] },
          1,
        ),
        backbones: [xception, mesh],
        head: { task: 'attributes', model: models, taps },
      }),
    ).rejects.toThrow(/the card names attributes \[happy\]; the head predicts \[happy, surprise\]/);
    await expect(
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: headCard(
          'bad',
          [xception, mesh],
          [['pooled'], []],
          { task: 'attributes', attributes: names },
          1,
        ),
        backbones: [xception, mesh],
        head: { task: 'attributes', model: models, taps },
      }),
    ).rejects.toThrow(/reads tap mesh of facemesh, which its card does not list/);
  }, 300_000);
});

describe('exportBackboneHeadModel (attributes on face-api age-gender + mini-Xception)', () => {
  it('writes the studio-written age-gender graph and equals the engine within 1e-4 on MTFL faces', async () => {
    const ageGender = await loadAgeGenderBackbone();
    const xception = await loadMiniXceptionBackbone();
    const backbones = [ageGender, xception];
    const tapLists = [['pooled', 'gender'], ['pooled']];
    const taps = backbones.flatMap((b, i) => tapLists[i]!.map((tap) => ({ backbone: b.id, tap })));
    const plan = headCropPlan(backbones);
    const names = ['male', 'smiling'];
    const cut = async (faces: MtflFace[]) => {
      const pieces = await Promise.all(
        faces.map((f) => cropFaces(f.source as string, [f.box], plan.inputSize)),
      );
      const crops = tf.concat(pieces) as tf.Tensor4D;
      tf.dispose(pieces);
      const [a, b] = await embedHeadCrops(plan, backbones, crops, tapLists);
      const n = faces.length;
      const x = concatFeatures(
        { rows: n, dim: 512, data: a!.pooled! },
        { rows: n, dim: 1, data: a!.gender! },
        { rows: n, dim: 256, data: b!.pooled! },
      );
      return { crops, x };
    };
    const trainFaces = await readMtflFaces('training.txt', 120, 5);
    const testFaces = await readMtflFaces('testing.txt', 40, 5);
    const train = await cut(trainFaces);
    train.crops.dispose();
    const test = await cut(testFaces);
    const head = await fitClassifierHead(
      { task: 'attributes', attributes: names },
      taps,
      train.x,
      trainFaces.map((f) => [f.labels.male, f.labels.smiling]),
    );
    const out = path.join(tmp, 'mtfl-attributes');
    try {
      await exportBackboneHeadModel(out, {
        card: headCard(
          'mtfl-attributes',
          backbones,
          tapLists,
          { task: 'attributes', attributes: names },
          trainFaces.length,
        ),
        backbones,
        head: { task: 'attributes', model: head, taps },
      });
      expect((await readdir(out)).filter((f) => f.startsWith('NOTICE')).sort()).toEqual([
        'NOTICE-face-api-age-gender.txt',
        'NOTICE-mini-xception.txt',
      ]);
      expect(await readFile(path.join(out, 'NOTICE-face-api-age-gender.txt'), 'utf8')).toMatch(
        /Vincent M/,
      );
      const loaded = await loadExportedModel(out);
      try {
        expect(loaded.inputSize).toBe(plan.inputSize);
        const graph = (await loaded.predict(test.crops)).probabilities!;
        const engine = headProbabilities(head, test.x);
        expect(graph).toHaveLength(engine.length);
        let worst = 0;
        for (let i = 0; i < engine.length; i++)
          worst = Math.max(worst, Math.abs(graph[i]! - engine[i]!));
        expect(worst).toBeLessThan(1e-4);
        const truth = testFaces.map((f) => f.labels.male);
        const hits = truth.filter((t, i) => (graph[2 * i]! >= 0.5 ? 1 : 0) === t).length;
        console.log(
          `MTFL male, 120 → 40 faces, exported graph: ${((100 * hits) / truth.length).toFixed(1)}% ` +
            `(majority ${(100 * majorityRate(truth)).toFixed(1)}%); worst |graph − engine| ${worst.toExponential(1)}`,
        );
        expect(hits / truth.length).toBeGreaterThan(majorityRate(truth) + 0.15);
      } finally {
        loaded.dispose();
      }
    } finally {
      test.crops.dispose();
      ageGender.dispose();
      xception.dispose();
    }
  }, 400_000);
});
