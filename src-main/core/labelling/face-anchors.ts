/**
 * Finds a face's eyes and mouth corners, to pin the labelling template (./template-fit.ts), with
 * @vladmandic/face-api's 68-point landmark net (weights in the package folder: never the network),
 * on the same tfjs engine and wasm backend as curation's detector (../library/face-detect.ts).
 *
 * The net reads a square crop framed as face-api's detector frames a face; the project stores the
 * landmarks' box instead (curation maps the detector's box onto it), so the crop is the detector's
 * box again (`untransformBox`), squared about its centre.
 */
import * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type { Box } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { DETECTOR_TO_LANDMARKS, FACE_API_MODEL_DIR, loadFaceApiNet } from '../library/face-detect';
import { squareAbout, untransformBox } from '../library/face-boxes';
import type { OpenedImage } from '../library/image-source';
import type { FaceAnchors, Point } from './template-fit';

/** The net's input side, px. */
const NET_SIDE = 112;
/** The image is shrunk until the crop is at most this many px across before it is cut. */
const MAX_CROP_PX = 2 * NET_SIDE;

/** In face-api's 68 points (the 300-W order): the eyes' rings and the outer mouth corners. */
const LEFT_EYE = [36, 37, 38, 39, 40, 41];
const RIGHT_EYE = [42, 43, 44, 45, 46, 47];
const MOUTH_LEFT = 48;
const MOUTH_RIGHT = 54;

function centreOf(points: readonly Point[], indices: readonly number[]): Point {
  return {
    x: indices.reduce((s, i) => s + points[i]!.x, 0) / indices.length,
    y: indices.reduce((s, i) => s + points[i]!.y, 0) / indices.length,
  };
}

/** The anchors of face-api's 68 points (image px). */
export function anchorsOf68(points: readonly Point[]): FaceAnchors {
  if (points.length !== 68) throw new RangeError(`Expected 68 points, got ${points.length}`);
  return {
    leftEye: centreOf(points, LEFT_EYE),
    rightEye: centreOf(points, RIGHT_EYE),
    mouthLeft: points[MOUTH_LEFT]!,
    mouthRight: points[MOUTH_RIGHT]!,
  };
}

export class FaceAnchorFinder {
  private constructor() {}

  /** Loads the net once per process; `modelDir` defaults to face-api's own folder. */
  static async load(modelDir?: string): Promise<FaceAnchorFinder> {
    await loadFaceApiNet(
      faceapi.nets.faceLandmark68Net,
      'the face landmark net',
      modelDir ?? FACE_API_MODEL_DIR,
    );
    return new FaceAnchorFinder();
  }

  /** The anchors of the face whose landmarks' box is `box` (image px, as the project stores it). */
  async find(image: OpenedImage, box: Box): Promise<FaceAnchors> {
    if (!(box.width > 0 && box.height > 0)) {
      throw new StudioError('invalid-payload', `${image.file}: the face box has no area`);
    }
    const crop = squareAbout(untransformBox(box, DETECTOR_TO_LANDMARKS));
    const scale = Math.min(1, MAX_CROP_PX / crop.width);
    const width = Math.max(1, Math.round(image.width * scale));
    const height = Math.max(1, Math.round(image.height * scale));
    const { data, info } = await image
      .pipeline()
      .resize(width, height, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const input = tf.tidy(() => {
      const pixels = tf.tensor3d(data, [info.height, info.width, 3], 'int32').toFloat();
      const fx = info.width / image.width;
      const fy = info.height / image.height;
      // Normalised [y1, x1, y2, x2]; outside the image reads as black, as the detector pads.
      const region = tf.tensor2d([
        [
          (crop.y * fy) / info.height,
          (crop.x * fx) / info.width,
          ((crop.y + crop.height) * fy) / info.height,
          ((crop.x + crop.width) * fx) / info.width,
        ],
      ]);
      return tf.image
        .cropAndResize(pixels.expandDims(0) as tf.Tensor4D, region, [0], [NET_SIDE, NET_SIDE])
        .squeeze([0]);
    });
    let landmarks: faceapi.FaceLandmarks68;
    try {
      // face-api's typings bundle their own copy of tfjs's types; the tensor is the same engine's.
      landmarks = (await faceapi.nets.faceLandmark68Net.detectLandmarks(
        input as unknown as faceapi.TNetInput,
      )) as faceapi.FaceLandmarks68;
    } finally {
      input.dispose();
    }
    const points = landmarks.relativePositions.map((p) => ({
      x: crop.x + p.x * crop.width,
      y: crop.y + p.y * crop.height,
    }));
    return anchorsOf68(points);
  }
}

let shared: Promise<FaceAnchorFinder> | null = null;

/** One finder per process, loaded on first use; a failed load is tried again next time. */
export function sharedFaceAnchorFinder(): Promise<FaceAnchorFinder> {
  shared ??= FaceAnchorFinder.load().catch((error: unknown) => {
    shared = null;
    throw error;
  });
  return shared;
}
