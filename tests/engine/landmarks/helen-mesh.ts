/**
 * HELEN faces through FaceMesh for the landmark-head tests: crops of the landmarks' box × the
 * backbone's scale (1.6, helen-crops.ts), embedded as they are and mirrored, in the head's input
 * layout (the taps the product's head reads: mesh, p_re_lu_12 + p_re_lu_15 as its maps,
 * p_re_lu_9 as the refinement's local map). One load of the graph per test file.
 */
import * as tf from '@tensorflow/tfjs';
import type { FaceBackbone } from '../../../src-main/engine/backbones/face-backbone';
import { headInputOf } from '../../../src-main/engine/backbones/embed-faces';
import type { HeadInput } from '../../../src-main/engine/landmarks/landmark-ridge-head';
import { loadHelenCrops } from '../../support/helen-crops';

export interface MeshFaces {
  faces: HeadInput;
  mirrored: HeadInput;
  /** `[n · 68 · 2]` crop coordinates. */
  points: Float32Array;
}

/** The first `count` faces of `split`, embedded by `backbone`. */
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
  const taps = ['mesh', 'p_re_lu_9', 'p_re_lu_12', 'p_re_lu_15'];
  const a = await backbone.embed(images, taps);
  const b = await backbone.embed(mirroredImages, taps);
  tf.dispose([images, mirroredImages]);
  const embedded = { count: a.count, taps: a.taps, flipped: b.taps, msPerFace: 0 };
  const headTaps = { points: 'mesh', map: ['p_re_lu_12', 'p_re_lu_15'], local: 'p_re_lu_9' };
  const input = (mirrored: boolean): HeadInput =>
    headInputOf(backbone, embedded, headTaps, mirrored);
  return { faces: input(false), mirrored: input(true), points };
}
