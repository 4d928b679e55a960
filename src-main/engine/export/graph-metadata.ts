/**
 * Face Studio's metadata in a graph model's model.json (docs/ARCHITECTURE.md, "Files on disk"):
 * which graph format, task, input and output; read by load-model.ts, saved-backbone.ts and the
 * ONNX converter.
 */
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { BACKBONE_HEAD_GRAPH_VERSION } from './backbone-head-graph';
import type { BackboneHeadGraphMetadata } from './backbone-head-graph';
import { GRAPH_FORMAT_VERSION } from './graph-model';
import type { GraphMetadata } from './graph-model';
import { MODEL_JSON } from './model-folder';
import type { ModelJsonFile } from './model-folder';

/** The graph formats this version reads: the ViT graph (1) and the backbone-head graph (2). */
const NEWEST_GRAPH_FORMAT = Math.max(GRAPH_FORMAT_VERSION, BACKBONE_HEAD_GRAPH_VERSION);

/** Face Studio's metadata of either graph kind. */
export type StudioGraphMetadata = GraphMetadata | BackboneHeadGraphMetadata;

/** The square side a graph takes. */
export function graphInputSize(meta: StudioGraphMetadata): number {
  return 'kind' in meta ? meta.inputSize : meta.vit.imageSize;
}

/**
 * Face Studio's metadata in a graph model's model.json; an export of the first format
 * (`face-studio-vit`, a backbone's weights only) or a newer format is refused by name.
 */
export function graphMetadataOf(dir: string, modelJson: ModelJsonFile): StudioGraphMetadata {
  const file = path.join(dir, MODEL_JSON);
  if (modelJson.format === 'face-studio-vit')
    throw new StudioError(
      'invalid-payload',
      `${file} is a backbone export of an earlier Face Studio (weights only, no graph): it can ` +
        'start a fine-tuning run but cannot predict; export it again to get a graph model',
    );
  const meta = (modelJson.userDefinedMetadata as { faceStudio?: StudioGraphMetadata } | undefined)
    ?.faceStudio;
  if (modelJson.format !== 'graph-model' || !modelJson.modelTopology || !meta)
    throw new StudioError(
      'invalid-payload',
      `${file} is not a Face Studio graph model (format "${modelJson.format}")`,
    );
  if (meta.formatVersion > NEWEST_GRAPH_FORMAT)
    throw new StudioError(
      'invalid-payload',
      `${file} is graph format version ${meta.formatVersion}, written by a newer Face Studio; ` +
        `this version reads up to version ${NEWEST_GRAPH_FORMAT}`,
    );
  return meta;
}
