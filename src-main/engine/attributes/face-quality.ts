/**
 * Whether a face is fit for an appearance backbone, per image (docs/ARCHITECTURE.md, "Backbones
 * and tasks"): a face whose box is too few source pixels across, or whose crop is too blurred,
 * gets a typed note instead of a silent guess. Small grey faces are normal in expression work
 * (CK+ and FER-style 48 × 48) and must pass; the limits are set so that they do.
 *
 * Sharpness is the variance of a 3 × 3 Laplacian over the grey crop, divided by the crop's own
 * intensity variance — so it does not change with contrast or brightness — measured at a fixed
 * 48 × 48, the resolution of the smallest faces the backbone is meant for.
 */
import * as tf from '@tensorflow/tfjs';

export interface QualityLimits {
  /** Fewest source pixels across the face box. */
  minSidePx: number;
  /** Least Laplacian-to-intensity variance ratio at 48 px. */
  minSharpness: number;
}

/**
 * Measured on real faces (research/APPEARANCE_NOTES.md, "Quality limits"): every CK+ face (48 px)
 * and 99.5%+ of MTFL faces pass; a Gaussian blur of σ = 2 px at 48 px fails.
 */
export const DEFAULT_QUALITY_LIMITS: QualityLimits = { minSidePx: 24, minSharpness: 0.05 };

export type FaceQuality =
  | { usable: true; sidePx: number; sharpness: number }
  | {
      usable: false;
      reason: 'too-small' | 'too-blurred';
      sidePx: number;
      sharpness: number;
      /** One line for the user, naming the measurement and the limit. */
      message: string;
    };

export const QUALITY_SIZE = 48;

/**
 * Sharpness of each crop of `crops` (`[n, h, w, 3]` in [0, 1], any size; resampled to 48 px).
 */
export async function sharpnessOf(crops: tf.Tensor4D): Promise<Float32Array> {
  const ratio = tf.tidy(() => {
    const small = tf.image.resizeBilinear(crops, [QUALITY_SIZE, QUALITY_SIZE], false, true);
    const grey = tf.sum(tf.mul(small, tf.tensor1d([0.2989, 0.587, 0.114])), 3, true);
    const kernel = tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1]);
    const lap = tf.conv2d(grey as tf.Tensor4D, kernel, 1, 'valid');
    const lapVar = tf.moments(lap, [1, 2, 3]).variance;
    const greyVar = tf.moments(grey, [1, 2, 3]).variance;
    return tf.div(lapVar, tf.add(greyVar, 1e-6));
  });
  try {
    return (await ratio.data()) as Float32Array;
  } finally {
    ratio.dispose();
  }
}

/** The note for one face: its box side in source pixels and its crop's sharpness. */
export function judgeFace(
  sidePx: number,
  sharpness: number,
  limits: QualityLimits = DEFAULT_QUALITY_LIMITS,
): FaceQuality {
  if (sidePx < limits.minSidePx)
    return {
      usable: false,
      reason: 'too-small',
      sidePx,
      sharpness,
      message: `Face is ${Math.round(sidePx)} px across; at least ${limits.minSidePx} px is needed`,
    };
  if (!(sharpness >= limits.minSharpness))
    return {
      usable: false,
      reason: 'too-blurred',
      sidePx,
      sharpness,
      message: `Face is too blurred (sharpness ${sharpness.toFixed(3)}; at least ${limits.minSharpness} is needed)`,
    };
  return { usable: true, sidePx, sharpness };
}

/** Notes for a batch: `sides[i]` source pixels across, `crops` the faces as the backbone sees them. */
export async function judgeFaces(
  crops: tf.Tensor4D,
  sides: readonly number[],
  limits: QualityLimits = DEFAULT_QUALITY_LIMITS,
): Promise<FaceQuality[]> {
  const sharp = await sharpnessOf(crops);
  return sides.map((side, i) => judgeFace(side, sharp[i]!, limits));
}
