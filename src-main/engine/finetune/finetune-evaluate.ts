/**
 * Validation of a fine-tuned model on a split: predictions in batches, then the task's metrics
 * (metrics/), and the one number early stopping watches.
 */
import { argmaxRows, attributeMetrics, expressionMetrics } from '../metrics/classification-metrics';
import type { AttributeMetrics, ExpressionMetrics } from '../metrics/classification-metrics';
import { landmarkMetrics } from '../metrics/landmark-metrics';
import type { LandmarkMetrics } from '../metrics/landmark-metrics';
import type { TensorMap } from '../model/params';
import type { FinetuneData, FinetuneSplit } from './finetune-data';
import { predictFinetune } from './finetune-model';
import type { FinetuneModel } from './finetune-model';

export type TaskMetrics =
  | ({ task: 'landmarks' } & LandmarkMetrics)
  | ({ task: 'attributes' } & AttributeMetrics)
  | ({ task: 'expression' } & ExpressionMetrics);

/** The number early stopping watches, and whether lower is better. */
export function monitoredValue(m: TaskMetrics): { value: number; lowerIsBetter: boolean } {
  if (m.task === 'landmarks') return { value: m.nme, lowerIsBetter: true };
  if (m.task === 'attributes') return { value: m.meanAccuracy, lowerIsBetter: false };
  return { value: m.accuracy, lowerIsBetter: false };
}

/** Predictions `[n·outputs]` for a whole split. */
export async function predictSplit(
  model: FinetuneModel,
  params: TensorMap,
  split: FinetuneSplit,
  batchSize: number,
): Promise<Float32Array> {
  const out = new Float32Array(split.size * model.outputs);
  for (let from = 0; from < split.size; from += batchSize) {
    const indices = Array.from(
      { length: Math.min(batchSize, split.size - from) },
      (_, i) => from + i,
    );
    const images = await split.images(indices);
    out.set(await predictFinetune(model, params, images, batchSize), from * model.outputs);
    images.dispose();
  }
  return out;
}

/** Metrics of predictions against a split's labels. */
export function metricsOf(
  model: FinetuneModel,
  data: FinetuneData,
  predicted: Float32Array,
  labels: Float32Array | Int32Array,
): TaskMetrics {
  const w = model.outputs;
  const n = predicted.length / w;
  if (data.task === 'landmarks') {
    const rows = (a: ArrayLike<number>): Float32Array[] =>
      Array.from({ length: n }, (_, i) =>
        Float32Array.from({ length: w }, (_, j) => a[i * w + j]!),
      );
    return {
      task: 'landmarks',
      ...landmarkMetrics(rows(predicted), rows(labels), data.schema.normaliser),
    };
  }
  if (data.task === 'attributes')
    return { task: 'attributes', ...attributeMetrics(labels, predicted, w) };
  return {
    task: 'expression',
    ...expressionMetrics(Array.from(labels), argmaxRows(predicted, w), w),
  };
}

export async function evaluateSplit(
  model: FinetuneModel,
  data: FinetuneData,
  params: TensorMap,
  split: FinetuneSplit,
  batchSize: number,
): Promise<TaskMetrics> {
  const predicted = await predictSplit(model, params, split, batchSize);
  return metricsOf(model, data, predicted, split.labels);
}
