/**
 * A pre-trained backbone on disk (docs/ARCHITECTURE.md, "Files on disk"), in the one export format
 * (export/): models/<id>/ holds a TensorFlow.js graph model computing CLS features `[n, dim]` from
 * `[n, S, S, 3]` RGB in [0, 1], its weight shards, and a card.json with task 'backbone'.
 *
 * `loadBackbone` reads the weights back by name from the manifest (vit.ts names: `patch.w`,
 * `block0.qkv.w`, …) for fine-tuning and probes; it takes any export with a ViT, a fine-tuned one
 * too, and still reads the first format (`face-studio-vit`: config + weights, a card of its own
 * shape), which it describes with a card of today's shape.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { MODEL_CARD_VERSION } from '../../shared/model-card';
import type { CardMetrics, CropPolicy, ModelCard } from '../../shared/model-card';
import { exportGraphModel, weightsFromFlat } from './export-model';
import { graphMetadataOf, readModelCard } from './load-model';
import { floatWeightsByName, readJsonFile, readModelJson, readWeights } from './model-folder';
import type { ModelJsonFile } from './model-folder';
import { IMAGE_MEAN, IMAGE_STD, normaliseImages } from '../model/normalise';
import { checksum, layoutOf } from '../model/params';
import type { TensorMap } from '../model/params';
import { vitFeatures, vitParamSpecs } from '../model/vit';
import type { FeaturePoolings, VitConfig } from '../model/vit';

/**
 * The crop pre-training saw: curation's square crop around the stored face box (the detector's
 * box mapped onto the landmarks' box, core/library/face-detect.ts), 25% margin per side. The
 * stored box already is a landmarks box, hence a ratio of 1.
 */
export const CURATION_CROP: CropPolicy = { from: 'face-box', margin: 0.25, landmarksToFaceBox: 1 };

/** What the pre-training job says about its backbone; the rest of the card is derived. */
export interface BackboneCardFields {
  /** The model id (the folder's name under models/). */
  id: string;
  preset: string;
  runId: string | null;
  /** The resolved pre-training config. */
  config: Record<string, unknown>;
  data: ModelCard['data'];
  /** e.g. the final training loss; none by default. */
  metrics?: CardMetrics[];
  crop?: CropPolicy;
  createdAt?: string;
  /** A backbone trained outside the studio (engine/torch/import-teacher.ts). */
  provenance?: ModelCard['provenance'];
}

/**
 * Writes the backbone part of `weights` (a flat array in the pre-training layout, whose first
 * entries are the ViT's, as pretrain/pretrain-model.ts lays them out) into `dir`, replacing what was there.
 * Returns the checksum of the exported backbone weights.
 */
export async function exportBackbone(
  dir: string,
  vit: VitConfig,
  weights: Float32Array,
  fields: BackboneCardFields,
): Promise<string> {
  const layout = layoutOf(vitParamSpecs(vit));
  await exportGraphModel(dir, { vit, head: null }, weightsFromFlat(layout, weights), {
    id: fields.id,
    createdAt: fields.createdAt,
    schema: null,
    attributes: null,
    classes: null,
    crop: fields.crop ?? CURATION_CROP,
    metrics: fields.metrics ?? [],
    data: fields.data,
    backbone: { preset: fields.preset, pretrainedFrom: null },
    config: fields.config,
    runId: fields.runId,
    ...(fields.provenance ? { provenance: fields.provenance } : {}),
  });
  return checksum(weights.subarray(0, layout.total));
}

export interface LoadedBackbone {
  vit: VitConfig;
  card: ModelCard;
  /** The ViT's weights by name (vit.ts names), e.g. for `finetune(…, { backbone })`. */
  weights: Map<string, Float32Array>;
  params: TensorMap;
  /** Images `[n, S, S, 3]` RGB in [0, 1] (any S; resized) → features, CLS `[n, dim]` by default. */
  features(images: tf.Tensor4D, pooling?: FeaturePoolings): tf.Tensor2D;
  dispose(): void;
}

/** The first format's card (task, preset, inputSize, …) in today's shape. */
async function legacyCard(dir: string, vit: VitConfig): Promise<ModelCard> {
  const raw = (await readJsonFile(path.join(dir, 'card.json'), 'card.json')) as {
    preset?: string;
    createdAt?: string;
    runId?: string;
    trainingConfig?: Record<string, unknown>;
    data?: { projectDir?: string | null; images?: number };
  };
  return {
    format: 'face-studio-model',
    version: MODEL_CARD_VERSION,
    id: path.basename(path.resolve(dir)),
    task: 'backbone',
    createdAt: raw.createdAt ?? '',
    studio: 'before 0.1 card',
    schema: null,
    attributes: null,
    classes: null,
    input: {
      size: vit.imageSize,
      range: [0, 1],
      normalisation: { mean: [...IMAGE_MEAN], std: [...IMAGE_STD] },
    },
    crop: CURATION_CROP,
    outputs: ['features'],
    metrics: [],
    data: { project: raw.data?.projectDir ?? null, train: raw.data?.images ?? 0, val: 0, test: 0 },
    backbone: { preset: raw.preset ?? 'custom', pretrainedFrom: null },
    config: raw.trainingConfig ?? {},
    runId: raw.runId ?? null,
  };
}

function vitOf(dir: string, modelJson: ModelJsonFile): VitConfig {
  if (modelJson.format === 'face-studio-vit')
    return (modelJson as unknown as { vit: VitConfig }).vit;
  const meta = graphMetadataOf(dir, modelJson);
  if ('kind' in meta)
    throw new StudioError(
      'invalid-payload',
      `${path.join(dir, 'model.json')} is a head on frozen face backbones, not a ViT backbone: ` +
        'fine-tuning cannot start from it',
    );
  return meta.vit;
}

/** A backbone folder's ViT and card, read without its weights (a first-format card included). */
export async function readBackboneShape(
  dir: string,
): Promise<{ modelJson: ModelJsonFile; vit: VitConfig; card: ModelCard }> {
  const modelJson = await readModelJson(dir);
  const vit = vitOf(dir, modelJson);
  const card =
    modelJson.format === 'face-studio-vit' ? await legacyCard(dir, vit) : await readModelCard(dir);
  return { modelJson, vit, card };
}

export async function loadBackbone(dir: string): Promise<LoadedBackbone> {
  const { modelJson, vit, card } = await readBackboneShape(dir);
  const named = floatWeightsByName(await readWeights(dir, modelJson));
  const weights = new Map<string, Float32Array>();
  const params: TensorMap = new Map();
  for (const spec of vitParamSpecs(vit)) {
    const values = named.get(spec.name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (values?.length !== size) {
      tf.dispose([...params.values()]);
      throw new StudioError(
        'invalid-payload',
        `${path.join(dir, 'model.json')}: weight ${spec.name} is ${values ? `${values.length} values, not ${size}` : 'missing'}`,
      );
    }
    weights.set(spec.name, values);
    params.set(spec.name, tf.tensor(values, spec.shape));
  }
  return {
    vit,
    card,
    weights,
    params,
    features: (images, pooling = 'cls') =>
      tf.tidy(() => {
        const s = vit.imageSize;
        const sized = images.shape[1] === s ? images : tf.image.resizeBilinear(images, [s, s]);
        return vitFeatures(vit, params, normaliseImages(sized), pooling);
      }),
    dispose: () => {
      for (const t of params.values()) t.dispose();
    },
  };
}
