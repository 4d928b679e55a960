/**
 * `a · bᵀ` on any backend (docs/ARCHITECTURE.md, "Backends and speed"). On webgpu the transpose
 * is made explicit: tfjs-backend-webgpu 4.22 computes `matMul(a, b, false, true)` wrongly when it
 * picks its split-K program with vec4 reads (few output rows and columns, the columns a multiple
 * of 4, an inner dimension of 2000 or more: a ridge fit's gram of 16 faces), because that
 * program's vec4 choice ignores `transposeB` — checked against wasm on SwiftShader, where the
 * product was off by more than its own size while the explicit transpose agreed to 2e-6. Other
 * backends keep the transposed product (no copy; the same results as before).
 */
import * as tf from '@tensorflow/tfjs';

export function matMulTransposedB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() === 'webgpu') return tf.tidy(() => tf.matMul(a, tf.transpose(b)));
  return tf.matMul(a, b, false, true);
}
