/**
 * The projection head (DESIGN §4): MLP dim → hidden → hidden → bottleneck with GELU, L2
 * normalised, then K weight-normalised prototypes, so logits are cosine similarities in [−1, 1].
 * The prototype matrix is normalised per column (weight norm with the gain fixed at 1, as DINO's
 * `norm_last_layer`), which keeps the teacher's softmax from being dominated by a few long rows.
 */
import * as tf from '@tensorflow/tfjs';
import { gelu } from './layers/gelu';
import { linear } from './layers/linear';
import type { ParamSpec, TensorMap } from './params';

export interface HeadConfig {
  inputDim: number;
  hiddenDim: number;
  bottleneckDim: number;
  prototypes: number;
}

export function headParamSpecs(c: HeadConfig): ParamSpec[] {
  return [
    { name: 'head.fc1.w', shape: [c.inputDim, c.hiddenDim], init: 'normal', decay: true },
    { name: 'head.fc1.b', shape: [c.hiddenDim], init: 'zeros', decay: false },
    { name: 'head.fc2.w', shape: [c.hiddenDim, c.hiddenDim], init: 'normal', decay: true },
    { name: 'head.fc2.b', shape: [c.hiddenDim], init: 'zeros', decay: false },
    { name: 'head.fc3.w', shape: [c.hiddenDim, c.bottleneckDim], init: 'normal', decay: true },
    { name: 'head.fc3.b', shape: [c.bottleneckDim], init: 'zeros', decay: false },
    {
      name: 'head.prototypes',
      shape: [c.bottleneckDim, c.prototypes],
      init: 'normal',
      decay: true,
      prototypes: true,
    },
  ];
}

/** Row-wise L2 normalisation (eps as PyTorch's F.normalize). */
export function l2Normalize(x: tf.Tensor2D, axis = 1): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', axis, true), 1e-12));
}

/** CLS features `[B, dim]` → prototype similarities `[B, K]`. */
export function headForward(params: TensorMap, features: tf.Tensor2D): tf.Tensor2D {
  const P = (n: string): tf.Tensor => params.get(n)!;
  const h1 = gelu(linear(features, P('head.fc1.w') as tf.Tensor2D, P('head.fc1.b') as tf.Tensor1D));
  const h2 = gelu(linear(h1, P('head.fc2.w') as tf.Tensor2D, P('head.fc2.b') as tf.Tensor1D));
  const z = l2Normalize(linear(h2, P('head.fc3.w') as tf.Tensor2D, P('head.fc3.b') as tf.Tensor1D));
  return linear(z, l2Normalize(P('head.prototypes') as tf.Tensor2D, 0));
}
