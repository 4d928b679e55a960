/**
 * An exported graph as TF.js should run it (docs/ARCHITECTURE.md, "Backbones and tasks"): the same
 * values, without its inner Identity nodes. TF.js's graph executor runs an Identity as a copy of
 * its whole input — on wasm a backbone-headed graph copied each crop at its input and the
 * refinement's feature map at every run — where TensorFlow and ONNX Runtime drop them. Each
 * consumer of an Identity reads the Identity's own input instead (through chains of them), and the
 * Identity nodes go; the ones named in `keep` (the graph's input and output) stay.
 *
 * Only the GraphDef's top-level nodes are touched: a function library (control flow) is left as it
 * is, and so is an Identity with control inputs.
 */

interface NodeJson {
  name: string;
  op: string;
  input?: string[];
}

interface GraphJson {
  node?: NodeJson[];
}

/** `topology` (model.json's `modelTopology`) with its Identity nodes bypassed; `topology` is kept. */
export function withoutIdentities<T extends object>(topology: T, keep: ReadonlySet<string>): T {
  const nodes = (topology as GraphJson).node;
  if (!Array.isArray(nodes)) return topology;
  // Identity name → the node output it passes on (`name` or `name:k`).
  const passes = new Map<string, string>();
  for (const node of nodes) {
    const inputs = node.input ?? [];
    if (
      node.op === 'Identity' &&
      !keep.has(node.name) &&
      inputs.length === 1 &&
      !inputs[0]!.startsWith('^')
    )
      passes.set(node.name, inputs[0]!);
  }
  if (passes.size === 0) return topology;
  const source = (ref: string): string => {
    const control = ref.startsWith('^');
    const name = control ? ref.slice(1) : ref.replace(/:0$/, '');
    const through = passes.get(name);
    if (through === undefined) return ref;
    const origin = source(through);
    return control ? `^${origin.replace(/:\d+$/, '')}` : origin;
  };
  return {
    ...topology,
    node: nodes
      .filter((node) => !passes.has(node.name))
      .map((node) => (node.input ? { ...node, input: node.input.map(source) } : node)),
  };
}
