/**
 * The face-appearance backbone for attributes and expression (docs/ARCHITECTURE.md, "Backbones
 * and tasks"): O. Arriaga's mini-Xception expression network (`models/emotion.json` inside
 * `@vladmandic/human`), trained on FER-2013's 48-px grey faces, run on 64 × 64 grey crops. Its
 * last residual block (`add_2`, 8 × 8 × 256) is the feature map; heads read it pooled over the
 * whole face (`pooled`, 256) and over a 2 × 2 grid (`grid`, 1024: where on the face a feature
 * fires, which glasses and head pose need).
 *
 * Chosen over HSE FaceRes (`models/faceres.json`, 1024-d identity/age/gender features) by
 * measurement and licence: similar CK+ accuracy by subject, ~16× faster on wasm, grey input so
 * small grey faces are its home ground, and MIT weights with a known author, where FaceRes's
 * source repository states no licence (research/APPEARANCE_NOTES.md has the figures).
 */
import type * as tf from '@tensorflow/tfjs';
import { embedWithGraph, type BackboneGraph } from './backbone-graph';
import type { BackboneFeatures, FaceBackbone, FeatureTap } from './face-backbone';
import { loadPackageGraphModel } from './package-graph-model';

export const MINI_XCEPTION_PACKAGE = '@vladmandic/human';
const MAP_NODE = 'StatefulPartitionedCall/model_1/add_2/add';
/** ITU-R BT.601 luma, as the network's own pre-processing (FER-2013 is grey). */
const LUMA = [0.2989, 0.587, 0.114] as const;

/**
 * How `embed` (and an exported model's graph) runs the package's graph: resize to 64 px
 * (bilinear, half-pixel centres) when the crop is another size, BT.601 grey, (g − 0.5) · 2; the
 * taps read the last residual block as it is, averaged over the face, or over a 2 × 2 grid.
 */
export const MINI_XCEPTION_GRAPH: BackboneGraph = {
  package: MINI_XCEPTION_PACKAGE,
  file: 'models/emotion.json',
  inputNode: 'input_1',
  graphInputSize: 64,
  prepare: [
    { op: 'resize', size: 64 },
    { op: 'grey', weights: LUMA },
    { op: 'sub', value: 0.5 },
    { op: 'mul', value: 2 },
  ],
  taps: {
    pooled: { node: MAP_NODE, steps: [{ op: 'mean-hw' }] },
    grid: { node: MAP_NODE, steps: [{ op: 'avg-pool', size: 4 }] },
    map: { node: MAP_NODE, steps: [] },
    scores: { node: 'Identity', steps: [] },
  },
};

/** FER-2013's expression order, the `scores` tap's. */
export const MINI_XCEPTION_CLASSES = [
  'angry',
  'disgust',
  'fear',
  'happy',
  'sad',
  'surprise',
  'neutral',
] as const;

const TAPS: readonly FeatureTap[] = [
  {
    name: 'pooled',
    kind: 'vector',
    shape: [256],
    description: 'last residual block (add_2) averaged over the face',
  },
  {
    name: 'grid',
    kind: 'vector',
    shape: [2, 2, 256],
    description: 'last residual block (add_2) averaged over a 2 × 2 grid of the face',
  },
  {
    name: 'map',
    kind: 'map',
    shape: [8, 8, 256],
    description: 'last residual block (add_2)',
  },
  {
    name: 'scores',
    kind: 'vector',
    shape: [7],
    description: 'FER-2013 expression probabilities (angry … neutral)',
  },
];

/** Loads the weights from the installed package (nothing is downloaded). */
export async function loadMiniXceptionBackbone(): Promise<FaceBackbone> {
  const model = await loadPackageGraphModel(MINI_XCEPTION_GRAPH.package, MINI_XCEPTION_GRAPH.file);
  return {
    id: 'mini-xception',
    name: 'mini-Xception (FER-2013 expression, 64 px grey)',
    kind: 'appearance',
    inputSize: 64,
    channels: 3,
    normalisation: {
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      description: 'grey (BT.601 luma of RGB in [0, 1]), then (g − 0.5) · 2',
    },
    cropPolicy: {
      crop: { from: 'face-box', margin: 0.1, landmarksToFaceBox: 1 },
      scaleOfLandmarkExtent: 1.2,
      note:
        'FER-2013 and CK+ faces fill the frame: the 68 landmarks’ box grown by 10% a side. ' +
        'MTFL 5-point faces: 2.2 × the five points’ extent (research/APPEARANCE_NOTES.md; other scales not yet measured).',
    },
    taps: TAPS,
    licence: {
      spdx: 'MIT',
      attribution:
        'mini-Xception expression network © 2017 Octavio Arriaga (github.com/oarriaga/' +
        'face_classification, MIT), trained on FER-2013; converted to TF.js by Vladimir Mandic ' +
        '(@vladmandic/human, MIT)',
      package: `${MINI_XCEPTION_PACKAGE}@3.3.6`,
      noticeFile: 'resources/notices/mini-xception-MIT.txt',
    },
    graph: MINI_XCEPTION_GRAPH,
    embed: (crops: tf.Tensor4D, taps?: readonly string[]): Promise<BackboneFeatures> =>
      embedWithGraph(
        'mini-xception',
        'mini-Xception',
        model,
        MINI_XCEPTION_GRAPH,
        TAPS,
        crops,
        taps,
      ),
    dispose: () => model.dispose(),
  };
}
