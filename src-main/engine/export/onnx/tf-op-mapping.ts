/**
 * The mapping of each TensorFlow op the studio's graphs use onto ONNX ops (docs/ARCHITECTURE.md,
 * "Data flows", ONNX export). The studio's graphs are NHWC (TensorFlow's layout); ONNX's Conv and
 * pools are NCHW, so each of those is wrapped in two Transposes (ONNX Runtime's optimiser cancels
 * the pairs between neighbouring convs) and its filters are transposed here, once. Everything
 * else keeps NHWC. Integer tensors (TensorFlow int32 shapes, indices) become int64.
 *
 * Every mapping reads the node's inputs through `MapContext`, which knows each TensorFlow
 * tensor's shape (measured by running the TF.js graph once, convert-graph.ts) and the values of
 * constants, so attributes (axes, permutations, paddings, sizes) are written as ONNX wants them.
 */
import { cropAndResize } from './crop-and-resize';
import type { OnnxAttr, OnnxGraph } from './onnx-graph';

export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

export interface MapContext {
  g: OnnxGraph;
  node: TfNode;
  /** The ONNX tensor of the node's `i`-th input. */
  input(i: number): string;
  /** Shape of input `i` at a batch of one (read only the axes that do not follow the batch). */
  shapeOf(i: number): readonly number[];
  /** Shape of the node's own output at a batch of one. */
  outShape: readonly number[];
  /** Values of input `i` when it is a constant, else null. */
  constOf(i: number): Float32Array | Int32Array | null;
  /** Input `i` as constant integers, or an error naming the node. */
  intsOf(i: number): number[];
  /** A Const node's float values and shape (filters), or an error naming the node. */
  floatConst(i: number): { values: Float32Array; shape: number[] };
  /** An error naming the model and the node. */
  fail(problem: string): never;
}

type Mapper = (c: MapContext) => string;

// ---- attribute readers (the converter's protobuf-JSON spelling) ----

function attr(c: MapContext, key: string): unknown {
  return c.node.attr[key];
}

function attrText(c: MapContext, key: string): string | null {
  const value = (attr(c, key) as { s?: string } | undefined)?.s;
  return value === undefined ? null : atob(value);
}

function attrInts(c: MapContext, key: string): number[] | null {
  const value = (attr(c, key) as { list?: { i?: string[] } } | undefined)?.list;
  return value ? (value.i ?? []).map(Number) : null;
}

function attrInt(c: MapContext, key: string, fallback: number): number {
  const value = (attr(c, key) as { i?: string } | undefined)?.i;
  return value === undefined ? fallback : Number(value);
}

function attrBool(c: MapContext, key: string): boolean {
  return (attr(c, key) as { b?: boolean } | undefined)?.b === true;
}

function attrFloat(c: MapContext, key: string, fallback: number): number {
  const value = (attr(c, key) as { f?: number } | undefined)?.f;
  return value === undefined ? fallback : Number(value);
}

function attrTexts(c: MapContext, key: string): string[] {
  const value = (attr(c, key) as { list?: { s?: string[] } } | undefined)?.list;
  return (value?.s ?? []).map((s) => atob(s));
}

// ---- layout ----

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** `values` of `shape` with its axes permuted by `perm`. */
export function transposeValues(
  values: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let a = 0; a < rank; a++) from += index[a]! * strides[perm[a]!]!;
    out[o] = values[from]!;
    for (let a = rank - 1; a >= 0; a--) {
      if (++index[a]! < outShape[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}

function checkNhwc(c: MapContext): void {
  const format = attrText(c, 'data_format');
  if (format !== null && format !== 'NHWC') c.fail(`data_format ${format} (only NHWC is mapped)`);
}

/** ONNX's padding attributes for TensorFlow's `padding` (SAME pads the end more, as SAME_UPPER). */
function padding(c: MapContext): Record<string, OnnxAttr> {
  const mode = attrText(c, 'padding');
  if (mode === 'SAME') return { auto_pad: 'SAME_UPPER' };
  if (mode === 'VALID') return { auto_pad: 'VALID' };
  if (mode === 'EXPLICIT') {
    const p = attrInts(c, 'explicit_paddings') ?? [];
    if (p.length !== 8) c.fail('explicit_paddings must hold 8 values');
    return { pads: [p[2]!, p[4]!, p[3]!, p[5]!] };
  }
  return c.fail(`padding ${mode ?? '(none)'}`);
}

/** Spatial pair of a `[1, a, b, 1]` attribute (strides, dilations, ksize). */
function spatial(c: MapContext, key: string, fallback: number): [number, number] {
  const v = attrInts(c, key);
  if (!v || v.length === 0) return [fallback, fallback];
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) c.fail(`${key} [${v.join(', ')}]`);
  return [v[1]!, v[2]!];
}

// ---- activations after a fused op ----

function activate(c: MapContext, x: string, op: string, argIndex: number): string {
  const g = c.g;
  switch (op) {
    case 'Relu':
      return g.node('Relu', [x]);
    case 'Relu6':
      return g.node('Clip', [x, g.scalar(0), g.scalar(6)]);
    case 'Prelu':
      return prelu(c, x, argIndex);
    case 'LeakyRelu':
      return g.node('LeakyRelu', [x], { alpha: { float: attrFloat(c, 'leakyrelu_alpha', 0.2) } });
    case 'Elu':
      return g.node('Elu', [x]);
    case 'Sigmoid':
      return g.node('Sigmoid', [x]);
    case 'Tanh':
      return g.node('Tanh', [x]);
    default:
      return c.fail(`fused activation ${op}`);
  }
}

/**
 * PReLU of `x` (NHWC) with the slope input `slopeIndex`. A constant slope per channel on a 4-D
 * input is written as convolutions ONNX Runtime keeps in its blocked NCHWc layout:
 * `slope·x + (1 − slope)·Relu(x)` as two depthwise 1×1 Convs and an Add, in NCHW between two
 * Transposes the optimiser cancels against its neighbours'. Its PRelu kernel has no blocked form:
 * each PReLU cost a layout conversion out and back, and a FaceMesh crop took 3.0 ms of CPU against
 * 1.3 ms this way (equal within 3e-7 on its landmarks). Any other slope stays a PRelu.
 */
function prelu(c: MapContext, x: string, slopeIndex: number, name?: string): string {
  const g = c.g;
  const slope = c.constOf(slopeIndex);
  // The node's output: a fused conv's, whose input has other channels.
  const shape = c.outShape;
  const channels = shape[shape.length - 1]!;
  if (!(slope instanceof Float32Array) || shape.length !== 4 || slope.length !== channels)
    return g.node('PRelu', [x, c.input(slopeIndex)], {}, name);
  const depthwise = (input: string, weights: Float32Array, part: string) =>
    g.node(
      'Conv',
      [input, g.floats(`${c.node.name}/prelu_${part}`, weights, [channels, 1, 1, 1])],
      {
        kernel_shape: [1, 1],
        group: channels,
      },
    );
  const nchw = g.node('Transpose', [x], { perm: TO_NCHW });
  const out = g.node(
    'Add',
    [
      depthwise(nchw, slope, 'slope'),
      depthwise(
        g.node('Relu', [nchw]),
        slope.map((a) => 1 - a),
        'rest',
      ),
    ],
    {},
    name,
  );
  return g.node('Transpose', [out], { perm: TO_NHWC });
}

/** `fused_ops` of a _Fused* node: BiasAdd first (required), then at most one activation. */
function fusedOps(c: MapContext): { bias: boolean; activation: string | null } {
  const ops = attrTexts(c, 'fused_ops');
  let rest = ops;
  const bias = ops[0] === 'BiasAdd';
  if (bias) rest = ops.slice(1);
  if (rest.length > 1 || rest.some((o) => o === 'BiasAdd' || o.startsWith('FusedBatchNorm')))
    c.fail(`fused_ops [${ops.join(', ')}]`);
  return { bias, activation: rest[0] ?? null };
}

// ---- convolutions and pools ----

function conv(c: MapContext, depthwise: boolean, fused: boolean): string {
  checkNhwc(c);
  const g = c.g;
  const filter = c.floatConst(1);
  if (filter.shape.length !== 4) c.fail('a filter of rank 4 is needed');
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  let weights: string;
  let group = 1;
  if (depthwise) {
    // [kh, kw, C, mult] → [C·mult, 1, kh, kw], one group per input channel.
    const values = transposeValues(filter.values, [kh, kw, ci * co], [2, 0, 1]);
    weights = g.floats(`${c.node.name}/weights`, values, [ci * co, 1, kh, kw]);
    group = ci;
  } else {
    const values = transposeValues(filter.values, filter.shape, [3, 2, 0, 1]);
    weights = g.floats(`${c.node.name}/weights`, values, [co, ci, kh, kw]);
  }
  const { bias, activation } = fused ? fusedOps(c) : { bias: false, activation: null };
  const inputs = [g.node('Transpose', [c.input(0)], { perm: TO_NCHW }), weights];
  if (bias) inputs.push(c.input(2));
  const out = g.node(
    'Conv',
    inputs,
    {
      kernel_shape: [kh, kw],
      strides: spatial(c, 'strides', 1),
      dilations: spatial(c, 'dilations', 1),
      group,
      ...padding(c),
    },
    c.node.name,
  );
  const nhwc = g.node('Transpose', [out], { perm: TO_NHWC });
  return activation ? activate(c, nhwc, activation, 3) : nhwc;
}

function pool(c: MapContext, op: 'MaxPool' | 'AveragePool'): string {
  checkNhwc(c);
  const g = c.g;
  const nchw = g.node('Transpose', [c.input(0)], { perm: TO_NCHW });
  const attrs: Record<string, OnnxAttr> = {
    kernel_shape: spatial(c, 'ksize', 1),
    strides: spatial(c, 'strides', 1),
    ...padding(c),
  };
  // TensorFlow's average leaves padding out of the count (ONNX's default).
  const out = g.node(op, [nchw], attrs, c.node.name);
  return g.node('Transpose', [out], { perm: TO_NHWC });
}

function matMul(c: MapContext, fused: boolean): string {
  const g = c.g;
  const transposed = (i: number, flag: boolean): string => {
    if (!flag) return c.input(i);
    const rank = c.shapeOf(i).length;
    const perm = [...Array.from({ length: rank - 2 }, (_, k) => k), rank - 1, rank - 2];
    return g.node('Transpose', [c.input(i)], { perm });
  };
  const ta = attrBool(c, 'transpose_a') || attrBool(c, 'adj_x');
  const tb = attrBool(c, 'transpose_b') || attrBool(c, 'adj_y');
  let out = g.node('MatMul', [transposed(0, ta), transposed(1, tb)], {}, c.node.name);
  if (!fused) return out;
  const { bias, activation } = fusedOps(c);
  if (bias) out = g.node('Add', [out, c.input(2)]);
  return activation ? activate(c, out, activation, 3) : out;
}

// ---- shapes and indexing ----

const INT64_MAX = Number.MAX_SAFE_INTEGER;

function reduce(c: MapContext, op: string): string {
  const axes = c.intsOf(1);
  return c.g.node(op, [c.input(0), c.g.ints(axes)], { keepdims: attrBool(c, 'keep_dims') ? 1 : 0 });
}

function slice(c: MapContext): string {
  const begin = c.intsOf(1);
  const size = c.intsOf(2);
  const ends = begin.map((b, i) => (size[i] === -1 ? INT64_MAX : b + size[i]!));
  const axes = begin.map((_, i) => i);
  return c.g.node('Slice', [c.input(0), c.g.ints(begin), c.g.ints(ends), c.g.ints(axes)]);
}

function stridedSlice(c: MapContext): string {
  for (const key of ['ellipsis_mask', 'new_axis_mask'])
    if (attrInt(c, key, 0) !== 0) c.fail(`${key} ${attrInt(c, key, 0)}`);
  const begin = c.intsOf(1);
  const end = c.intsOf(2);
  const strides = c.intsOf(3);
  const beginMask = attrInt(c, 'begin_mask', 0);
  const endMask = attrInt(c, 'end_mask', 0);
  const shrink = attrInt(c, 'shrink_axis_mask', 0);
  const starts: number[] = [];
  const ends: number[] = [];
  const squeeze: number[] = [];
  begin.forEach((b, i) => {
    const step = strides[i]!;
    const bit = 1 << i;
    if (shrink & bit) {
      starts.push(b);
      ends.push(b === -1 ? INT64_MAX : b + 1);
      squeeze.push(i);
      return;
    }
    starts.push(beginMask & bit ? (step > 0 ? 0 : -1) : b);
    ends.push(endMask & bit ? (step > 0 ? INT64_MAX : -INT64_MAX) : end[i]!);
  });
  const g = c.g;
  const axes = begin.map((_, i) => i);
  const sliced = g.node('Slice', [
    c.input(0),
    g.ints(starts),
    g.ints(ends),
    g.ints(axes),
    g.ints(strides),
  ]);
  return squeeze.length ? g.node('Squeeze', [sliced, g.ints(squeeze)]) : sliced;
}

function concat(c: MapContext): string {
  const n = c.node.input.length - 1;
  const [axis] = c.intsOf(n);
  const inputs = Array.from({ length: n }, (_, i) => c.input(i));
  return c.g.node('Concat', inputs, { axis: axis! });
}

function pad(c: MapContext): string {
  const p = c.intsOf(1);
  const rank = p.length / 2;
  const pads = [
    ...Array.from({ length: rank }, (_, i) => p[2 * i]!),
    ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!),
  ];
  const inputs = [c.input(0), c.g.ints(pads)];
  if (c.node.op === 'PadV2') inputs.push(c.input(2));
  return c.g.node('Pad', inputs, { mode: 'constant' });
}

/** `tf.image.resizeBilinear` on the two spatial axes of an NHWC batch. */
function resizeBilinear(c: MapContext): string {
  const size = c.intsOf(1);
  const mode = attrBool(c, 'align_corners')
    ? 'align_corners'
    : attrBool(c, 'half_pixel_centers')
      ? 'half_pixel'
      : 'asymmetric';
  const g = c.g;
  const nchw = g.node('Transpose', [c.input(0)], { perm: TO_NCHW });
  const out = g.node('Resize', [nchw, '', '', g.ints(size)], {
    mode: 'linear',
    coordinate_transformation_mode: mode,
    axes: [2, 3],
  });
  return g.node('Transpose', [out], { perm: TO_NHWC });
}

function cropAndResizeOp(c: MapContext): string {
  const method = attrText(c, 'method') ?? 'bilinear';
  if (method !== 'bilinear') c.fail(`method ${method}`);
  const image = c.shapeOf(0);
  const [h, w, ch] = [image[1], image[2], image[3]];
  if (image.length !== 4 || h === undefined || w === undefined || ch === undefined)
    c.fail('the image must be a batch of images [n, H, W, C]');
  const crop = c.intsOf(3);
  return cropAndResize(c.g, {
    image: c.input(0),
    boxes: c.input(1),
    boxInd: c.input(2),
    height: h,
    width: w,
    channels: ch,
    crop: [crop[0]!, crop[1]!],
    extrapolation: attrFloat(c, 'extrapolation_value', 0),
  });
}

// ---- the table ----

const binary =
  (op: string): Mapper =>
  (c) =>
    c.g.node(op, [c.input(0), c.input(1)], {}, c.node.name);

const unary =
  (op: string): Mapper =>
  (c) =>
    c.g.node(op, [c.input(0)], {}, c.node.name);

/** TensorFlow op → its ONNX ops. */
export const TF_OP_MAPPING: Record<string, Mapper> = {
  Identity: (c) => c.g.node('Identity', [c.input(0)], {}, c.node.name),
  Add: binary('Add'),
  AddV2: binary('Add'),
  BiasAdd: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Div: binary('Div'),
  Minimum: binary('Min'),
  Maximum: binary('Max'),
  Pow: binary('Pow'),
  SquaredDifference: (c) => {
    const d = c.g.node('Sub', [c.input(0), c.input(1)]);
    return c.g.node('Mul', [d, d], {}, c.node.name);
  },
  Relu: unary('Relu'),
  Relu6: (c) => c.g.node('Clip', [c.input(0), c.g.scalar(0), c.g.scalar(6)], {}, c.node.name),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Erf: unary('Erf'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Elu: unary('Elu'),
  Rsqrt: (c) => c.g.node('Reciprocal', [c.g.node('Sqrt', [c.input(0)])], {}, c.node.name),
  Square: (c) => c.g.node('Mul', [c.input(0), c.input(0)], {}, c.node.name),
  Prelu: (c) => prelu(c, c.input(0), 1, c.node.name),
  LeakyRelu: (c) =>
    c.g.node('LeakyRelu', [c.input(0)], { alpha: { float: attrFloat(c, 'alpha', 0.2) } }),
  Softmax: (c) => c.g.node('Softmax', [c.input(0)], { axis: -1 }, c.node.name),
  MatMul: (c) => matMul(c, false),
  BatchMatMul: (c) => matMul(c, false),
  BatchMatMulV2: (c) => matMul(c, false),
  _FusedMatMul: (c) => matMul(c, true),
  Conv2D: (c) => conv(c, false, false),
  _FusedConv2D: (c) => conv(c, false, true),
  DepthwiseConv2dNative: (c) => conv(c, true, false),
  FusedDepthwiseConv2dNative: (c) => conv(c, true, true),
  MaxPool: (c) => pool(c, 'MaxPool'),
  AvgPool: (c) => pool(c, 'AveragePool'),
  Mean: (c) => reduce(c, 'ReduceMean'),
  Sum: (c) => reduce(c, 'ReduceSum'),
  Max: (c) => reduce(c, 'ReduceMax'),
  Min: (c) => reduce(c, 'ReduceMin'),
  Reshape: (c) => {
    const shape = c.constOf(1);
    const target = shape ? c.g.ints(Array.from(shape)) : c.input(1);
    return c.g.node('Reshape', [c.input(0), target], {}, c.node.name);
  },
  Transpose: (c) => c.g.node('Transpose', [c.input(0)], { perm: c.intsOf(1) }, c.node.name),
  Slice: slice,
  StridedSlice: stridedSlice,
  ConcatV2: concat,
  Pad: pad,
  PadV2: pad,
  Shape: (c) => c.g.node('Shape', [c.input(0)], {}, c.node.name),
  Range: (c) => c.g.node('Range', [c.input(0), c.input(1), c.input(2)], {}, c.node.name),
  BroadcastTo: (c) => c.g.node('Expand', [c.input(0), c.input(1)], {}, c.node.name),
  Tile: (c) => c.g.node('Tile', [c.input(0), c.input(1)], {}, c.node.name),
  ResizeBilinear: resizeBilinear,
  CropAndResize: cropAndResizeOp,
};
