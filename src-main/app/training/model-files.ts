/**
 * Copying a model folder out of the project and deleting one (docs/ARCHITECTURE.md, "Files on
 * disk": models/<id>/ holds model.json, the weight shards and card.json). Both work so that an
 * interruption leaves no half model where a reader would take it for a whole one: the copy lands
 * under a temporary name and is renamed into place; a deleted folder is renamed away before it is
 * removed.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { ModelExportFormat } from '../../shared/training';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../../engine/backend';
import { exportOnnxModel } from '../../engine/export/onnx/export-onnx';
import { CACHED_ONNX } from '../../engine/export/onnx/onnx-cache';
import { modelDir } from '../../engine/jobs/run-folder';
import { readModelInfo } from './run-index';

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += await countFiles(path.join(dir, entry.name));
    else if (entry.isFile()) count += 1;
  }
  return count;
}

const temporaryName = (name: string) => `.${name}.${randomBytes(4).toString('hex')}.tmp`;

/**
 * Copies models/<id>/ into `outDir`/<id>/ (`tfjs`), or writes it there as model.onnx with its
 * card and notices (`onnx`, engine/export/onnx/export-onnx.ts); refuses to overwrite a folder
 * already there.
 */
export async function exportModel(
  projectDir: string,
  modelId: string,
  outDir: string,
  format: ModelExportFormat = 'tfjs',
): Promise<{ dir: string; files: number }> {
  const source = modelDir(projectDir, modelId);
  // Only a whole model (a valid card.json) leaves the project.
  await readModelInfo(source);
  const target = path.join(path.resolve(outDir), modelId);
  if (await stat(target).catch(() => null)) {
    throw new StudioError(
      'conflict',
      `${target} already exists: export into another folder, or remove it first`,
    );
  }
  if (format === 'onnx') {
    // The converter runs the TF.js graph once to read its shapes, here on main's event loop; main
    // runs no other TF.js work, so it takes wasm (about 10× TF.js's pure-JS cpu backend).
    if (tf.getBackend() !== 'wasm') await chooseBackend({ force: 'wasm' });
    const written = await exportOnnxModel(source, target);
    return { dir: target, files: written.files.length };
  }
  const temporary = path.join(path.dirname(target), temporaryName(modelId));
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await cp(source, temporary, {
      recursive: true,
      errorOnExist: true,
      force: false,
      // The ONNX Runtime's cached conversion (onnx-cache.ts) is this machine's, not the model's.
      filter: (from) => from !== path.join(source, CACHED_ONNX),
    });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw new StudioError(
      'io',
      `Cannot export model ${modelId} to ${target}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { dir: target, files: await countFiles(target) };
}

/** Removes models/<id>/; false when there was none. The caller checks that no job uses it. */
export async function deleteModel(projectDir: string, modelId: string): Promise<boolean> {
  const dir = modelDir(projectDir, modelId);
  const folder = await stat(dir).catch(() => null);
  if (!folder?.isDirectory()) return false;
  // Renamed first (a name no listing shows), so a crash mid-removal leaves no half model listed.
  const doomed = path.join(path.dirname(dir), temporaryName(modelId));
  try {
    await rename(dir, doomed);
  } catch (error) {
    throw new StudioError('io', `Cannot delete ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  await rm(doomed, { recursive: true, force: true });
  return true;
}
