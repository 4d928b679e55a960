/**
 * Writes a model folder (models/<id>/, docs/ARCHITECTURE.md "Files on disk") out as ONNX:
 * `model.onnx` (convert-graph.ts) with the folder's `card.json` beside it, byte for byte, and the
 * licence notice of every third-party backbone the card names (`card.head.backbones[].notice`).
 * The folder is written whole or not at all (model-folder.ts's atomic folder write).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../../shared/errors';
import type { ModelCard } from '../../../shared/model-card';
import { readModelCard } from '../load-model';
import { CARD_JSON, writeFolderAtomic } from '../model-folder';
import { convertGraphFolder } from './convert-graph';
import { CACHED_ONNX } from './onnx-cache';

export const ONNX_FILE = 'model.onnx';

/** The notice files a card names (plain names inside its folder). */
export function noticesOf(card: ModelCard): string[] {
  return [...new Set((card.head?.backbones ?? []).flatMap((b) => (b.notice ? [b.notice] : [])))];
}

async function readBeside(dir: string, name: string, what: string): Promise<Buffer> {
  const file = path.join(dir, name);
  try {
    return await readFile(file);
  } catch (error) {
    throw new StudioError(
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'io',
      `${file} cannot be read (${what}): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Refuses an `out` that exists and is not an empty folder. */
export async function checkNewOrEmpty(out: string): Promise<void> {
  const entries = await readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new StudioError(
      error.code === 'ENOTDIR' ? 'conflict' : 'io',
      `${out} is not a folder to export into: ${error.message}`,
    );
  });
  if (entries.length > 0)
    throw new StudioError('conflict', `${out} is not empty: export into a new or empty folder`);
}

export interface OnnxExportSummary {
  dir: string;
  files: string[];
  bytes: number;
}

/** Converts the model in `modelDir` and writes `out`/model.onnx, card.json and its notices. */
export async function exportOnnxModel(modelDir: string, out: string): Promise<OnnxExportSummary> {
  const card = await readModelCard(modelDir);
  const converted = await convertGraphFolder(modelDir);
  const files: [string, string | Uint8Array][] = [
    [ONNX_FILE, converted.bytes],
    [CARD_JSON, await readBeside(modelDir, CARD_JSON, 'the model card')],
  ];
  for (const notice of noticesOf(card)) {
    if (!/^[^/\\]+$/.test(notice) || notice.startsWith('.'))
      throw new StudioError(
        'invalid-payload',
        `${path.join(modelDir, CARD_JSON)} names notice "${notice}", not a plain file name`,
      );
    files.push([notice, await readBeside(modelDir, notice, 'a licence notice the card names')]);
  }
  await writeFolderAtomic(out, files);
  return {
    dir: out,
    files: files.map(([name]) => name),
    bytes: files.reduce((sum, [, data]) => sum + data.length, 0),
  };
}

/** Copies the TF.js folder as it is (model.json, shards, card, notices) into `out`. */
export async function exportTfjsModel(modelDir: string, out: string): Promise<OnnxExportSummary> {
  await readModelCard(modelDir);
  const names = (await readdir(modelDir, { withFileTypes: true }))
    // The ONNX Runtime's cached conversion (onnx-cache.ts) is this machine's, not the model's.
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name !== CACHED_ONNX)
    .map((e) => e.name)
    .sort();
  const files: [string, Uint8Array][] = [];
  for (const name of names) files.push([name, await readBeside(modelDir, name, 'a model file')]);
  await writeFolderAtomic(out, files);
  return { dir: out, files: names, bytes: files.reduce((sum, [, d]) => sum + d.length, 0) };
}
