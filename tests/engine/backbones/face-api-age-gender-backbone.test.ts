/**
 * face-api.js's age and gender net as a studio backbone: built from the package's weights with
 * plain TF.js ops, it must equal face-api's own network (the package's no-bundle build, run on
 * the same TF.js) on the same crops; its taps have their declared sizes; its own gender output
 * tells MTFL men from women far above the majority rate; bad weights give a clear error.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { tapSize } from '../../../src-main/engine/backbones/face-backbone';
import { loadAgeGenderBackbone } from '../../../src-main/engine/backbones/face-api-age-gender-backbone';
import {
  faceApiManifestPath,
  readFaceApiWeights,
} from '../../../src-main/engine/backbones/face-api-weights';
import { embedFaces } from '../../../src-main/engine/attributes/appearance-features';
import { majorityRate, readMtflFaces } from '../attributes/appearance-data';

interface FaceApiNet {
  loadFromWeightMap(weights: tf.NamedTensorMap): void;
  forwardInput(input: unknown): { age: tf.Tensor1D; gender: tf.Tensor2D };
  dispose(): void;
}
interface FaceApiModule {
  AgeGenderNet: new () => FaceApiNet;
  toNetInput(input: tf.Tensor3D[]): Promise<unknown>;
}

describe('face-api age-gender backbone', () => {
  let backbone: FaceBackbone;
  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
    backbone = await loadAgeGenderBackbone();
  });
  afterAll(() => backbone.dispose());

  it('embeds every tap with its declared size; pooled is the map averaged', async () => {
    const crops = tf.randomUniform([2, 112, 112, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const out = await backbone.embed(crops);
    crops.dispose();
    for (const tap of backbone.taps) expect(out.taps[tap.name]).toHaveLength(2 * tapSize(tap));
    const map = out.taps.map!;
    for (const c of [0, 200, 511]) {
      let sum = 0;
      for (let p = 0; p < 49; p++) sum += map[49 * 512 + p * 512 + c]!;
      expect(out.taps.pooled![512 + c]).toBeCloseTo(sum / 49, 4);
    }
    expect(backbone.licence.spdx).toBe('MIT');
    expect(existsSync(backbone.licence.noticeFile!)).toBe(true);
  });

  it('its own gender output separates MTFL men and women far above the majority rate', async () => {
    const faces = await readMtflFaces('testing.txt', 80, 4);
    const embedded = await embedFaces(backbone, faces, ['gender']);
    const truth = faces.map((f) => f.labels.male);
    const hits = truth.filter((t, i) => (embedded.features.data[i]! > 0 ? 1 : 0) === t).length;
    // ~94% on MTFL rows; the majority (male) is ~60%.
    expect(hits / faces.length).toBeGreaterThan(majorityRate(truth) + 0.2);
  }, 300_000);

  it('names the manifest when the weights are missing or not a manifest', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'face-api-weights-'));
    const bad = path.join(dir, 'bad-weights_manifest.json');
    await fs.writeFile(bad, '{"not": "a manifest"}');
    await expect(readFaceApiWeights(bad)).rejects.toThrow(/bad-weights_manifest\.json.*manifest/);
    const missing = path.join(dir, 'gone-weights_manifest.json');
    await fs.writeFile(missing, JSON.stringify([{ paths: ['gone.bin'], weights: [] }]));
    await expect(readFaceApiWeights(missing)).rejects.toThrow(/gone\.bin/);
    await fs.rm(dir, { recursive: true });
  });

  it('equals face-api’s own network on the same crops (gender and age)', async () => {
    // Importing it registers every TF.js kernel again, one warning each: keep them off the log.
    const quiet = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const faceapi = (await import('@vladmandic/face-api/dist/face-api.esm-nobundle.js').finally(
      () => quiet.mockRestore(),
    )) as unknown as FaceApiModule;
    // The package's build registers the wasm kernels again, without their module: compare on
    // the cpu backend (the last test of this file, so the others keep wasm).
    await tf.setBackend('cpu');
    const net = new faceapi.AgeGenderNet();
    net.loadFromWeightMap(await readFaceApiWeights(faceApiManifestPath('age_gender_model')));
    const crops = tf.randomUniform([3, 112, 112, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    // face-api takes 0..255 pixels and normalises inside.
    const scaled = tf.mul(crops, 255) as tf.Tensor4D;
    const faces = tf.unstack(scaled) as tf.Tensor3D[];
    const ref = net.forwardInput(await faceapi.toNetInput(faces));
    const refAge = await ref.age.data();
    const refGender = await ref.gender.data(); // softmax, male first
    const mine = await backbone.embed(crops, ['gender', 'age']);
    tf.dispose([crops, scaled, ...faces, ref.age, ref.gender]);
    net.dispose();
    for (let i = 0; i < 3; i++) {
      expect(mine.taps.age![i]).toBeCloseTo(refAge[i]!, 3);
      const pMale = 1 / (1 + Math.exp(-mine.taps.gender![i]!));
      expect(pMale).toBeCloseTo(refGender[2 * i]!, 4);
    }
  }, 300_000);
});
