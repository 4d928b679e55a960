/** Shared set-up for engine tests: the wasm backend and a very small model config. */
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../../src-main/engine/backend';
import type { PretrainData } from '../../src-main/engine/pretrain/pretrain-data';

export async function useWasm(): Promise<void> {
  await chooseBackend({ force: 'wasm' });
}

/** A model small enough that 20 steps take a few seconds on a busy 2-core machine. */
export const TINY_TEST_CONFIG = {
  model: { preset: 'tiny', imageSize: 16, patchSize: 8, dim: 16, depth: 2, heads: 2 },
  headHidden: 32,
  headBottleneck: 8,
  prototypes: 32,
  batchSize: 4,
  localCrops: 2,
  epochs: 10,
  warmupEpochs: 1,
  seed: 7,
} as const;

/** Deterministic synthetic images (seeded per index), so runs compare bit for bit. */
export function syntheticData(size: number, side = 24): PretrainData {
  return {
    size,
    batch: async (indices) =>
      tf.tidy(
        () =>
          tf.stack(
            indices.map((i) => tf.randomUniform([side, side, 3], 0, 1, 'float32', i + 1)),
          ) as tf.Tensor4D,
      ),
  };
}
