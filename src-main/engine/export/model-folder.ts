/**
 * A model folder on disk (docs/ARCHITECTURE.md, "Files on disk"): `model.json` (a TensorFlow.js
 * graph model), the weight shards `group1-shardNofM.bin` (4 MiB each, named as tfjs's converter
 * names them) and `card.json`. Writing is atomic per folder: everything goes to a hidden sibling
 * folder that is renamed into place, so a crash leaves the old export or none, never a mix of the
 * two. Reading checks what the manifest promises against the files and names the file at fault.
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { describeWriteError, syncFolder, writeNewFileSynced } from '../../core/atomic-write';
import { StudioError } from '../../shared/errors';
import type { ModelCard } from '../../shared/model-card';
import type { GraphConstant } from './graph-builder';

/** Shard size, as tfjs's converter splits weights. */
export const SHARD_BYTES = 4 * 1024 * 1024;

export const MODEL_JSON = 'model.json';
export const CARD_JSON = 'card.json';

/** The parts of model.json a reader relies on; the GraphDef itself is checked by tfjs. */
const ManifestEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32']),
});
const ModelJsonFile = z
  .object({
    format: z.string(),
    modelTopology: z.record(z.string(), z.unknown()).optional(),
    weightsManifest: z.array(
      z.object({
        // Plain file names only: a manifest must not reach outside its folder.
        paths: z.array(
          z
            .string()
            .regex(/^[^/\\]+$/, 'a file name')
            .refine((p) => p !== '..'),
        ),
        weights: z.array(ManifestEntry),
      }),
    ),
  })
  .loose();
export type ModelJsonFile = z.infer<typeof ModelJsonFile> & tf.io.ModelJSON;

/** The constants' values back to back, in order, and their manifest entries. */
export function packConstants(constants: readonly GraphConstant[]): {
  specs: tf.io.WeightsManifestEntry[];
  bytes: Uint8Array;
} {
  const total = constants.reduce((sum, c) => sum + c.values.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of constants) {
    bytes.set(new Uint8Array(c.values.buffer, c.values.byteOffset, c.values.byteLength), offset);
    offset += c.values.byteLength;
  }
  const specs = constants.map((c) => ({ name: c.name, shape: c.shape, dtype: c.dtype }));
  return { specs, bytes };
}

/**
 * Writes `modelJson` (its manifest added here), the constants' shards, the card and any `extra`
 * files (plain names, e.g. a backbone's notice) into `dir`; returns the bytes written.
 */
export async function writeModelFolder(
  dir: string,
  modelJson: Omit<tf.io.ModelJSON, 'weightsManifest'>,
  constants: readonly GraphConstant[],
  card: ModelCard,
  extra: readonly (readonly [string, string | Uint8Array])[] = [],
): Promise<number> {
  const { specs, bytes } = packConstants(constants);
  const total = bytes.length;
  const shardCount = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const paths = Array.from(
    { length: shardCount },
    (_, i) => `group1-shard${i + 1}of${shardCount}.bin`,
  );
  const full: tf.io.ModelJSON = {
    ...modelJson,
    weightsManifest: [{ paths, weights: specs }],
  };
  const files: [string, string | Uint8Array][] = [
    ...paths.map((p, i): [string, Uint8Array] => [
      p,
      bytes.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES),
    ]),
    [MODEL_JSON, `${JSON.stringify(full)}\n`],
    [CARD_JSON, `${JSON.stringify(card, null, 2)}\n`],
  ];
  for (const [name, data] of extra) {
    if (!/^[^/\\]+$/.test(name) || name.startsWith('.') || files.some(([taken]) => taken === name))
      throw new StudioError(
        'invalid-payload',
        `${path.join(dir, name)}: an extra file of a model folder needs a plain name of its own`,
      );
    files.push([name, data]);
  }
  await writeFolderAtomic(dir, files);
  return files.reduce(
    (sum, [, data]) => sum + (typeof data === 'string' ? Buffer.byteLength(data) : data.length),
    0,
  );
}

/** Writes `files` beside `dir`, then swaps the folder in; the previous folder goes only after. */
export async function writeFolderAtomic(
  dir: string,
  files: [string, string | Uint8Array][],
): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(dir);
  // Hidden names: a listing of models/ never mistakes a half-written export for a model.
  const tmp = path.join(parent, `.${base}.${process.pid}.tmp`);
  const old = path.join(parent, `.${base}.${process.pid}.old`);
  let current = tmp;
  try {
    await mkdir(parent, { recursive: true });
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    for (const [name, data] of files) {
      current = path.join(tmp, name);
      await writeNewFileSynced(current, data);
    }
    current = dir;
    await syncFolder(tmp);
    await rm(old, { recursive: true, force: true });
    const hadOld = await rename(dir, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rename(tmp, dir);
    await syncFolder(parent);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw describeWriteError(current, error);
  }
}

async function readOrFail(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StudioError(
      code === 'ENOENT' ? 'not-found' : 'io',
      code === 'ENOENT'
        ? `${file} is missing: the model folder has no ${what}`
        : `${file} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Parses a JSON file, or a StudioError naming it. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  const text = (await readOrFail(file, what)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StudioError(
      'invalid-payload',
      `${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** `problem at key: message; …` from zod issues. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export async function readModelJson(dir: string): Promise<ModelJsonFile> {
  const file = path.join(dir, MODEL_JSON);
  const parsed = ModelJsonFile.safeParse(await readJsonFile(file, 'model.json'));
  if (!parsed.success)
    throw new StudioError(
      'invalid-payload',
      `${file} is not a TensorFlow.js model: ${describeIssues(parsed.error.issues)}`,
    );
  return parsed.data as ModelJsonFile;
}

export interface WeightsOnDisk {
  specs: tf.io.WeightsManifestEntry[];
  /** All shards of the manifest, concatenated (4-byte aligned: every dtype here is 4 bytes). */
  data: ArrayBuffer;
}

/** Reads the shards of `modelJson`'s manifest, checking their total size against it. */
export async function readWeights(dir: string, modelJson: ModelJsonFile): Promise<WeightsOnDisk> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  let lastShard = path.join(dir, MODEL_JSON);
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      lastShard = path.join(dir, p);
      buffers.push(await readOrFail(lastShard, `weight shard ${p}`));
    }
    specs.push(...group.weights);
  }
  const expected = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  const all = Buffer.concat(buffers);
  if (all.length !== expected)
    throw new StudioError(
      'invalid-payload',
      `${lastShard}: the weight shards hold ${all.length} bytes; ${path.join(dir, MODEL_JSON)} ` +
        `lists ${expected} (a shard is truncated or from another export)`,
    );
  const data = new ArrayBuffer(all.length);
  new Uint8Array(data).set(all);
  return { specs, data };
}

/** Float32 weights by name, as views into `weights.data` (int32 graph constants are skipped). */
export function floatWeightsByName(weights: WeightsOnDisk): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const s of weights.specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype === 'float32') out.set(s.name, new Float32Array(weights.data, offset, size));
    offset += 4 * size;
  }
  return out;
}
