/**
 * TensorFlow's CropAndResize (bilinear) as ONNX ops, which have no such op: every sample's four
 * neighbours are gathered from the image flattened to `[n·H·W, C]` by index, then blended as
 * TensorFlow blends them (crop_and_resize_op.cc, which TF.js follows):
 *
 *   in_y = y1·(H − 1) + i·(y2 − y1)·(H − 1)/(h − 1)   (h > 1), else (y1 + y2)/2·(H − 1)
 *   top = floor(in_y), bottom = ceil(in_y), lerp = in_y − top; the same across;
 *   top + (bottom − top)·y_lerp of the two rows' x blends; a sample with in_y or in_x outside
 *   [0, H − 1] / [0, W − 1] is the extrapolation value.
 *
 * Boxes may come from anywhere in the graph and each names its image (`box_ind`), so this one
 * mapping serves both of the studio's uses: a backbone's fixed view of the crop, and the landmark
 * refinement's one-pixel samples of a feature map at each guessed point.
 */
import type { OnnxGraph } from './onnx-graph';

export interface CropAndResizeArgs {
  /** NHWC float image batch. */
  image: string;
  /** `[m, 4]` float boxes: y1, x1, y2, x2 in 0..1 of the image. */
  boxes: string;
  /** `[m]` int64 image of each box. */
  boxInd: string;
  /** The image's static height, width and channels. */
  height: number;
  width: number;
  channels: number;
  /** The crop's height and width. */
  crop: readonly [number, number];
  extrapolation: number;
}

/** Sample positions along one axis `[m, size]` from the box's two edges `[m, 1]`. */
function positions(g: OnnxGraph, low: string, high: string, length: number, size: number): string {
  const last = g.scalar(length - 1);
  if (size === 1)
    return g.node('Mul', [g.node('Mul', [g.node('Add', [low, high]), g.scalar(0.5)]), last]);
  const steps = g.floats(
    'crop/steps',
    Float32Array.from({ length: size }, (_, i) => i),
    [1, size],
  );
  // (high − low)·(L − 1)/(size − 1), in TensorFlow's order of operations.
  const scale = g.node('Div', [
    g.node('Mul', [g.node('Sub', [high, low]), last]),
    g.scalar(size - 1),
  ]);
  return g.node('Add', [g.node('Mul', [low, last]), g.node('Mul', [steps, scale])]);
}

/** Floor and ceil of `at` clamped into 0..L−1 as int64, the lerp, and whether `at` lies inside. */
function neighbours(g: OnnxGraph, at: string, length: number) {
  const floor = g.node('Floor', [at]);
  const lerp = g.node('Sub', [at, floor]);
  const clamp = (x: string) =>
    g.node('Cast', [g.node('Clip', [x, g.scalar(0), g.scalar(length - 1)])], { to: 7 });
  const inside = g.node('And', [
    g.node('GreaterOrEqual', [at, g.scalar(0)]),
    g.node('LessOrEqual', [at, g.scalar(length - 1)]),
  ]);
  return { low: clamp(floor), high: clamp(g.node('Ceil', [at])), lerp, inside };
}

export function cropAndResize(g: OnnxGraph, a: CropAndResizeArgs): string {
  const [h, w] = a.crop;
  const [y1, x1, y2, x2] = g.nodeOutputs(
    'Split',
    [a.boxes, g.ints([1, 1, 1, 1])],
    4,
    { axis: 1 },
    'crop/box',
  );
  const ys = neighbours(g, positions(g, y1!, y2!, a.height, h), a.height); // [m, h]
  const xs = neighbours(g, positions(g, x1!, x2!, a.width, w), a.width); // [m, w]
  const flat = g.node('Reshape', [a.image, g.ints([-1, a.channels])]);
  // Row index of the image's first pixel: box_ind·H·W, as [m, 1, 1].
  const base = g.node('Reshape', [
    g.node('Mul', [a.boxInd, g.ints(a.height * a.width)]),
    g.ints([-1, 1, 1]),
  ]);
  const rowsAt = (y: string) =>
    g.node('Add', [base, g.node('Unsqueeze', [g.node('Mul', [y, g.ints(a.width)]), g.ints([2])])]);
  const colsAt = (x: string) => g.node('Unsqueeze', [x, g.ints([1])]); // [m, 1, w]
  const pick = (y: string, x: string) =>
    g.node('Gather', [flat, g.node('Add', [rowsAt(y), colsAt(x)])], { axis: 0 }); // [m, h, w, C]
  const topLeft = pick(ys.low, xs.low);
  const topRight = pick(ys.low, xs.high);
  const bottomLeft = pick(ys.high, xs.low);
  const bottomRight = pick(ys.high, xs.high);
  const xLerp = g.node('Unsqueeze', [xs.lerp, g.ints([1, 3])]); // [m, 1, w, 1]
  const yLerp = g.node('Unsqueeze', [ys.lerp, g.ints([2, 3])]); // [m, h, 1, 1]
  const blend = (from: string, to: string, t: string) =>
    g.node('Add', [from, g.node('Mul', [g.node('Sub', [to, from]), t])]);
  const top = blend(topLeft, topRight, xLerp);
  const bottom = blend(bottomLeft, bottomRight, xLerp);
  const value = blend(top, bottom, yLerp);
  const inside = g.node('And', [
    g.node('Unsqueeze', [ys.inside, g.ints([2, 3])]),
    g.node('Unsqueeze', [xs.inside, g.ints([1, 3])]),
  ]);
  return g.node('Where', [inside, value, g.scalar(a.extrapolation)], {}, 'CropAndResize');
}
