/**
 * Copying a model folder out of the project and deleting one (docs/ARCHITECTURE.md, "Files on
 * disk": models/<id>/ holds model.json, the weight shards and card.json). Both work so that an
 * interruption leaves no half model where a reader would take it for a whole one: the copy is
 * written whole under a hidden name and renamed into place (model-folder.ts's writeFolderAtomic); a
 * deleted folder is renamed away before it is removed.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { ModelExportFormat } from '../../shared/training';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../../engine/backend';
import { exportOnnxModel, exportTfjsModel } from '../../engine/export/onnx/export-onnx';
import { modelDir } from '../../engine/jobs/run-folder';
import { readModelInfo } from './run-index';

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
  try {
    // The same copy as the CLI's `export --format tfjs` (without ONNX Runtime's cached model.onnx).
    const written = await exportTfjsModel(source, target);
    return { dir: target, files: written.files.length };
  } catch (error) {
    throw new StudioError(
      'io',
      `Cannot export model ${modelId} to ${target}: ${(error as Error).message}`,
      { cause: error },
    );
  }
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
