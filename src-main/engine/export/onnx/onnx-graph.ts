/**
 * A small writer of an ONNX graph (docs/ARCHITECTURE.md, "Data flows", ONNX export): nodes,
 * initializers, the graph's input and output, serialised as an `onnx.ModelProto` by onnx-proto (the
 * protobufjs classes generated from onnx.proto). Integer tensors are int64 throughout, as ONNX's
 * shape ops (Shape, Reshape, Range, Expand, Tile, Slice) take them.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX 1.13's IR version: opset 18 (Resize's `axes`, ReduceMean's axes input) needs IR 8. */
const IR_VERSION = 8;
export const ONNX_OPSET = 18;

export type OnnxDType = 'float32' | 'int64' | 'bool';

const ELEM_TYPE: Record<OnnxDType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type OnnxAttr = number | string | readonly number[] | { float: number };

/** One attribute as an AttributeProto: integers as INT(S), `{ float }` as FLOAT, text as STRING. */
function attributeOf(name: string, value: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string')
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`Attribute ${name}: ${value} is not an integer`);
    return { name, type: AttributeType.INT, i: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INTS, ints: [...value] };
}

export interface GraphIo {
  name: string;
  dtype: OnnxDType;
  /** A number per fixed axis, a name (`n`) per free one. */
  shape: readonly (number | string)[];
}

function valueInfo(io: GraphIo): onnxProto.onnx.IValueInfoProto {
  return {
    name: io.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[io.dtype],
        shape: {
          dim: io.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly interned = new Map<string, string>();
  private counter = 0;

  /** `base` if free, else `base/1`, `base/2`, … */
  fresh(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}/${++this.counter}`;
    this.names.add(name);
    return name;
  }

  /** A node; returns its (first) output. */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, OnnxAttr> = {},
    output = `${op.toLowerCase()}`,
  ): string {
    const out = this.fresh(output);
    this.nodes.push({
      opType: op,
      name: out,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attributeOf(k, v)),
    });
    return out;
  }

  /** A node with several outputs, named `output:0`, `output:1`, … */
  nodeOutputs(
    op: string,
    inputs: readonly string[],
    outputs: number,
    attrs: Record<string, OnnxAttr>,
    output: string,
  ): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(`${output}:${i}`));
    this.nodes.push({
      opType: op,
      name: outs[0],
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attributeOf(k, v)),
    });
    return outs;
  }

  /** A float32 initializer. */
  floats(name: string, values: Float32Array, shape: readonly number[]): string {
    const out = this.fresh(name);
    this.initializers.push({
      name: out,
      dataType: ELEM_TYPE.float32,
      dims: [...shape],
      rawData: new Uint8Array(
        values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
      ),
    });
    return out;
  }

  /** An int64 initializer. */
  int64s(name: string, values: ArrayLike<number>, shape: readonly number[]): string {
    const out = this.fresh(name);
    const data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    this.initializers.push({
      name: out,
      dataType: ELEM_TYPE.int64,
      dims: [...shape],
      rawData: new Uint8Array(data.buffer),
    });
    return out;
  }

  /** A small int64 constant (axes, shapes, sizes), one initializer per distinct value. */
  ints(values: number | readonly number[]): string {
    const key = `i${JSON.stringify(values)}`;
    const known = this.interned.get(key);
    if (known) return known;
    const list = typeof values === 'number' ? [values] : values;
    const name = this.int64s('const/int', list, typeof values === 'number' ? [] : [list.length]);
    this.interned.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const key = `f${value}`;
    const known = this.interned.get(key);
    if (known) return known;
    const name = this.floats('const/float', Float32Array.of(value), []);
    this.interned.set(key, name);
    return name;
  }

  /** The model's protobuf bytes. */
  serialise(
    input: GraphIo,
    output: GraphIo,
    metadata: Record<string, string>,
    graphName: string,
  ): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'Face Studio',
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo(input)],
        output: [valueInfo(output)],
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
