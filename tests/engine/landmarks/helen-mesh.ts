/**
 * HELEN faces through FaceMesh for the landmark-head tests: crops of the landmarks' box × the
 * backbone's scale (1.6, helen-crops.ts), embedded as they are and mirrored, in the head's input
 * layout. One load of the graph per test file.
 */
import * as tf from '@tensorflow/tfjs';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import type { HeadInput } from '../../../src-main/engine/landmarks/landmark-ridge-head';
import { loadHelenCrops } from '../../support/helen-crops';

export interface MeshFaces {
  faces: HeadInput;
  mirrored: HeadInput;
  /** `[n · 68 · 2]` crop coordinates. */
  points: Float32Array;
}

/** The first `count` faces of `split`, embedded by `backbone` (taps mesh and p_re_lu_15). */
export async function helenThroughMesh(
  backbone: FaceBackbone,
  split: 'train' | 'test',
  count: number,
): Promise<MeshFaces> {
  const { images, points } = await loadHelenCrops(
    split,
    count,
    backbone.inputSize,
    backbone.cropPolicy.scaleOfLandmarkExtent,
  );
  const mirroredImages = tf.reverse(images, 2);
  const taps = ['mesh', 'p_re_lu_15'];
  const a = await backbone.embed(images, taps);
  const b = await backbone.embed(mirroredImages, taps);
  tf.dispose([images, mirroredImages]);
  const input = (f: typeof a): HeadInput => ({
    count: f.count,
    points: f.taps.mesh!,
    pointCount: 468,
    pointDims: 3,
    maps: f.taps.p_re_lu_15!,
    mapDim: 6 * 6 * 128,
  });
  return { faces: input(a), mirrored: input(b), points };
}
