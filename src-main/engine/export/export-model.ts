/**
 * Exports a trained model as a folder `models/<id>/` (docs/ARCHITECTURE.md, "Files on disk"):
 * model.json + weight shards (a TensorFlow.js graph model, graph-model.ts) and card.json
 * (shared/model-card.ts).
 *
 * Fine-tuning job — the one call:
 *
 *   const checksum = await exportFinetunedModel(modelDir, result, {
 *     id, runId, schema, attributes, classes, crop, metrics, data,
 *     backbone: { pretrainedFrom },           // the backbone model id, or null from scratch
 *   });
 *
 * `result` is `finetune()`'s FinetuneResult (its best weights are exported). The card fields the
 * model itself determines are derived, never passed: format, version, studio (this app's
 * version), task, input (size, [0, 1] range, normalisation), outputs, config (the resolved
 * training config) and backbone.preset; `createdAt` defaults to now. The names given must match
 * the head (K schema points, A attribute names, C class names): a mismatch is a StudioError.
 * The returned checksum is `checksum(result.params)` (params.ts), the exported float weights.
 *
 * The pre-training backbone goes through `exportGraphModel` too (saved-backbone.ts).
 */
import pkg from '../../../package.json' with { type: 'json' };
import { StudioError } from '../../shared/errors';
import { MODEL_CARD_VERSION, ModelCard } from '../../shared/model-card';
import { IMAGE_MEAN, IMAGE_STD } from '../model/normalise';
import { checksum } from '../model/params';
import type { ParamLayout } from '../model/params';
import type { FinetuneResult } from '../finetune/finetune';
import { buildGraphModel, exportHeadOf, graphModelJson, OUTPUT_NAMES, taskOf } from './graph-model';
import type { GraphModelSpec } from './graph-model';
import { describeIssues, writeModelFolder } from './model-folder';

/** Card fields the model determines; `exportGraphModel` fills them in. */
type DerivedField = 'format' | 'version' | 'studio' | 'task' | 'input' | 'outputs' | 'createdAt';

/** What the caller of `exportGraphModel` says about the model. */
export type GraphCardFields = Omit<ModelCard, DerivedField> & { createdAt?: string };

/** What the fine-tuning job says about its model (the rest comes from `result`). */
export type FinetunedCardFields = Omit<GraphCardFields, 'config' | 'backbone'> & {
  backbone: Pick<ModelCard['backbone'], 'pretrainedFrom'>;
};

/** Tensor `name`'s values in a flat array laid out by `layout` (the engine's parameter layout). */
export function weightsFromFlat(
  layout: ParamLayout,
  flat: Float32Array,
): (name: string) => Float32Array {
  if (flat.length < layout.total)
    throw new StudioError(
      'invalid-payload',
      `The weights have ${flat.length} values; this model needs ${layout.total}`,
    );
  const entries = new Map(layout.entries.map((e) => [e.name, e]));
  return (name) => {
    const e = entries.get(name);
    if (!e) throw new StudioError('invalid-payload', `The weights have no tensor "${name}"`);
    return flat.subarray(e.offset, e.offset + e.size);
  };
}

/** The names the head's outputs carry must be as many as its outputs. */
function checkOutputNames(spec: GraphModelSpec, fields: GraphCardFields): void {
  const head = spec.head;
  const count = (what: string, names: readonly unknown[] | null | undefined, expected: number) => {
    if (names?.length !== expected)
      throw new StudioError(
        'invalid-payload',
        `The model predicts ${expected} ${what}; the card names ${names?.length ?? 'none'}`,
      );
  };
  if (head?.task === 'landmarks') count('points', fields.schema?.points, head.landmarks.points);
  if (head?.task === 'attributes') count('attributes', fields.attributes, head.outputs);
  if (head?.task === 'expression') count('classes', fields.classes, head.outputs);
}

/**
 * Builds the graph of `spec` with `weight(name)`, completes the card and writes the folder `dir`
 * atomically (replacing an earlier export there). Returns the card written.
 */
export async function exportGraphModel(
  dir: string,
  spec: GraphModelSpec,
  weight: (name: string) => Float32Array,
  fields: GraphCardFields,
): Promise<ModelCard> {
  checkOutputNames(spec, fields);
  const task = taskOf(spec);
  const output = OUTPUT_NAMES[task];
  const parsed = ModelCard.safeParse({
    ...fields,
    format: 'face-studio-model',
    version: MODEL_CARD_VERSION,
    studio: pkg.version,
    task,
    createdAt: fields.createdAt ?? new Date().toISOString(),
    input: {
      size: spec.vit.imageSize,
      range: [0, 1],
      normalisation: { mean: [...IMAGE_MEAN], std: [...IMAGE_STD] },
    },
    outputs: [output],
  });
  if (!parsed.success)
    throw new StudioError(
      'invalid-payload',
      `The card of model ${fields.id} is not valid: ${describeIssues(parsed.error.issues)}`,
    );
  const built = buildGraphModel(spec, weight);
  await writeModelFolder(
    dir,
    graphModelJson(built.graph, built.metadata, spec.vit.imageSize, output),
    built.constants,
    parsed.data,
  );
  return parsed.data;
}

/**
 * Exports a fine-tuned model (backbone + head, `result.params`) to `dir`; returns the weights'
 * checksum. See the top of this file for the fields.
 */
export async function exportFinetunedModel(
  dir: string,
  result: FinetuneResult,
  card: FinetunedCardFields,
): Promise<string> {
  const spec: GraphModelSpec = { vit: result.model.vit, head: exportHeadOf(result.model) };
  await exportGraphModel(dir, spec, weightsFromFlat(result.model.layout, result.params), {
    ...card,
    config: result.config,
    backbone: { preset: result.config.model.preset, pretrainedFrom: card.backbone.pretrainedFrom },
  });
  return checksum(result.params);
}
