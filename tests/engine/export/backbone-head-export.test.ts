/**
 * exportBackboneHeadModel on real faces: a landmark ridge head fitted on 20 HELEN training faces
 * through FaceMesh, exported as one graph folder, loaded by loadExportedModel and run on 10 HELEN
 * test crops, equals the engine (backbone.embed + the head per crop) within 1e-4; predictFaces on
 * the folder equals the head's flip-averaged prediction and scores a sensible NME.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
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
  MESH_TAPS,
  cropsOf,
  fitHelenHead,
  headCard,
  helenFaces,
  type HelenFace,
} from './backbone-head-fixtures';

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

describe('exportBackboneHeadModel (landmarks on FaceMesh)', () => {
  it('writes one graph folder with the card and the backbone notice', async () => {
    const { bytes } = await exportBackboneHeadModel(dir, {
      card: landmarkCard(),
      backbones: [mesh],
      head: { task: 'landmarks', model, taps: MESH_TAPS },
    });
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
        const embedded = await mesh.embed(input, [MESH_TAPS.points!, MESH_TAPS.map!]);
        const engine = predictLandmarkCrops(model, headInput(embedded.taps, n));
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
      const taps = [MESH_TAPS.points!, MESH_TAPS.map!];
      const a = await mesh.embed(images, taps);
      const b = await mesh.embed(mirrored, taps);
      tf.dispose([...pieces, images, mirrored]);
      const engine = predictLandmarkRidge(
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
