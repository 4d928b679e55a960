/**
 * The ONNX graph runner's conversion, kept (docs/ARCHITECTURE.md, "Data flows"): converting
 * model.json to ONNX costs about 0.3 s on every load (it runs the TF.js graph once for its shapes),
 * so the first load writes the result into the model folder as `model.onnx`, atomically, with the
 * hash of what it was converted from in its metadata (`face_studio_source`: model.json, the weight
 * shards, and this converter's revision). A later load whose hash matches reads it instead of
 * converting; changed weights, or a new converter, convert anew and replace it. A folder that
 * cannot be written (a model shipped read-only) is converted on every load, as before.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { writeFileAtomic } from '../../../core/atomic-write';
import { MODEL_JSON, readModelJson } from '../model-folder';
import { convertGraphFolder } from './convert-graph';

/** The cache's file in a model folder (the name an ONNX export gives its model). */
export const CACHED_ONNX = 'model.onnx';

/** The metadata key that holds the source's hash. */
export const SOURCE_KEY = 'face_studio_source';

/**
 * Raised when the converter's output changes (a mapping, an op written another way), so models
 * converted before are converted again.
 */
const CONVERTER_REVISION = 1;

export interface OnnxModelBytes {
  bytes: Uint8Array;
  /** The graph's input and output names. */
  input: string;
  output: string;
  /** Whether this load converted (false: read from `model.onnx`). */
  converted: boolean;
}

/** Hash of the folder's model.json and weight shards, and the converter's revision. */
export async function sourceHash(dir: string): Promise<string> {
  const hash = createHash('sha256').update(`converter ${CONVERTER_REVISION}\n`);
  hash.update(await readFile(path.join(dir, MODEL_JSON)));
  const modelJson = await readModelJson(dir);
  for (const group of modelJson.weightsManifest)
    for (const shard of group.paths) hash.update(await readFile(path.join(dir, shard)));
  return hash.digest('hex');
}

/** The graph in `dir` as ONNX: `model.onnx` when it was converted from these files, else converted. */
export async function onnxModelOf(
  dir: string,
  convert: typeof convertGraphFolder = convertGraphFolder,
): Promise<OnnxModelBytes> {
  const key = await sourceHash(dir);
  const file = path.join(dir, CACHED_ONNX);
  const kept = await readFile(file).catch(() => null);
  if (kept) {
    const cached = cachedModel(kept, key);
    if (cached) return { ...cached, converted: false };
  }
  const converted = await convert(dir, { [SOURCE_KEY]: key });
  // The cache only saves time: a folder it cannot be written to is converted each load.
  await writeFileAtomic(file, converted.bytes).catch(() => undefined);
  return {
    bytes: converted.bytes,
    input: converted.input.name,
    output: converted.output.name,
    converted: true,
  };
}

/** The kept model's bytes and names when its recorded source is `key`; null otherwise. */
function cachedModel(bytes: Uint8Array, key: string): Omit<OnnxModelBytes, 'converted'> | null {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch {
    return null; // torn or foreign: converted again and replaced
  }
  const source = model.metadataProps.find((p) => p.key === SOURCE_KEY)?.value;
  const input = model.graph?.input?.[0]?.name;
  const output = model.graph?.output?.[0]?.name;
  if (source !== key || !input || !output) return null;
  return { bytes, input, output };
}
