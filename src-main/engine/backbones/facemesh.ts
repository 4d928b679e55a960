/**
 * FaceMesh (MediaPipe, Apache-2.0; the TF.js graph inside `@vladmandic/human`, MIT) as a frozen
 * geometry backbone (docs/ARCHITECTURE.md, "Backbones and tasks"): a 192-px face crop in, 468
 * mesh points and the network's intermediate feature maps out. Heads are fitted on top of them
 * (engine/landmarks/). Runs on every TF.js backend, wasm included; loaded from disk through
 * graph-file-loader.ts, nothing is downloaded.
 */
import { embedWithGraph, type BackboneGraph } from './backbone-graph';
import type { BackboneCropPolicy, FaceBackbone, FeatureTap } from './face-backbone';
import { loadGraphFile } from './graph-file-loader';
import { packageFile } from './package-graph-model';

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

/**
 * How `embed` (and an exported model's graph) runs the package's graph: crops go in as they are
 * (RGB in [0, 1], 192 px); mesh points come out in input pixels and are divided by 192 into crop
 * units; the feature maps are read as they are.
 */
export const FACEMESH_GRAPH: BackboneGraph = {
  package: '@vladmandic/human',
  file: 'models/facemesh.json',
  inputNode: 'input_1',
  graphInputSize: FACEMESH_INPUT,
  prepare: [],
  taps: {
    mesh: { node: 'Identity_2', steps: [{ op: 'div', value: FACEMESH_INPUT }] },
    faceflag: { node: 'Identity_1', steps: [] },
    p_re_lu_9: { node: 'StatefulPartitionedCall/model_1/p_re_lu_9/Relu', steps: [] },
    p_re_lu_12: { node: 'StatefulPartitionedCall/model_1/p_re_lu_12/Relu', steps: [] },
    p_re_lu_15: { node: 'StatefulPartitionedCall/model_1/p_re_lu_15/Relu', steps: [] },
  },
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

/** Where the package keeps the graph (`…/@vladmandic/human/models/facemesh.json`). */
export function faceMeshModelPath(): string {
  return packageFile(FACEMESH_GRAPH.package, FACEMESH_GRAPH.file);
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
    licence: {
      spdx: 'Apache-2.0',
      attribution:
        'MediaPipe Face Mesh © Google LLC (Apache-2.0); TF.js graph from @vladmandic/human © Vladimir Mandic (MIT)',
      package: '@vladmandic/human@3.3.6',
      noticeFile: 'resources/notices/facemesh.txt',
    },
    graph: FACEMESH_GRAPH,
    embed: async (crops, taps) =>
      embedWithGraph('facemesh', 'FaceMesh', graph, FACEMESH_GRAPH, FACEMESH_TAPS, crops, taps),
    dispose: () => graph.dispose(),
  };
}
