/**
 * The landmark head's refinement as graph ops (docs/ARCHITECTURE.md, "Formats"): each crop's
 * first guess `[n, K, 2]` (crop units) moves by a per-point affine map of the local feature map
 * `[n, H, W, C]` sampled bilinearly at the guess (landmark-ridge-head.ts, step 5;
 * landmark-ridge-affine.ts, `refineAffineOf`).
 *
 * Sampling is CropAndResize with a 1×1 crop: for a box [y, x, y, x] it reads the map at
 * `0.5·(y + y)·(H − 1)` rows and as many columns, bilinearly, and gives its extrapolation value 0
 * outside [0, H − 1] — so y = (v·H − 0.5)/(H − 1) samples row v·H − 0.5, the cell centres'
 * convention of `sampleLocal`. Box i reads face `i div K` (`box_ind` = Range over the faces,
 * tiled K times). Every op here (Mul, Sub, Slice, ConcatV2, Reshape, Shape, StridedSlice, Range,
 * Tile, CropAndResize, Sum, AddV2) has a TF.js kernel on wasm and cpu.
 */
import type { RefineAffine } from '../landmarks/landmark-ridge-affine';
import type { GraphBuilder } from './graph-builder';

const INT32 = { type: 'DT_INT32' } as const;

/** `guess` `[n, K, 2]` refined on `local` `[n, H, W, C]`: the node of the moved `[n, K, 2]`. */
export function writeLandmarkRefine(
  g: GraphBuilder,
  guess: string,
  local: string,
  refine: RefineAffine,
): string {
  const { height: h, width: w, channels: c, points: k } = refine;
  return g.scoped('refine', () => {
    // (x, y) of the box corners: x = (u·W − 0.5)/(W − 1), y = (v·H − 0.5)/(H − 1).
    const scaled = g.sub(
      g.mul(guess, g.constant('refine.box_scale', Float32Array.of(w / (w - 1), h / (h - 1)), [2])),
      g.constant('refine.box_shift', Float32Array.of(0.5 / (w - 1), 0.5 / (h - 1)), [2]),
    );
    const x = g.slice(scaled, [0, 0, 0], [-1, -1, 1]);
    const y = g.slice(scaled, [0, 0, 1], [-1, -1, 1]);
    const boxes = g.reshape(g.concat([y, x, y, x], 2), [-1, 4]);
    // Face index of each box: [0 × K, 1 × K, …].
    const faces = g.op('Reshape', [g.range(g.batchScalarOf(local)), g.ints([-1, 1])], {
      T: INT32,
      Tshape: INT32,
    });
    const tiled = g.op('Tile', [faces, g.ints([1, k])], { T: INT32, Tmultiples: INT32 });
    const boxInd = g.op('Reshape', [tiled, g.ints([-1])], { T: INT32, Tshape: INT32 });
    const samples = g.reshape(g.cropAndResize(local, boxes, boxInd, 1), [-1, k, c, 1]);
    const weights = g.constant('refine.weights', Float32Array.from(refine.weights), [k, c, 2]);
    const correction = g.sum(g.mul(samples, weights), [2], false);
    const bias = g.constant('refine.bias', Float32Array.from(refine.bias), [k, 2]);
    return g.add2(g.add2(guess, correction), bias);
  });
}
