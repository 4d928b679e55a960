/**
 * A small writer of TensorFlow GraphDef JSON, the `modelTopology` of a TensorFlow.js graph model,
 * in the protobuf-JSON spelling the converter emits (`{ type: 'DT_FLOAT' }`, `{ b: true }`,
 * `{ i: '2' }`, `{ shape: { dim: [{ size: '-1' }] } }`).
 *
 * The tfjs executor reads every `Const` node's value from the weights manifest by node name (it
 * never reads `attr.value`), so each constant — trained weights and the small int32 shapes, axes
 * and permutations alike — is collected here with its values and becomes a manifest entry.
 * Each op helper writes the attributes that the converter's op mappers read
 * (tfjs-converter/dist/operations/op_list) plus TensorFlow's own type attributes, so the graph
 * also reads as a plain GraphDef.
 */

/** One attribute value, protobuf-JSON style. */
export type AttrValue =
  | { type: DataTypeName }
  | { b: boolean }
  | { i: string }
  | { f: number }
  | { s: string }
  | { list: { i: string[] } }
  | { shape: ShapeProto }
  | { tensor: { dtype: DataTypeName; tensorShape: ShapeProto } };

type DataTypeName = 'DT_FLOAT' | 'DT_INT32';

interface ShapeProto {
  dim?: { size: string }[];
}

export interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

/**
 * A node copied from another graph (import-graph.ts): its attributes are kept as that graph's
 * converter wrote them (lists, strings, the ops' own fields), so they are not typed here.
 */
export interface ImportedNodeDef {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

export interface GraphDef {
  node: (NodeDef | ImportedNodeDef)[];
  library: Record<string, never>;
  versions: Record<string, never>;
}

/** A constant's values, stored in the weight shards under its node name. */
export interface GraphConstant {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  values: Float32Array | Int32Array;
}

const FLOAT: AttrValue = { type: 'DT_FLOAT' };
const INT32: AttrValue = { type: 'DT_INT32' };

function shapeProto(shape: readonly number[]): ShapeProto {
  return shape.length ? { dim: shape.map((d) => ({ size: String(d) })) } : {};
}

export class GraphBuilder {
  readonly nodes: (NodeDef | ImportedNodeDef)[] = [];
  readonly constants: GraphConstant[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();
  /** Small int32 / float constants by value, so `[-1, 64]` is one node however often used. */
  private readonly interned = new Map<string, string>();
  /** Name scope of the ops added now (`block0/`), as TensorFlow's name scopes. */
  private prefix = '';

  /** `base` if unused, else `base_1`, `base_2`, … (TensorFlow's own naming). */
  private unique(base: string): string {
    if (!this.names.has(base)) {
      this.names.add(base);
      return base;
    }
    let n = this.counters.get(base) ?? 0;
    let name: string;
    do name = `${base}_${++n}`;
    while (this.names.has(name));
    this.counters.set(base, n);
    this.names.add(name);
    return name;
  }

  private add(node: NodeDef): string {
    this.nodes.push(node);
    return node.name;
  }

  /** A node from another graph, under the name it already has (taken names are refused). */
  imported(node: ImportedNodeDef): string {
    if (this.names.has(node.name)) throw new Error(`Graph node ${node.name} is defined twice`);
    this.names.add(node.name);
    this.nodes.push(node);
    return node.name;
  }

  placeholder(name: string, shape: readonly number[]): string {
    return this.add({
      name: this.unique(name),
      op: 'Placeholder',
      attr: { dtype: FLOAT, shape: { shape: shapeProto(shape) } },
    });
  }

  /** A constant node named exactly `name` (weights keep the engine's parameter names). */
  constant(name: string, values: Float32Array | Int32Array, shape: readonly number[]): string {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size)
      throw new Error(`Constant ${name}: ${values.length} values for shape [${shape.join(', ')}]`);
    if (this.names.has(name)) throw new Error(`Graph node ${name} is defined twice`);
    this.names.add(name);
    return this.addConstant(name, values, shape);
  }

  private addConstant(
    name: string,
    values: Float32Array | Int32Array,
    shape: readonly number[],
  ): string {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    const type: DataTypeName = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.constants.push({ name, dtype, shape: [...shape], values });
    return this.add({
      name,
      op: 'Const',
      attr: { value: { tensor: { dtype: type, tensorShape: shapeProto(shape) } }, dtype: { type } },
    });
  }

  /** An int32 constant (a shape, axes, a permutation); a bare number gives a scalar. */
  ints(values: number | readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const shape = typeof values === 'number' ? [] : [list.length];
    const key = `i${JSON.stringify(values)}`;
    const known = this.interned.get(key);
    if (known) return known;
    const name = this.addConstant(this.unique('const/int'), Int32Array.from(list), shape);
    this.interned.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const key = `f${value}`;
    const known = this.interned.get(key);
    if (known) return known;
    const name = this.addConstant(this.unique('const/float'), Float32Array.of(value), []);
    this.interned.set(key, name);
    return name;
  }

  op(op: string, input: string[], attr: Record<string, AttrValue> = {}, name = op): string {
    return this.add({ name: this.unique(this.prefix + name), op, input, attr });
  }

  /** Runs `body` with its ops named under `scope/`. */
  scoped<T>(scope: string, body: () => T): T {
    const outer = this.prefix;
    this.prefix = `${outer}${scope}/`;
    try {
      return body();
    } finally {
      this.prefix = outer;
    }
  }

  // ---- the ops the ViT needs, each as the converter's executor reads it ----

  matMul(a: string, b: string, name = 'MatMul'): string {
    return this.op(
      'MatMul',
      [a, b],
      { T: FLOAT, transpose_a: { b: false }, transpose_b: { b: false } },
      name,
    );
  }

  /** Batched matMul over the leading axis; `adjointB` = transpose b's last two axes. */
  batchMatMul(a: string, b: string, adjointB: boolean): string {
    return this.op('BatchMatMulV2', [a, b], {
      T: FLOAT,
      adj_x: { b: false },
      adj_y: { b: adjointB },
    });
  }

  add2(a: string, b: string, name = 'AddV2'): string {
    return this.op('AddV2', [a, b], { T: FLOAT }, name);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b], { T: FLOAT });
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b], { T: FLOAT });
  }

  div(a: string, b: string): string {
    return this.op('RealDiv', [a, b], { T: FLOAT });
  }

  unary(
    op: 'Rsqrt' | 'Square' | 'Erf' | 'Sigmoid' | 'Softmax' | 'Relu',
    x: string,
    name: string = op,
  ): string {
    return this.op(op, [x], { T: FLOAT }, name);
  }

  reshape(x: string, shape: readonly number[]): string {
    return this.op('Reshape', [x, this.ints(shape)], { T: FLOAT, Tshape: INT32 });
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x, this.ints(perm)], { T: FLOAT, Tperm: INT32 });
  }

  mean(x: string, axis: number, keepDims: boolean): string {
    return this.op('Mean', [x, this.ints([axis])], {
      T: FLOAT,
      Tidx: INT32,
      keep_dims: { b: keepDims },
    });
  }

  /** Sum over `axes` (int32 constant). */
  sum(x: string, axes: readonly number[], keepDims: boolean): string {
    return this.op('Sum', [x, this.ints(axes)], {
      T: FLOAT,
      Tidx: INT32,
      keep_dims: { b: keepDims },
    });
  }

  /** Mean over several axes at once, as `tf.mean(x, axes)`. */
  meanOver(x: string, axes: readonly number[], keepDims: boolean): string {
    return this.op('Mean', [x, this.ints(axes)], {
      T: FLOAT,
      Tidx: INT32,
      keep_dims: { b: keepDims },
    });
  }

  minimum(a: string, b: string): string {
    return this.op('Minimum', [a, b], { T: FLOAT });
  }

  /** NHWC average pooling, `size × size` windows at stride `size`, valid padding. */
  avgPool(x: string, size: number): string {
    const window = { list: { i: ['1', String(size), String(size), '1'] } };
    return this.op('AvgPool', [x], {
      T: FLOAT,
      ksize: window,
      strides: window,
      padding: { s: btoa('VALID') },
      data_format: { s: btoa('NHWC') },
    });
  }

  /** Bilinear resize of NHWC images to `size × size`, as `tf.image.resizeBilinear`. */
  resizeBilinear(x: string, size: number, halfPixelCenters: boolean): string {
    return this.op('ResizeBilinear', [x, this.ints([size, size])], {
      T: FLOAT,
      align_corners: { b: false },
      half_pixel_centers: { b: halfPixelCenters },
    });
  }

  /**
   * `tf.image.cropAndResize(x, boxes, boxInd, [size, size], 'bilinear', 0)`: `boxes` float
   * `[m, 4]` (y1, x1, y2, x2, normalised), `boxInd` int32 `[m]`.
   */
  cropAndResize(x: string, boxes: string, boxInd: string, size: number): string {
    return this.op('CropAndResize', [x, boxes, boxInd, this.ints([size, size])], {
      T: FLOAT,
      method: { s: btoa('bilinear') },
      extrapolation_value: { f: 0 },
    });
  }

  /** int32 `[0, 1, …, n − 1]` for a scalar int32 `n`. */
  range(n: string): string {
    return this.op('Range', [this.ints(0), n, this.ints(1)], { Tidx: INT32 });
  }

  /** The batch size of `x` as an int32 scalar. */
  batchScalarOf(x: string): string {
    return this.firstDimOf(x, true);
  }

  /** `size` −1 = to the end of that axis. */
  slice(x: string, begin: readonly number[], size: readonly number[]): string {
    return this.op('Slice', [x, this.ints(begin), this.ints(size)], { T: FLOAT, Index: INT32 });
  }

  concat(inputs: string[], axis: number, dtype: 'float32' | 'int32' = 'float32'): string {
    return this.op('ConcatV2', [...inputs, this.ints(axis)], {
      T: dtype === 'int32' ? INT32 : FLOAT,
      Tidx: INT32,
      N: { i: String(inputs.length) },
    });
  }

  /** The batch size of `x` as an int32 `[1]` tensor: Shape, then its first entry. */
  batchSizeOf(x: string): string {
    return this.firstDimOf(x, false);
  }

  /** Shape of `x`, then its first entry: a scalar when `shrink`, else a `[1]` tensor. */
  private firstDimOf(x: string, shrink: boolean): string {
    const shape = this.op('Shape', [x], { T: FLOAT, out_type: INT32 });
    return this.op('StridedSlice', [shape, this.ints([0]), this.ints([1]), this.ints([1])], {
      T: INT32,
      Index: INT32,
      begin_mask: { i: '0' },
      end_mask: { i: '0' },
      ellipsis_mask: { i: '0' },
      new_axis_mask: { i: '0' },
      shrink_axis_mask: { i: shrink ? '1' : '0' },
    });
  }

  broadcastTo(x: string, shape: string): string {
    return this.op('BroadcastTo', [x, shape], { T: FLOAT, Tidx: INT32 });
  }

  identity(x: string, name: string): string {
    return this.op('Identity', [x], { T: FLOAT }, name);
  }

  graph(): GraphDef {
    return { node: this.nodes, library: {}, versions: {} };
  }
}
