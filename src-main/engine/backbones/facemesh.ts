/**
 * FaceMesh (MediaPipe, Apache-2.0; the TF.js graph inside `@vladmandic/human`, MIT) as a frozen
 * geometry backbone (docs/ARCHITECTURE.md, "Backbones and tasks"): a 192-px face crop in, 468
 * mesh points and the network's intermediate feature maps out. Heads are fitted on top of them
 * (engine/landmarks/). Runs on every TF.js backend, wasm included; loaded from disk through
 * graph-file-loader.ts, nothing is downloaded.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  BackboneCropPolicy,
  BackboneLicence,
  FaceBackbone,
  FeatureTap,
  BackboneFeatures,
} from './face-backbone';
import { tapSize } from './face-backbone';
import { loadGraphFile } from './graph-file-loader';
import { packageFile } from './package-graph-model';
import { StudioError } from '../../shared/errors';

export const FACEMESH_INPUT = 192;
export const FACEMESH_POINTS = 468;

/**
 * Crop = the landmarks' box ×1.6 (margin 0.3 per side): measured for a mesh → 68 ridge at k=100
 * on HELEN, 4.90 / 4.26 / 4.15% NME at ×1.2 / ×1.4 / ×1.6 (issue 22's probe). `landmarksToFaceBox`
 * 1 as curation's stored boxes are calibrated to the 68 points' box.
 */
export const FACEMESH_CROP: BackboneCropPolicy = {
  crop: { from: 'face-box', margin: 0.3, landmarksToFaceBox: 1 },
  scaleOfLandmarkExtent: 1.6,
  note: 'HELEN k=100 mesh→68 ridge: ×1.2 4.90%, ×1.4 4.26%, ×1.6 4.15% NME',
};

const GRAPH_NODE: Record<string, string> = {
  mesh: 'Identity_2:0',
  faceflag: 'Identity_1:0',
  p_re_lu_9: 'StatefulPartitionedCall/model_1/p_re_lu_9/Relu',
  p_re_lu_12: 'StatefulPartitionedCall/model_1/p_re_lu_12/Relu',
  p_re_lu_15: 'StatefulPartitionedCall/model_1/p_re_lu_15/Relu',
};

export const FACEMESH_TAPS: readonly FeatureTap[] = [
  {
    name: 'mesh',
    kind: 'points',
    shape: [FACEMESH_POINTS, 3],
    description: '468 mesh points (x, y, depth) in crop units: u = px / 192',
  },
  {
    name: 'faceflag',
    kind: 'vector',
    shape: [1],
    description: 'face presence logit',
  },
  { name: 'p_re_lu_9', kind: 'map', shape: [24, 24, 64], description: 'stride-8 feature map' },
  { name: 'p_re_lu_12', kind: 'map', shape: [12, 12, 128], description: 'stride-16 feature map' },
  { name: 'p_re_lu_15', kind: 'map', shape: [6, 6, 128], description: 'stride-32 feature map' },
];

/** Where FaceMesh's weights come from and what their use requires. */
export const FACEMESH_LICENCE: BackboneLicence = {
  spdx: 'Apache-2.0',
  attribution:
    'MediaPipe Face Mesh © Google LLC (Apache-2.0); TF.js graph from @vladmandic/human © Vladimir Mandic (MIT)',
  package: '@vladmandic/human@3.3.6',
  noticeFile: 'resources/notices/facemesh.txt',
};

/** Where the package keeps the graph (`…/@vladmandic/human/models/facemesh.json`). */
export function faceMeshModelPath(): string {
  return packageFile('@vladmandic/human', 'models/facemesh.json');
}

/** Loads FaceMesh from `jsonPath` (default: the package's copy). */
export async function loadFaceMesh(jsonPath = faceMeshModelPath()): Promise<FaceBackbone> {
  const graph = await loadGraphFile(jsonPath);
  return {
    id: 'facemesh',
    name: 'FaceMesh (MediaPipe)',
    kind: 'geometry',
    inputSize: FACEMESH_INPUT,
    channels: 3,
    normalisation: { mean: [0, 0, 0], std: [1, 1, 1], description: 'RGB floats in [0, 1]' },
    cropPolicy: FACEMESH_CROP,
    taps: FACEMESH_TAPS,
    licence: FACEMESH_LICENCE,
    embed: async (crops, taps) => embedFaceMesh(graph, crops, taps),
    dispose: () => graph.dispose(),
  };
}

async function embedFaceMesh(
  graph: tf.GraphModel,
  crops: tf.Tensor4D,
  wanted: readonly string[] = FACEMESH_TAPS.map((t) => t.name),
): Promise<BackboneFeatures> {
  const [n, h, w, c] = crops.shape;
  if (h !== FACEMESH_INPUT || w !== FACEMESH_INPUT || c !== 3) {
    throw new StudioError(
      'invalid-payload',
      `FaceMesh takes [n, ${FACEMESH_INPUT}, ${FACEMESH_INPUT}, 3] crops, got [${crops.shape.join(', ')}]`,
    );
  }
  const taps = wanted.map((name) => {
    const tap = FACEMESH_TAPS.find((t) => t.name === name);
    if (!tap) {
      throw new StudioError(
        'invalid-payload',
        `Backbone facemesh has no feature tap "${name}" (it offers: ${FACEMESH_TAPS.map((t) => t.name).join(', ')})`,
      );
    }
    return tap;
  });
  const raw = graph.execute(
    crops,
    taps.map((t) => GRAPH_NODE[t.name]!),
  );
  // One output name gives a tensor, several an array.
  const outputs = Array.isArray(raw) ? raw : [raw];
  const out: Record<string, Float32Array> = {};
  try {
    for (const [i, tap] of taps.entries()) {
      const values = (await outputs[i]!.data()) as Float32Array;
      if (values.length !== n * tapSize(tap)) {
        throw new StudioError(
          'internal',
          `FaceMesh tap ${tap.name}: ${values.length} values for ${n} faces of ${tapSize(tap)}`,
        );
      }
      // Mesh points come in input pixels; heads want crop units.
      out[tap.name] = tap.name === 'mesh' ? values.map((v) => v / FACEMESH_INPUT) : values;
    }
  } finally {
    tf.dispose(outputs);
  }
  return { count: n, taps: out };
}
