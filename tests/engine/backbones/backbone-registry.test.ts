/**
 * The backbones the app offers: the shipped ones (never FaceRes, whose weights state no licence),
 * each project's pre-trained ProS backbones as `pros-vit:<model id>` (loading with the exported
 * weights), the taps each task's head reads, and a clear error for an id not offered.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_FACE_BACKBONES,
  offeredBackbone,
  offeredBackbones,
  shippedBackbones,
} from '../../../src-main/engine/backbones/backbone-registry';
import { findTap } from '../../../src-main/engine/backbones/face-backbone';
import { exportBackbone } from '../../../src-main/engine/export/saved-backbone';
import { initParams, layoutOf } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import { vitParamSpecs, type VitConfig } from '../../../src-main/engine/model/vit';
import { useWasm } from '../../support/engine-helpers';

const VIT: VitConfig = { imageSize: 16, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpRatio: 2 };

let root: string;
let modelsDir: string;
beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-registry-'));
  modelsDir = path.join(root, 'models');
  const weights = initParams(layoutOf(vitParamSpecs(VIT)), new Rng(5));
  await exportBackbone(path.join(modelsDir, 'pretrain-a'), VIT, weights, {
    id: 'pretrain-a',
    preset: 'custom',
    runId: null,
    config: {},
    data: { project: null, train: 0, val: 0, test: 0 },
  });
  // Neither a backbone nor a model: left out, not an error.
  await mkdir(path.join(modelsDir, 'broken'), { recursive: true });
  await writeFile(path.join(modelsDir, 'backbone-comparison.landmarks.json'), '{}');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('backbone registry', () => {
  it('offers FaceMesh, mini-Xception, face-api age-gender and the random ViT, never FaceRes', () => {
    const ids = shippedBackbones().map((b) => b.id);
    expect(ids).toEqual(['facemesh', 'mini-xception', 'face-api-age-gender', 'random']);
    expect(ids.some((id) => /faceres/i.test(id))).toBe(false);
    for (const b of shippedBackbones()) expect(b.licence.spdx).not.toBe('');
    expect(DEFAULT_FACE_BACKBONES.landmarks).toEqual(['facemesh']);
    // Attributes: the appearance backbones that reach the MTFL yes/no targets and FaceMesh for
    // the one-of-N groups (pose), all exportable.
    expect(DEFAULT_FACE_BACKBONES.attributes).toEqual([
      'face-api-age-gender',
      'mini-xception',
      'facemesh',
    ]);
    for (const id of DEFAULT_FACE_BACKBONES.attributes)
      expect(shippedBackbones().find((b) => b.id === id)?.exportable).toBe(true);
  });

  it('adds each pre-trained backbone of the project as pros-vit:<model id>', async () => {
    const all = await offeredBackbones(modelsDir);
    expect(all.map((b) => b.id)).toEqual([
      'facemesh',
      'mini-xception',
      'face-api-age-gender',
      'random',
      'pros-vit:pretrain-a',
    ]);
    expect(await offeredBackbones(path.join(root, 'nowhere'))).toHaveLength(4);
    const pros = await offeredBackbone('pros-vit:pretrain-a', modelsDir);
    expect(pros.kind).toBe('learned');
    const backbone = await pros.load();
    try {
      expect(backbone.inputSize).toBe(16);
      const crops = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const out = await backbone.embed(crops);
      crops.dispose();
      expect(out.taps.tokens).toHaveLength(2 * 2 * 2 * 16);
      expect(out.taps.pooled).toHaveLength(2 * 16);
      // A 2 × 2 grid over 2 × 2 tokens: the tokens themselves, as the tap's shape says.
      expect(findTap(backbone, 'grid').shape).toEqual([2, 2, 16]);
      expect(out.taps.grid).toEqual(out.taps.tokens);
      // The pooled tap is the tokens' mean.
      const first = Array.from(
        { length: 16 },
        (_, c) => [0, 1, 2, 3].reduce((s, t) => s + out.taps.tokens![t * 16 + c]!, 0) / 4,
      );
      first.forEach((v, c) => expect(out.taps.pooled![c]).toBeCloseTo(v, 5));
    } finally {
      backbone.dispose();
    }
  });

  it('names, per task, taps each backbone has', async () => {
    for (const offered of shippedBackbones()) {
      const backbone = await offered.load();
      try {
        const { points, map, local } = offered.taps.landmarks;
        if (points) expect(findTap(backbone, points).kind).toBe('points');
        for (const tap of [map ?? []].flat()) expect(findTap(backbone, tap).kind).toBe('map');
        // The refinement samples a spatial map: [h, w, c].
        if (local) expect(findTap(backbone, local).shape).toHaveLength(3);
        for (const tap of offered.taps.classify) expect(findTap(backbone, tap)).toBeTruthy();
        expect(backbone.id).toBe(offered.id);
        expect(backbone.licence).toEqual(offered.licence);
        // Exportable means the exporter can write its graph: it describes its packaged graph.
        expect(offered.exportable).toBe(backbone.graph !== undefined);
      } finally {
        backbone.dispose();
      }
    }
  }, 60_000);

  it('names what is offered when an id is not', async () => {
    await expect(offeredBackbone('faceres', modelsDir)).rejects.toThrow(
      /No face backbone "faceres".*offered: facemesh, mini-xception, face-api-age-gender, random, pros-vit:pretrain-a/,
    );
  });
});
