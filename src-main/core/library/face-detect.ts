/**
 * Face detection for curation, with @vladmandic/face-api's tiny face detector. Runs in plain Node
 * on the one `@tensorflow/tfjs` package (its `node-wasm` build requires `@tensorflow/tfjs` and
 * `@tensorflow/tfjs-backend-wasm` from node_modules, so it shares their engine and backend) and
 * loads its weights from the package folder: never the network.
 *
 * Choices, measured on 300w-helen (docs/ARCHITECTURE.md, "Pitfalls"): input size 160 finds far more
 * faces than the default 416 and is ~5× faster; a 25% border around the image lets it find faces
 * that fill the frame. Images are shrunk to at most `maxSide` px before detection (the net sees 160
 * px anyway).
 *
 * No single setting finds every face: the faces that first pass misses are mostly found with no
 * border, or by a larger net input. So an image where the first pass finds nothing is looked at
 * again with those settings (`retries`), at the same score threshold, before it is flagged 'no-face';
 * only misses pay for it. The first pass alone keeps 864 of 870 300w-helen/train faces and 94.6% of
 * MTFL's 10,000 training faces; with the retries 870 of 870 and 99.6% (`npm run bench:curation`,
 * which also counts the non-faces taken for faces).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type { Box, FaceDetection } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { cropBoxFor, transformBox, type BoxTransform } from './face-boxes';
import type { OpenedImage } from './image-source';

/**
 * Detector box → box of the 68 landmarks (300-W convention: brows to chin, ear to ear). The tiny
 * detector's box is ~1.5× wider and ~1.4× taller than that: raw mean IoU 0.47, calibrated 0.83.
 * Fitted (per-image medians) on 300w-helen/train, 864 of 870 faces found, by
 * scripts/face-box-calibration.ts; never on the test images the tests score.
 */
export const DETECTOR_TO_LANDMARKS: BoxTransform = { dx: 0.023, dy: -0.03, sx: 0.658, sy: 0.704 };

export interface FaceDetectorOptions {
  /** Folder with `tiny_face_detector_model-weights_manifest.json`; default: face-api's own. */
  modelDir?: string;
  /** Net input in px, a multiple of 32; 160 (see above). */
  inputSize?: number;
  /** Lowest detection score kept, 0–1; 0.5 gave no false positives on 26 non-face images. */
  scoreThreshold?: number;
  /** Border added on every side, as a fraction of the longer image side; 0.25. */
  border?: number;
  /** Further passes, in order, on an image where the first finds no face; DEFAULT_RETRIES. */
  retries?: readonly DetectionPass[];
  /** Longest side the image is shrunk to before detection, px; 640. */
  maxSide?: number;
  /** Maps the detector's box to the face box stored; default DETECTOR_TO_LANDMARKS. */
  boxTransform?: BoxTransform;
  /** Crop margin per side, as a fraction of the face box's longer side; 0.25. */
  cropMargin?: number;
  /** A face whose box's shorter side is under this many image px is 'tiny-face'; 24. */
  minFaceSide?: number;
  /** A face whose box covers less than this fraction of the image is 'tiny-face'; 0.02. */
  minFaceAreaFraction?: number;
}

/** One look at an image: the net's input size (a multiple of 32) and the border added around it. */
export interface DetectionPass {
  inputSize: number;
  /** A fraction of the longer image side, added on every side. */
  border: number;
}

/**
 * Second looks for a face the first pass (160 px, 25% border) missed: no border, then larger
 * inputs. Each of the six 300w-helen/train faces that first pass misses is found by at least two
 * of these.
 */
export const DEFAULT_RETRIES: readonly DetectionPass[] = [
  { inputSize: 160, border: 0 },
  { inputSize: 224, border: 0.25 },
  { inputSize: 416, border: 0.25 },
];

export type FaceFlag = 'no-face' | 'tiny-face';

export interface FaceFinding {
  /** The best-scoring face, or null when none passed the score threshold. */
  face: FaceDetection | null;
  /** The raw detector box of that face, image px (before `boxTransform`). */
  detectorBox: Box | null;
  /** Faces found above the threshold (more than one: a group photo). */
  faceCount: number;
  flags: FaceFlag[];
}

/** Pixels for detection: 8-bit RGB, interleaved. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

const require = createRequire(import.meta.url);

/** face-api's own weights folder (in the installed package: never the network). */
export const FACE_API_MODEL_DIR = join(
  dirname(require.resolve('@vladmandic/face-api/package.json')),
  'model',
);

/**
 * Loads one of face-api's nets from `dir` once per process, on the backend `ensureBackend`
 * chooses; a net that cannot be read is a `not-found` error naming `what` and the folder.
 */
export async function loadFaceApiNet(
  net: { isLoaded: boolean; loadFromDisk(dir: string): Promise<void> },
  what: string,
  dir: string,
): Promise<void> {
  await ensureBackend();
  if (net.isLoaded) return;
  try {
    await net.loadFromDisk(dir);
  } catch (error) {
    throw new StudioError('not-found', `Cannot load ${what} from ${dir}`, { cause: error });
  }
}

export class FaceDetector {
  private readonly options: Required<FaceDetectorOptions>;

  private constructor(options: Required<FaceDetectorOptions>) {
    this.options = options;
  }

  static async load(options: FaceDetectorOptions = {}): Promise<FaceDetector> {
    const resolved: Required<FaceDetectorOptions> = {
      modelDir: options.modelDir ?? FACE_API_MODEL_DIR,
      inputSize: options.inputSize ?? 160,
      scoreThreshold: options.scoreThreshold ?? 0.5,
      border: options.border ?? 0.25,
      retries: options.retries ?? DEFAULT_RETRIES,
      maxSide: options.maxSide ?? 640,
      boxTransform: options.boxTransform ?? DETECTOR_TO_LANDMARKS,
      cropMargin: options.cropMargin ?? 0.25,
      minFaceSide: options.minFaceSide ?? 24,
      minFaceAreaFraction: options.minFaceAreaFraction ?? 0.02,
    };
    await loadFaceApiNet(faceapi.nets.tinyFaceDetector, 'the face detector', resolved.modelDir);
    return new FaceDetector(resolved);
  }

  /** Detects in an opened image; boxes are in its upright pixel coordinates. */
  async detect(image: OpenedImage): Promise<FaceFinding> {
    const { maxSide } = this.options;
    const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
    const { data, info } = await image
      .pipeline()
      .resize(
        Math.max(1, Math.round(image.width * scale)),
        Math.max(1, Math.round(image.height * scale)),
        {
          fit: 'fill',
        },
      )
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const found = await this.locate({ data, width: info.width, height: info.height });
    if (!found) return noFace();
    const fx = image.width / info.width;
    const fy = image.height / info.height;
    const b = found.detectorBox;
    const detectorBox = { x: b.x * fx, y: b.y * fy, width: b.width * fx, height: b.height * fy };
    return finish({ ...found, detectorBox }, image.width, image.height, this.options);
  }

  /** Detects in decoded RGB pixels; boxes are in their pixel coordinates. */
  async detectInPixels(image: RgbImage): Promise<FaceFinding> {
    if (image.data.length !== image.width * image.height * 3) {
      throw new StudioError(
        'invalid-payload',
        `Face detection needs ${image.width}×${image.height} RGB pixels (${image.width * image.height * 3} bytes), got ${image.data.length} bytes`,
      );
    }
    const found = await this.locate(image);
    return found ? finish(found, image.width, image.height, this.options) : noFace();
  }

  /** The best-scoring detector box of the first pass that finds one, or null. */
  private async locate(image: RgbImage): Promise<Located | null> {
    const { border, inputSize, retries } = this.options;
    for (const pass of [{ inputSize, border }, ...retries]) {
      const found = await this.locateOnce(image, pass);
      if (found) return found;
    }
    return null;
  }

  /** The best-scoring detector box of one pass, in the pixels' coordinates, or null. */
  private async locateOnce(image: RgbImage, pass: DetectionPass): Promise<Located | null> {
    const { scoreThreshold } = this.options;
    const { border: borderFraction, inputSize } = pass;
    const border = Math.round(borderFraction * Math.max(image.width, image.height));
    const input = tf.tidy(() => {
      const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      return border > 0
        ? tf.pad(pixels, [
            [border, border],
            [border, border],
            [0, 0],
          ])
        : pixels;
    });
    let detections: faceapi.FaceDetection[];
    try {
      // face-api's typings bundle their own copy of tfjs's types; the tensor is the same engine's.
      // run(), not the task itself: its then() drops a rejection, so an await on it never ends.
      detections = await faceapi
        .detectAllFaces(
          input as unknown as faceapi.TNetInput,
          new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold }),
        )
        .run();
    } finally {
      input.dispose();
    }
    const best = detections.reduce<faceapi.FaceDetection | null>(
      (a, d) => (a === null || d.score > a.score ? d : a),
      null,
    );
    if (!best) return null;
    return {
      detectorBox: {
        x: best.box.x - border,
        y: best.box.y - border,
        width: best.box.width,
        height: best.box.height,
      },
      score: best.score,
      faceCount: detections.length,
    };
  }
}

interface Located {
  detectorBox: Box;
  score: number;
  faceCount: number;
}

function noFace(): FaceFinding {
  return { face: null, detectorBox: null, faceCount: 0, flags: ['no-face'] };
}

/** Applies the box transform, the crop policy and the tiny-face rule (in full-image pixels). */
function finish(
  found: Located,
  width: number,
  height: number,
  options: Required<FaceDetectorOptions>,
): FaceFinding {
  const { detectorBox, score, faceCount } = found;
  const box = transformBox(detectorBox, options.boxTransform);
  const tiny =
    Math.min(box.width, box.height) < options.minFaceSide ||
    box.width * box.height < options.minFaceAreaFraction * width * height;
  return {
    face: {
      box,
      crop: cropBoxFor(box, options.cropMargin),
      score: Math.min(1, Math.max(0, score)),
    },
    detectorBox,
    faceCount,
    flags: tiny ? ['tiny-face'] : [],
  };
}

let backendReady: Promise<void> | null = null;

/**
 * Uses whatever backend the process already chose (the engine may have picked a native one);
 * when none is initialised yet, wasm with its binaries from node_modules, as the training code
 * would. Never the cpu backend by default: it is ~30× slower (docs/ARCHITECTURE.md, "Pitfalls").
 */
function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    if (tf.engine().backendName) return;
    setWasmPaths(
      join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/',
    );
    if (!(await tf.setBackend('wasm'))) {
      throw new StudioError('internal', 'The TensorFlow.js wasm backend did not start');
    }
    await tf.ready();
  })();
  return backendReady;
}
