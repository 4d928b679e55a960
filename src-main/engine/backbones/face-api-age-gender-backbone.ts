/**
 * face-api.js's age and gender network (V. Mühler, MIT; weights `model/age_gender_model*` in
 * `@vladmandic/face-api`, MIT) as a frozen appearance backbone for identity-like attributes
 * (docs/ARCHITECTURE.md, "Backbones and tasks"). mini-Xception, an expression network, has learnt
 * to ignore who a face is and reaches ~70% on MTFL's male; this network was trained for gender
 * and age, and its features carry them.
 *
 * The network is a TinyXception with two main blocks (face-api's `src/xception/TinyXception.ts`
 * and `src/ageGenderNet/AgeGenderNet.ts`), built here from the package's named weights with
 * plain TF.js ops, exactly as face-api builds it: 112 × 112 RGB, `(RGB·255 − mean) / 255`;
 * conv 3 × 3 / 2 + ReLU; two reduction blocks (separable convs, 3 × 3 / 2 max-pool, a 1 × 1 / 2
 * expansion conv added); two main blocks (three separable convs, residual); an exit reduction
 * block; a separable conv + ReLU → 7 × 7 × 512; a 7 × 7 average pool → 512; fully connected
 * heads for age (1) and gender (2, male first). Every op (Conv2D, DepthwiseConv2dNative, MaxPool,
 * AvgPool, Relu, AddV2, MatMul) is a standard TF graph op, so the backbone can be written out as
 * a TF.js graph model for export like the graph-model backbones.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneFeatures, FaceBackbone, FeatureTap } from './face-backbone';
import {
  FACE_API_PACKAGE,
  faceApiManifestPath,
  readFaceApiWeights,
  weightOf,
} from './face-api-weights';

export const AGE_GENDER_INPUT = 112;
/** face-api's mean RGB (0..255) for this network. */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;
const NET = 'face-api age_gender_model';

const TAPS: readonly FeatureTap[] = [
  {
    name: 'pooled',
    kind: 'vector',
    shape: [512],
    description:
      'exit features (7 × 7 × 512) averaged over the face: the age and gender heads’ input',
  },
  {
    name: 'gender',
    kind: 'vector',
    shape: [1],
    description: 'gender logit: male minus female score of the network’s own head',
  },
  { name: 'age', kind: 'vector', shape: [1], description: 'the network’s age estimate, years' },
  { name: 'map', kind: 'map', shape: [7, 7, 512], description: 'exit features' },
];

type Weights = tf.NamedTensorMap;

function conv(x: tf.Tensor4D, w: Weights, prefix: string, stride: number): tf.Tensor4D {
  const filters = weightOf<tf.Tensor4D>(w, `${prefix}/filters`, 4, NET);
  return tf.add(
    tf.conv2d(x, filters, stride, 'same'),
    weightOf<tf.Tensor1D>(w, `${prefix}/bias`, 1, NET),
  );
}

function separable(x: tf.Tensor4D, w: Weights, prefix: string): tf.Tensor4D {
  const depthwise = weightOf<tf.Tensor4D>(w, `${prefix}/depthwise_filter`, 4, NET);
  const pointwise = weightOf<tf.Tensor4D>(w, `${prefix}/pointwise_filter`, 4, NET);
  return tf.add(
    tf.separableConv2d(x, depthwise, pointwise, 1, 'same'),
    weightOf<tf.Tensor1D>(w, `${prefix}/bias`, 1, NET),
  );
}

function reductionBlock(
  x: tf.Tensor4D,
  w: Weights,
  prefix: string,
  activate: boolean,
): tf.Tensor4D {
  let out = activate ? tf.relu(x) : x;
  out = separable(out, w, `${prefix}/separable_conv0`);
  out = separable(tf.relu(out), w, `${prefix}/separable_conv1`);
  out = tf.maxPool(out, 3, 2, 'same');
  return tf.add(out, conv(x, w, `${prefix}/expansion_conv`, 2));
}

function mainBlock(x: tf.Tensor4D, w: Weights, prefix: string): tf.Tensor4D {
  let out = separable(tf.relu(x), w, `${prefix}/separable_conv0`);
  out = separable(tf.relu(out), w, `${prefix}/separable_conv1`);
  out = separable(tf.relu(out), w, `${prefix}/separable_conv2`);
  return tf.add(out, x);
}

/** The 7 × 7 × 512 exit features of crops `[n, 112, 112, 3]` in [0, 1]. */
function exitFeatures(w: Weights, crops: tf.Tensor4D): tf.Tensor4D {
  const x: tf.Tensor4D = tf.sub(crops, tf.tensor1d(MEAN_RGB.map((m) => m / 255)));
  let out = tf.relu(conv(x, w, 'entry_flow/conv_in', 2));
  out = reductionBlock(out, w, 'entry_flow/reduction_block_0', false);
  out = reductionBlock(out, w, 'entry_flow/reduction_block_1', true);
  out = mainBlock(out, w, 'middle_flow/main_block_0');
  out = mainBlock(out, w, 'middle_flow/main_block_1');
  out = reductionBlock(out, w, 'exit_flow/reduction_block', true);
  return tf.relu(separable(out, w, 'exit_flow/separable_conv'));
}

/** Loads the weights from the installed package (nothing is downloaded). */
export async function loadAgeGenderBackbone(
  manifestPath = faceApiManifestPath('age_gender_model'),
): Promise<FaceBackbone> {
  const weights = await readFaceApiWeights(manifestPath);
  const ageW = weightOf<tf.Tensor2D>(weights, 'fc/age/weights', 2, NET);
  const ageB = weightOf<tf.Tensor1D>(weights, 'fc/age/bias', 1, NET);
  const genderW = weightOf<tf.Tensor2D>(weights, 'fc/gender/weights', 2, NET);
  const genderB = weightOf<tf.Tensor1D>(weights, 'fc/gender/bias', 1, NET);
  // Male minus female, one linear map of the pooled features.
  const [genderDiffW, genderDiffB] = tf.tidy(() => [
    tf.sub(tf.slice(genderW, [0, 0], [512, 1]), tf.slice(genderW, [0, 1], [512, 1])),
    tf.sub(tf.slice(genderB, [0], [1]), tf.slice(genderB, [1], [1])),
  ]);
  return {
    id: 'face-api-age-gender',
    name: 'face-api.js age & gender (TinyXception, 112 px)',
    kind: 'appearance',
    inputSize: AGE_GENDER_INPUT,
    channels: 3,
    normalisation: {
      mean: MEAN_RGB.map((m) => m / 255),
      std: [1, 1, 1],
      description: '(RGB·255 − [122.8, 117.0, 104.3]) / 255',
    },
    cropPolicy: {
      crop: { from: 'face-box', margin: 0.1, landmarksToFaceBox: 1 },
      scaleOfLandmarkExtent: 1.2,
      note:
        'face-api’s detector boxes are tight face boxes: the 68 landmarks’ box grown by 10% a ' +
        'side. MTFL 5-point faces: 2.2 × the five points’ extent (research/APPEARANCE_NOTES.md).',
    },
    taps: TAPS,
    licence: {
      spdx: 'MIT',
      attribution:
        'face-api.js age and gender network © 2018 Vincent Mühler (github.com/justadudewhohacks/' +
        'face-api.js, MIT); packaged by Vladimir Mandic (@vladmandic/face-api, MIT)',
      package: `${FACE_API_PACKAGE}@1.7.15`,
      noticeFile: 'resources/notices/face-api-MIT.txt',
    },
    async embed(crops: tf.Tensor4D, taps?: readonly string[]): Promise<BackboneFeatures> {
      const wanted = new Set(taps ?? TAPS.map((t) => t.name));
      const outs = tf.tidy(() => {
        const sized =
          crops.shape[1] === AGE_GENDER_INPUT && crops.shape[2] === AGE_GENDER_INPUT
            ? crops
            : tf.image.resizeBilinear(crops, [AGE_GENDER_INPUT, AGE_GENDER_INPUT], false, true);
        const map = exitFeatures(weights, sized);
        const pooled = tf.mean(map, [1, 2]) as tf.Tensor2D;
        const named: Record<string, tf.Tensor> = {};
        if (wanted.has('map')) named.map = map;
        if (wanted.has('pooled')) named.pooled = pooled;
        if (wanted.has('gender'))
          named.gender = tf.add(tf.matMul(pooled, genderDiffW as tf.Tensor2D), genderDiffB);
        if (wanted.has('age')) named.age = tf.add(tf.matMul(pooled, ageW), ageB);
        return named;
      });
      const out: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(outs)) out[name] = (await t.data()) as Float32Array;
      tf.dispose(Object.values(outs));
      return { count: crops.shape[0], taps: out };
    },
    dispose: () => {
      tf.dispose(Object.values(weights));
      tf.dispose([genderDiffW, genderDiffB]);
    },
  };
}
