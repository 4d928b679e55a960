/**
 * Graph models from installed packages through an in-memory IOHandler: the weights load and
 * run on wasm; a missing package is a clear error (a file that is not a graph model: the
 * graph-file-loader test).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src-main/engine/backend';
import {
  loadPackageGraphModel,
  packageFile,
} from '../../../src-main/engine/backbones/package-graph-model';

describe('package graph models', () => {
  beforeAll(async () => {
    await chooseBackend({ force: 'wasm' });
  });

  it('loads a model shipped in @vladmandic/human and runs it', async () => {
    const model = await loadPackageGraphModel('@vladmandic/human', 'models/emotion.json');
    const out = model.execute(tf.zeros([2, 64, 64, 1])) as tf.Tensor;
    expect(out.shape).toEqual([2, 7]);
    const sums = (await tf.sum(out, 1).data()) as Float32Array;
    for (const s of sums) expect(s).toBeCloseTo(1, 4);
    out.dispose();
    model.dispose();
  });

  it('names a package that is not installed', () => {
    expect(() => packageFile('@no-such/package', 'model.json')).toThrow(
      /The package @no-such\/package is not installed \(needed for model.json\)/,
    );
  });
});
