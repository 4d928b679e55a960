/**
 * The landmark head's refinement as graph ops, on real faces: a head fitted on 50 HELEN training
 * faces through FaceMesh with the product's taps (mesh, p_re_lu_12 + p_re_lu_15, refined on
 * p_re_lu_9), exported as one graph: on 12 HELEN test crops and their mirrors the graph equals
 * the engine's refined prediction within 1e-4, on wasm and on cpu, where the refinement itself
 * moves points by far more than that; `predictFaces` on the refined folder beats the same head
 * exported without its refinement on 30 held-out faces; with the job's recut rule `predictFaces`
 * gives each face the engine's flip-averaged prediction on its final cut, most faces on their
 * first cut in two graph runs; the card must say how the head refines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landmarkTapNames, headInputOf } from '../../../src-main/engine/backbones/embed-faces';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../../../src-main/engine/backbones/facemesh';
import { cropFaces, toCrop } from '../../../src-main/engine/data/face-crop';
import { exportBackboneHeadModel } from '../../../src-main/engine/export/backbone-head-export';
import { loadExportedModel, type ExportedModel } from '../../../src-main/engine/export/load-model';
import {
  landmarkCardHead,
  landmarkTapsOf,
  type LandmarkHead,
} from '../../../src-main/engine/landmarks/landmark-head-model';
import { headCropRecord } from '../../../src-main/engine/landmarks/head-crop-record';
import {
  predictLandmarkCrops,
  type LandmarkRidgeModel,
} from '../../../src-main/engine/landmarks/landmark-ridge-head';
import { mean, nmeOfFace } from '../../../src-main/engine/metrics/landmark-metrics';
import { combineFlipped, flipIndexOf } from '../../../src-main/engine/predict/flip-consistency';
import { predictFaces } from '../../../src-main/engine/predict/predict-faces';
import { framingShift, RECUT_BEYOND } from '../../../src-main/engine/predict/recut';
import type { ModelCard } from '../../../src-main/shared/model-card';
import { useWasm } from '../../support/engine-helpers';
import { helenFaces, type HelenFace } from '../../support/helen-crops';
import { cropsOf, fitHelenHead, headCard } from './backbone-head-fixtures';

let mesh: FaceBackbone;
let head: LandmarkHead;
let tmp: string;
let test: HelenFace[];

beforeAll(async () => {
  await useWasm();
  mesh = await loadFaceMesh();
  const taps = landmarkTapsOf(mesh);
  head = {
    task: 'landmarks',
    model: await fitHelenHead(mesh, await helenFaces('train', 50), taps),
    taps,
  };
  test = await helenFaces('test', 30);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'refine-graph-'));
  // Reading and embedding 80 faces twice: seconds on an idle machine, minutes under heavy load.
}, 600_000);

afterAll(async () => {
  mesh?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The card of `model` as the job writes it (its head record from the model). */
function cardOf(id: string, model: LandmarkRidgeModel): ModelCard {
  const base = headCard(id, [mesh], [[]], { task: 'landmarks' }, 50);
  const crop = { ...headCropRecord(mesh, 'landmarks'), inputSize: 192 };
  return { ...base, head: landmarkCardHead(mesh, { ...head, model }, crop) };
}

const unrefined = (model: LandmarkRidgeModel): LandmarkRidgeModel => ({ ...model, refine: null });

async function exported(id: string, model: LandmarkRidgeModel): Promise<string> {
  const dir = path.join(tmp, id);
  await exportBackboneHeadModel(dir, {
    card: cardOf(id, model),
    backbones: [mesh],
    head: { ...head, model },
  });
  return dir;
}

/** The engine's shapes for `images` (crops as they are), refined as the model says. */
async function engineShapes(model: LandmarkRidgeModel, images: tf.Tensor4D) {
  const embedded = await mesh.embed(images, landmarkTapNames(head.taps, true));
  const input = headInputOf(
    mesh,
    { count: embedded.count, taps: embedded.taps, flipped: null, msPerFace: 0 },
    head.taps,
    false,
  );
  return predictLandmarkCrops(model, input);
}

const worstGap = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a).toHaveLength(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

describe('the refined landmark head in the exported graph', () => {
  it('is refined: the fit kept its refinement on held-out faces and the card says on which tap', () => {
    const { refine, refineCheck } = head.model;
    expect(refine).not.toBeNull();
    expect(refineCheck!.refined).toBeLessThan(refineCheck!.unrefined);
    const record = cardOf('card', head.model).head!;
    expect(record.refinement).toEqual({
      tap: 'p_re_lu_9',
      applied: true,
      unrefined: refineCheck!.unrefined,
      refined: refineCheck!.refined,
      faces: 50,
    });
    expect(record.backbones[0]!.taps).toEqual(['mesh', 'p_re_lu_12', 'p_re_lu_15', 'p_re_lu_9']);
  });

  it('equals the engine’s refined prediction within 1e-4 on each crop and its mirror, on wasm and cpu', async () => {
    const dir = await exported('refined', head.model);
    const crops = await cropsOf(mesh, test.slice(0, 12));
    const pieces = await Promise.all(crops.map((c) => cropFaces(c.source, [c.box], 192)));
    const images = tf.concat(pieces) as tf.Tensor4D;
    const mirrored = tf.reverse(images, 2) as tf.Tensor4D;
    tf.dispose(pieces);
    const inputs = [await images.array(), await mirrored.array()];
    const engine: Float64Array[] = [];
    try {
      for (const input of [images, mirrored]) {
        const refined = await engineShapes(head.model, input);
        // The refinement moves points by far more than the tolerance: a graph without it fails.
        expect(worstGap(refined, await engineShapes(unrefined(head.model), input))).toBeGreaterThan(
          5e-3,
        );
        engine.push(refined);
      }
    } finally {
      tf.dispose([images, mirrored]);
    }
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const loaded = await loadExportedModel(dir);
      try {
        for (const [i, values] of inputs.entries()) {
          const input = tf.tensor4d(values);
          try {
            const graph = (await loaded.predict(input)).landmarks!;
            expect(worstGap(graph, engine[i]!), `${backend}, input ${i}`).toBeLessThan(1e-4);
          } finally {
            input.dispose();
          }
        }
      } finally {
        loaded.dispose();
        await useWasm();
      }
    }
  }, 600_000);

  it('predicts held-out faces better through predictFaces than the same head exported unrefined', async () => {
    const nmeOf = async (dir: string) => {
      const loaded = await loadExportedModel(dir);
      try {
        const outcome = await predictFaces(
          loaded,
          test.map((f) => ({ file: f.file, points: f.points })),
          { detect: false },
        );
        expect(outcome.faces).toHaveLength(test.length);
        return mean(
          outcome.faces.map((face, i) =>
            nmeOfFace(
              face.labels.points.flatMap((p) => [p.x, p.y]),
              test[i]!.points.flatMap((p) => [p.x, p.y]),
              [36, 45],
            ),
          ),
        );
      } finally {
        loaded.dispose();
      }
    };
    const refined = await nmeOf(await exported('refined-product', head.model));
    const plain = await nmeOf(await exported('unrefined-product', unrefined(head.model)));
    console.log(
      `HELEN test (30 faces), 50 training faces, predictFaces: refined ${(100 * refined).toFixed(2)}%, unrefined ${(100 * plain).toFixed(2)}%`,
    );
    expect(refined).toBeLessThan(plain);
    expect(refined).toBeLessThan(0.06);
  }, 600_000);

  it('runs the recut rule as the job writes it: each face the engine’s flip average on its final cut', async () => {
    // The job's crop record: cut again only where the first guess moves the centre by over
    // RECUT_BEYOND of the side. Faces cut from their labelled points are mostly framed already.
    const crop = {
      ...headCropRecord(mesh, 'landmarks'),
      inputSize: 192,
      refine: 'predicted-landmarks' as const,
      recutBeyond: RECUT_BEYOND,
    };
    const dir = path.join(tmp, 'recut');
    const card = headCard('recut', [mesh], [[]], { task: 'landmarks' }, 50);
    await exportBackboneHeadModel(dir, {
      card: { ...card, head: landmarkCardHead(mesh, head, crop) },
      backbones: [mesh],
      head,
    });
    const loaded = await loadExportedModel(dir);
    const faces = test.slice(0, 12);
    const runs: number[] = [];
    const counted: ExportedModel = {
      ...loaded,
      predict: (images) => {
        runs.push(images.shape[0]);
        return loaded.predict(images);
      },
    };
    try {
      const outcome = await predictFaces(
        counted,
        faces.map((f) => ({ file: f.file, points: f.points })),
        { detect: false },
      );
      expect(outcome.faces).toHaveLength(faces.length);
      const firstCuts = await cropsOf(mesh, faces);
      const kept = outcome.faces.filter((f, i) => {
        const same = JSON.stringify(f.crop) === JSON.stringify(firstCuts[i]!.box);
        // A face cut again was cut around its guess, off the first cut by over the threshold.
        if (!same) expect(framingShift(firstCuts[i]!.box, f.crop)).toBeGreaterThan(RECUT_BEYOND);
        return same;
      }).length;
      expect(kept).toBeGreaterThan(faces.length / 2);
      // The first cuts together; then the recut crops with every final crop's mirror.
      expect(runs).toEqual([faces.length, 2 * faces.length - kept]);

      // The engine on each face's final cut and its mirror, flip-averaged.
      const pieces = await Promise.all(outcome.faces.map((f) => cropFaces(f.file, [f.crop], 192)));
      const images = tf.concat(pieces) as tf.Tensor4D;
      const mirrored = tf.reverse(images, 2) as tf.Tensor4D;
      tf.dispose(pieces);
      let engine: Float32Array;
      try {
        engine = combineFlipped(
          Float32Array.from(await engineShapes(head.model, images)),
          Float32Array.from(await engineShapes(head.model, mirrored)),
          flipIndexOf(68, card.schema!.mirror),
        ).points;
      } finally {
        tf.dispose([images, mirrored]);
      }
      const predicted = outcome.faces.flatMap((f) =>
        toCrop(f.labels.points, f.crop).flatMap((p) => [p.x, p.y]),
      );
      expect(worstGap(predicted, engine)).toBeLessThan(1e-4);
    } finally {
      loaded.dispose();
    }
  }, 600_000);

  it('refuses a card that does not say how the head refines, by field', async () => {
    const card = cardOf('bad', head.model);
    const write = (c: ModelCard, model = head.model) =>
      exportBackboneHeadModel(path.join(tmp, 'bad'), {
        card: c,
        backbones: [mesh],
        head: { ...head, model },
      });
    await expect(write({ ...card, head: { ...card.head!, refinement: null } })).rejects.toThrow(
      /card\.head\.refinement is null; the head applies its refinement on tap p_re_lu_9/,
    );
    const listed = card.head!.backbones[0]!;
    await expect(
      write({
        ...card,
        head: { ...card.head!, backbones: [{ ...listed, taps: listed.taps.slice(0, 3) }] },
      }),
    ).rejects.toThrow(/refines on tap p_re_lu_9 of facemesh, which its card does not list/);
    await expect(write(card, unrefined(head.model))).rejects.toThrow(
      /card\.head\.refinement says the head is refined; the head has no refinement/,
    );
  }, 300_000);
});
