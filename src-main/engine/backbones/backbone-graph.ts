/**
 * How a packaged backbone graph is run, written down once as data (docs/ARCHITECTURE.md,
 * "Backbones and tasks"): which file holds the graph, which placeholder takes the crops, the
 * steps that turn a `[n, S, S, 3]` crop in [0, 1] into the graph's input (resize, grey, scale),
 * and, per feature tap, the graph node it reads and the steps after it (scale, pooling).
 *
 * Two readers of one description, so they cannot drift:
 * - `embedWithGraph` runs it eagerly with TF.js ops: the backbones' `embed`;
 * - the exporter (engine/export/backbone-head-graph.ts) writes the same steps as graph nodes, the
 *   same kernels in the same order, around the imported backbone graph.
 */
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import type { BackboneFeatures, BackboneGraph, FeatureTap, TapStep } from './face-backbone';
import { tapSize } from './face-backbone';

export type { BackboneGraph, InputStep, TapReadout, TapStep } from './face-backbone';

/** The crops as the graph takes them (eager; the caller disposes the result unless it is `crops`). */
export function prepareCrops(graph: BackboneGraph, crops: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    let x: tf.Tensor4D = crops;
    for (const step of graph.prepare) {
      if (step.op === 'resize') {
        if (x.shape[1] !== step.size || x.shape[2] !== step.size)
          x = tf.image.resizeBilinear(x, [step.size, step.size], false, true);
      } else if (step.op === 'grey') x = tf.sum(tf.mul(x, tf.tensor1d([...step.weights])), 3, true);
      else if (step.op === 'sub') x = tf.sub(x, step.value);
      else x = tf.mul(x, step.value);
    }
    return x === crops ? tf.clone(x) : x;
  });
}

/** A tap's values from its node's output (eager). */
export function readTap(steps: readonly TapStep[], raw: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let x = raw;
    for (const step of steps) {
      if (step.op === 'div') x = tf.div(x, step.value);
      else if (step.op === 'mean-hw') x = tf.mean(x, [1, 2]);
      else x = tf.avgPool(x as tf.Tensor4D, step.size, step.size, 'valid');
    }
    return x === raw ? tf.clone(x) : x;
  });
}

/**
 * The taps `wanted` of backbone `id` (`label` in messages; its `taps`, as described by `graph`)
 * for crops `[n, S, S, 3]` in [0, 1]: the backbones' `embed`. Does not dispose `crops`.
 */
export async function embedWithGraph(
  id: string,
  label: string,
  model: tf.GraphModel,
  graph: BackboneGraph,
  taps: readonly FeatureTap[],
  crops: tf.Tensor4D,
  wanted: readonly string[] = taps.map((t) => t.name),
): Promise<BackboneFeatures> {
  const n = crops.shape[0];
  const asked = wanted.map((name) => {
    const tap = taps.find((t) => t.name === name);
    const readout = graph.taps[name];
    if (!tap || !readout)
      throw new StudioError(
        'invalid-payload',
        `Backbone ${id} has no feature tap "${name}" (it offers: ${taps.map((t) => t.name).join(', ')})`,
      );
    return { tap, readout };
  });
  const [, h, w, c] = crops.shape;
  const side = graph.graphInputSize;
  const resizes = graph.prepare.some((s) => s.op === 'resize');
  if (c !== 3 || (!resizes && (h !== side || w !== side)))
    throw new StudioError(
      'invalid-payload',
      `${label} takes [n, ${resizes ? 'S, S' : `${side}, ${side}`}, 3] crops, got [${crops.shape.join(', ')}]`,
    );
  const input = prepareCrops(graph, crops);
  const out: Record<string, Float32Array> = {};
  const made: tf.Tensor[] = [input];
  try {
    const nodes = [...new Set(asked.map((a) => a.readout.node))];
    const raw = model.execute(input, nodes);
    const outputs = Array.isArray(raw) ? raw : [raw];
    made.push(...outputs);
    for (const { tap, readout } of asked) {
      const t = readTap(readout.steps, outputs[nodes.indexOf(readout.node)]!);
      made.push(t);
      const values = (await t.data()) as Float32Array;
      if (values.length !== n * tapSize(tap))
        throw new StudioError(
          'internal',
          `Backbone ${id} tap ${tap.name}: ${values.length} values for ${n} faces of ${tapSize(tap)}`,
        );
      out[tap.name] = values;
    }
  } finally {
    tf.dispose(made);
  }
  return { count: n, taps: out };
}
