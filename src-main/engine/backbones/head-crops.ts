/**
 * One crop for a head on several backbones (docs/ARCHITECTURE.md, "Backbones and tasks"): the
 * model takes one square crop, cut by the crop policy of the backbone that sees the most around
 * the face (the largest `scaleOfLandmarkExtent`); every other backbone sees the centred part of
 * it that its own policy would have cut — a fraction `its scale ÷ the widest` of the side —
 * resized to its input size by crop-and-resize. Training, prediction and the exported graph all
 * cut backbone views by `backboneViews` / `viewBox`, so they see the same pixels.
 *
 * The view box is placed so crop-and-resize samples exactly at the view's pixel centres: a crop
 * of side S over an image box puts its pixel i's centre at `(i + 0.5) / S` of the box
 * (engine/data/face-crop.ts), so view pixel j of s lies at input pixel index
 * `(1 − f)·S/2 + (j + 0.5)·f·S/s − 0.5`, and crop-and-resize samples `y1·(S − 1) + j·(y2 − y1)·(S −
 * 1)/(s − 1)`.
 */
import * as tf from '@tensorflow/tfjs';
import type { CropPolicy } from '../../shared/model-card';
import { StudioError } from '../../shared/errors';
import type { FaceBackbone } from './face-backbone';

/** How one backbone's input is cut from the model's crop. */
export interface BackboneView {
  backbone: string;
  /** Side of its view ÷ side of the model's crop (1 for the widest). */
  fraction: number;
  /** Its input side, px. */
  size: number;
  /** Crop-and-resize box `[y1, x1, y2, x2]`; null when the view is the crop itself. */
  box: [number, number, number, number] | null;
}

/** The model's one crop and each backbone's view of it. */
export interface HeadCropPlan {
  /** The backbone whose crop policy cuts the model's crop. */
  widest: string;
  crop: CropPolicy;
  scaleOfLandmarkExtent: number;
  /** The model's input side, px: large enough that no view is upsampled. */
  inputSize: number;
  /** In the order of the backbones given. */
  views: BackboneView[];
}

/** The crop-and-resize box of a centred view of `fraction` of an `inputSize` crop at `size` px. */
export function viewBox(
  fraction: number,
  inputSize: number,
  size: number,
): [number, number, number, number] {
  const S = inputSize;
  const first = ((1 - fraction) * S) / 2 + (0.5 * fraction * S) / size - 0.5;
  const span = size > 1 ? (fraction * S * (size - 1)) / (size * (S - 1)) : 0;
  const y1 = first / (S - 1);
  return [y1, y1, y1 + span, y1 + span];
}

/** The plan for a head on `backbones` (in that order). */
export function headCropPlan(backbones: readonly FaceBackbone[]): HeadCropPlan {
  if (backbones.length === 0)
    throw new StudioError('invalid-payload', 'A head needs at least one backbone');
  for (const b of backbones) {
    const { crop, scaleOfLandmarkExtent } = b.cropPolicy;
    const implied = crop.landmarksToFaceBox * (1 + 2 * crop.margin);
    if (Math.abs(implied - scaleOfLandmarkExtent) > 1e-6 * implied)
      throw new StudioError(
        'invalid-payload',
        `Backbone ${b.id}: its crop policy cuts ${implied.toFixed(4)} × the landmarks' box but ` +
          `states ${scaleOfLandmarkExtent}`,
      );
  }
  const widest = backbones.reduce((w, b) =>
    b.cropPolicy.scaleOfLandmarkExtent > w.cropPolicy.scaleOfLandmarkExtent ? b : w,
  );
  const other = backbones.find(
    (b) => b.cropPolicy.crop.landmarksToFaceBox !== widest.cropPolicy.crop.landmarksToFaceBox,
  );
  if (other)
    throw new StudioError(
      'invalid-payload',
      `Backbones ${widest.id} and ${other.id} read face boxes differently (landmarksToFaceBox ` +
        `${widest.cropPolicy.crop.landmarksToFaceBox} and ${other.cropPolicy.crop.landmarksToFaceBox}); ` +
        'one crop cannot serve both',
    );
  const scale = widest.cropPolicy.scaleOfLandmarkExtent;
  const fractions = backbones.map((b) => b.cropPolicy.scaleOfLandmarkExtent / scale);
  const inputSize = Math.max(
    ...backbones.map((b, i) =>
      b === widest ? b.inputSize : Math.ceil(b.inputSize / fractions[i]!),
    ),
  );
  return {
    widest: widest.id,
    crop: widest.cropPolicy.crop,
    scaleOfLandmarkExtent: scale,
    inputSize,
    views: backbones.map((b, i) => {
      const fraction = fractions[i]!;
      const same = fraction === 1 && b.inputSize === inputSize;
      return {
        backbone: b.id,
        fraction,
        size: b.inputSize,
        box: same ? null : viewBox(fraction, inputSize, b.inputSize),
      };
    }),
  };
}

/**
 * Each backbone's view `[n, size, size, 3]` of the model's crops `[n, S, S, 3]`, in the plan's
 * order. Views that are the crop itself are `crops` (not copied); the caller disposes the others.
 */
export function backboneViews(plan: HeadCropPlan, crops: tf.Tensor4D): tf.Tensor4D[] {
  const [n, h, w] = crops.shape;
  if (h !== plan.inputSize || w !== plan.inputSize)
    throw new StudioError(
      'invalid-payload',
      `The head takes [n, ${plan.inputSize}, ${plan.inputSize}, 3] crops, got [${crops.shape.join(', ')}]`,
    );
  return plan.views.map((view) => {
    if (!view.box) return crops;
    const box = view.box;
    return tf.tidy(() =>
      tf.image.cropAndResize(
        crops,
        tf.tensor2d(
          Array.from({ length: n }, () => box),
          [n, 4],
        ),
        tf.range(0, n, 1, 'int32') as tf.Tensor1D,
        [view.size, view.size],
        'bilinear',
        0,
      ),
    );
  });
}

/**
 * Embeds the model's crops with every backbone through its view: the taps asked of each backbone
 * (`taps[i]` of `backbones[i]`). Does not dispose `crops`.
 */
export async function embedHeadCrops(
  plan: HeadCropPlan,
  backbones: readonly FaceBackbone[],
  crops: tf.Tensor4D,
  taps: readonly (readonly string[])[],
): Promise<Record<string, Float32Array>[]> {
  const views = backboneViews(plan, crops);
  try {
    const out: Record<string, Float32Array>[] = [];
    for (const [i, b] of backbones.entries()) out.push((await b.embed(views[i]!, taps[i])).taps);
    return out;
  } finally {
    tf.dispose(views.filter((v) => v !== crops));
  }
}
