/**
 * face-api.js's age and gender network (V. Mühler, MIT; weights `model/age_gender_model*` in
 * `@vladmandic/face-api`, MIT) as a frozen appearance backbone for identity-like attributes
 * (docs/ARCHITECTURE.md, "Backbones and tasks"). mini-Xception, an expression network, has learnt
 * to ignore who a face is and reaches ~70% on MTFL's male; this network was trained for gender
 * and age, and its features carry them.
 *
 * The network is a TinyXception with two main blocks (face-api's `src/xception/TinyXception.ts`
 * and `src/ageGenderNet/AgeGenderNet.ts`): 112 × 112 RGB, `(RGB·255 − mean) / 255`, an exit
 * map of 7 × 7 × 512 averaged to 512, and fully connected age (1) and gender (2, male first)
 * heads. face-api-age-gender-graph.ts writes it once as graph nodes from the package's named
 * weights; `embed` runs that graph (a `tf.GraphModel` in memory) through `embedWithGraph`, and
 * the graph description's `source` hands the same graph to the exporter, so the engine and an
 * exported model run one graph.
 */
import type * as tf from '@tensorflow/tfjs';
import { embedWithGraph, type BackboneGraph } from './backbone-graph';
import {
  AGE_GENDER_MEAN_RGB,
  AGE_GENDER_NODES,
  AGE_GENDER_SIZE,
  graphModelOf,
  sourceGraphOf,
  writeAgeGenderGraph,
} from './face-api-age-gender-graph';
import type { BackboneFeatures, BackboneLicence, FaceBackbone, FeatureTap } from './face-backbone';
import { FACE_API_PACKAGE, faceApiManifestPath, readFaceApiWeights } from './face-api-weights';

export const AGE_GENDER_INPUT = AGE_GENDER_SIZE;
const MANIFEST = 'model/age_gender_model-weights_manifest.json';

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

/** Where the weights come from and what their use requires. */
export const AGE_GENDER_LICENCE: BackboneLicence = {
  spdx: 'MIT',
  attribution:
    'face-api.js age and gender network © 2018 Vincent Mühler (github.com/justadudewhohacks/' +
    'face-api.js, MIT); packaged by Vladimir Mandic (@vladmandic/face-api, MIT)',
  package: `${FACE_API_PACKAGE}@1.7.15`,
  noticeFile: 'resources/notices/face-api-MIT.txt',
};

/** Loads the weights from the installed package (nothing is downloaded) and writes the graph. */
export async function loadAgeGenderBackbone(
  manifestPath = faceApiManifestPath('age_gender_model'),
): Promise<FaceBackbone> {
  const weights = await readFaceApiWeights(manifestPath);
  let model: tf.GraphModel;
  let graph: BackboneGraph;
  try {
    const written = await writeAgeGenderGraph(weights);
    model = await graphModelOf(written);
    graph = {
      package: FACE_API_PACKAGE,
      file: MANIFEST,
      source: sourceGraphOf(written, manifestPath),
      inputNode: AGE_GENDER_NODES.input,
      graphInputSize: AGE_GENDER_SIZE,
      // Bilinear, half-pixel centres, when the crop is another size; the mean is in the graph.
      prepare: [{ op: 'resize', size: AGE_GENDER_SIZE }],
      taps: {
        pooled: { node: AGE_GENDER_NODES.pooled, steps: [] },
        gender: { node: AGE_GENDER_NODES.gender, steps: [] },
        age: { node: AGE_GENDER_NODES.age, steps: [] },
        map: { node: AGE_GENDER_NODES.map, steps: [] },
      },
    };
  } finally {
    // The graph holds its own copies of the weights.
    for (const t of Object.values(weights)) t.dispose();
  }
  return {
    id: 'face-api-age-gender',
    name: 'face-api.js age & gender (TinyXception, 112 px)',
    kind: 'appearance',
    inputSize: AGE_GENDER_INPUT,
    channels: 3,
    normalisation: {
      mean: AGE_GENDER_MEAN_RGB.map((m) => m / 255),
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
    licence: AGE_GENDER_LICENCE,
    graph,
    embed: (crops: tf.Tensor4D, taps?: readonly string[]): Promise<BackboneFeatures> =>
      embedWithGraph('face-api-age-gender', 'face-api age-gender', model, graph, TAPS, crops, taps),
    dispose: () => model.dispose(),
  };
}
