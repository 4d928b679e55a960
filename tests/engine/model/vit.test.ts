/**
 * vitFeatures: the poolings a frozen backbone offers a probe. `cls` is the CLS row the
 * pre-training head sees; `cls+mean` puts the mean of the patch tokens beside it; `cls4`
 * concatenates the CLS rows of the last four blocks, each through the final norm. A list of
 * poolings gives their rows side by side.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParams, layoutOf, tensorsOf } from '../../../src-main/engine/model/params';
import type { TensorMap } from '../../../src-main/engine/model/params';
import { Rng } from '../../../src-main/engine/model/rng';
import {
  featureWidth,
  vitFeatures,
  vitForward,
  vitParamSpecs,
  vitTokens,
} from '../../../src-main/engine/model/vit';
import type { VitConfig } from '../../../src-main/engine/model/vit';
import { maxAbsDiff } from '../export/export-fixtures';
import { useWasm } from '../helpers';

const VIT: VitConfig = { imageSize: 16, patchSize: 8, dim: 12, depth: 2, heads: 2, mlpRatio: 2 };

function randomParams(): TensorMap {
  const layout = layoutOf(vitParamSpecs(VIT));
  return tensorsOf(layout, initParams(layout, new Rng(5)));
}

beforeAll(useWasm);

describe('vitFeatures', () => {
  it('gives the CLS row, or the CLS row beside the mean of the patch tokens', () => {
    const params = randomParams();
    const images = tf.randomUniform([3, 16, 16, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const cls = vitFeatures(VIT, params, images, 'cls');
    const both = vitFeatures(VIT, params, images, 'cls+mean');
    expect(cls.shape).toEqual([3, 12]);
    expect(both.shape).toEqual([3, 24]);
    expect(maxAbsDiff(cls.dataSync(), vitForward(VIT, params, images).dataSync())).toBe(0);

    // The mean by hand: 1 CLS + 2×2 patch tokens per image, the patch rows averaged.
    const tokens = vitTokens(VIT, params, images).arraySync();
    const rows = both.arraySync();
    for (let i = 0; i < 3; i++) {
      const own = tokens.slice(i * 5, i * 5 + 5);
      const mean = own[0]!.map(
        (_, d) => (own[1]![d]! + own[2]![d]! + own[3]![d]! + own[4]![d]!) / 4,
      );
      expect(maxAbsDiff(rows[i]!.slice(0, 12), own[0]!)).toBeLessThan(1e-6);
      expect(maxAbsDiff(rows[i]!.slice(12), mean)).toBeLessThan(1e-5);
      // The two halves carry different information (not the CLS row twice).
      expect(maxAbsDiff(rows[i]!.slice(12), own[0]!)).toBeGreaterThan(1e-3);
    }
    tf.dispose([...params.values(), images, cls, both]);
  });

  it('concatenates the CLS rows of the last four blocks, the last one being vitForward', () => {
    const deep: VitConfig = { ...VIT, depth: 5 };
    const layout = layoutOf(vitParamSpecs(deep));
    const flat = initParams(layout, new Rng(6));
    const params = tensorsOf(layout, flat);
    const images = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const rows = vitFeatures(deep, params, images, 'cls4');
    expect(rows.shape).toEqual([2, 4 * 12]);
    const got = rows.arraySync();
    // Block k's CLS row is the CLS row of the same network cut after block k (depth k + 1).
    for (let k = 1; k < 5; k++) {
      const cut = vitForward({ ...deep, depth: k + 1 }, params, images).arraySync();
      for (let i = 0; i < 2; i++)
        expect(maxAbsDiff(got[i]!.slice((k - 1) * 12, k * 12), cut[i]!)).toBeLessThan(1e-5);
    }
    // The four slices differ: each block changes the CLS token.
    expect(maxAbsDiff(got[0]!.slice(0, 12), got[0]!.slice(36))).toBeGreaterThan(1e-3);
    tf.dispose([...params.values(), images, rows]);
  });

  it('gives a list of poolings side by side, each as it is alone, at featureWidth', () => {
    const deep: VitConfig = { ...VIT, depth: 5 };
    const layout = layoutOf(vitParamSpecs(deep));
    const params = tensorsOf(layout, initParams(layout, new Rng(7)));
    const images = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const poolings = ['cls+mean', 'cls4', 'cls'] as const;
    const joined = vitFeatures(deep, params, images, poolings).arraySync();
    const widths = poolings.map((p) => featureWidth(deep, p));
    expect(widths).toEqual([24, 48, 12]);
    expect(joined[0]!.length).toBe(24 + 48 + 12);
    let at = 0;
    poolings.forEach((p, k) => {
      const alone = vitFeatures(deep, params, images, p).arraySync();
      for (let i = 0; i < 2; i++)
        expect(maxAbsDiff(joined[i]!.slice(at, at + widths[k]!), alone[i]!)).toBeLessThan(1e-5);
      at += widths[k]!;
    });
    // A model shallower than four blocks gives every block's CLS row.
    expect(featureWidth({ ...VIT, depth: 2 }, 'cls4')).toBe(24);
    tf.dispose([...params.values(), images]);
  });
});
