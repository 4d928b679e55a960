/**
 * Stand-in exported models for prediction tests: a card, and a `predict` that is plain arithmetic
 * on the crop's pixels, so what the pipeline should return is known exactly.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import type { Box } from '../../../src-main/shared/domain';
import type { ExportedModel } from '../../../src-main/engine/export/load-model';
import type { ModelCard } from '../../../src-main/shared/model-card';
import { DEFAULT_CROP_POLICY } from '../../../src-main/engine/data/face-crop';

export function fakeCard(overrides: Partial<ModelCard> = {}): ModelCard {
  return {
    format: 'face-studio-model',
    version: 1,
    id: 'fake',
    task: 'landmarks',
    createdAt: '2025-01-01T00:00:00.000Z',
    studio: '0.1.0',
    schema: {
      id: 'two-dots',
      name: 'two dots',
      points: ['left dot', 'right dot'],
      mirror: [[0, 1]],
      normaliser: [0, 1],
    },
    attributes: null,
    classes: null,
    input: { size: 32, range: [0, 1], normalisation: { mean: [0, 0, 0], std: [1, 1, 1] } },
    crop: DEFAULT_CROP_POLICY,
    outputs: ['landmarks'],
    metrics: [],
    data: { project: null, train: 0, val: 0, test: 0 },
    backbone: { preset: 'tiny', pretrainedFrom: null },
    config: {},
    runId: null,
    ...overrides,
  };
}

/** The crop policy of `fakeHeadCard`'s head (FaceMesh's). */
export const HEAD_POLICY = { from: 'face-box' as const, margin: 0.3, landmarksToFaceBox: 1 };

/**
 * A landmarks card with a head record (a backbone-headed model) of the given refine, σ and recut
 * threshold (absent: the record's default, every face cut again).
 */
export function fakeHeadCard(
  refine: 'none' | 'predicted-landmarks',
  uncertainty: { a: number; c: number; pointError: number[] } | null,
  recutBeyond?: number,
): ModelCard {
  return fakeCard({
    version: 2,
    crop: HEAD_POLICY,
    head: {
      method: 'ridge',
      backbones: [
        {
          id: 'dots',
          name: 'dots',
          kind: 'geometry',
          taps: ['pixels'],
          licence: 'none',
          attribution: 'test',
          package: null,
          notice: null,
        },
      ],
      crop: {
        backbone: 'dots',
        inputSize: 32,
        policy: HEAD_POLICY,
        scaleOfLandmarkExtent: 1.6,
        trainedOn: 'landmarks',
        inference: 'detection',
        refine,
        ...(recutBeyond === undefined ? {} : { recutBeyond }),
        wholeImageFallback: true,
      },
      uncertainty,
    },
  });
}

type Output = Awaited<ReturnType<ExportedModel['predict']>>;

export function fakeModel(card: ModelCard, predict: (pixels: Float32Array, n: number) => Output) {
  const calls: number[] = [];
  const model: ExportedModel = {
    card,
    inputSize: card.input.size,
    predict: async (images: tf.Tensor4D) => {
      calls.push(images.shape[0]);
      return predict((await images.data()) as Float32Array, images.shape[0]);
    },
    dispose: () => undefined,
  };
  return { model, calls };
}

/**
 * The brightness-weighted centre of each half of the crop (left half → point 0, right half →
 * point 1) in crop coordinates u = (px + 0.5) / S. Mirroring the crop mirrors the answer exactly,
 * so this "model" is perfectly mirror-consistent; `bias` is added to every x to make it not so.
 */
export function dotCentroids(size: number, bias = 0) {
  return (pixels: Float32Array, n: number): Output => {
    const landmarks = new Float32Array(n * 4);
    for (let face = 0; face < n; face++) {
      const sums = [
        [0, 0, 0],
        [0, 0, 0],
      ];
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const at = ((face * size + y) * size + x) * 3;
          const w = pixels[at]! + pixels[at + 1]! + pixels[at + 2]!;
          const s = sums[x < size / 2 ? 0 : 1]!;
          s[0]! += w;
          s[1]! += w * ((x + 0.5) / size);
          s[2]! += w * ((y + 0.5) / size);
        }
      sums.forEach(([w, wx, wy], dot) => {
        landmarks[face * 4 + dot * 2] = wx! / w! + bias;
        landmarks[face * 4 + dot * 2 + 1] = wy! / w!;
      });
    }
    return { landmarks };
  };
}

/** The synthetic image's size, and the centres of its two bright squares (image px). */
export const DOT_IMAGE = { width: 200, height: 160 };
export const DOTS = [
  { x: 70, y: 80 },
  { x: 130, y: 84 },
];
/** A face box about the dots: its square crop puts one dot in each half. */
export const DOT_BOX: Box = { x: 60, y: 70, width: 80, height: 20 };

/** A black PNG with a bright 9×9 square about each dot. */
export async function writeDotImage(file: string): Promise<void> {
  const { width, height } = DOT_IMAGE;
  const pixels = Buffer.alloc(width * height * 3);
  for (const dot of DOTS)
    for (let y = dot.y - 4; y <= dot.y + 4; y++)
      for (let x = dot.x - 4; x <= dot.x + 4; x++)
        pixels.fill(230, (y * width + x) * 3, (y * width + x) * 3 + 3);
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

/** A new temp folder (`prefix`…) holding the dot image and a `.jpg` that is not an image. */
export async function dotImageFolder(
  prefix: string,
): Promise<{ dir: string; image: string; notAnImage: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const image = path.join(dir, 'dots.png');
  await writeDotImage(image);
  const notAnImage = path.join(dir, 'notes.jpg');
  await writeFile(notAnImage, 'not a JPEG');
  return { dir, image, notAnImage };
}
